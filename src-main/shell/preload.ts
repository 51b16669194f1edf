import { contextBridge } from 'electron';

// The renderer sees only `window.fairbound`. The typed contract (issue 7) fills it; today it carries
// the runtime name so the UI can tell the desktop app from browser mode.
contextBridge.exposeInMainWorld('fairbound', { runtime: 'electron' as const });
