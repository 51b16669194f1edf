import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { z } from 'zod';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../src-shared/contract/channels';
import { createBridge } from '../../src-shared/contract/client';

// The renderer sees only `window.fairbound = { runtime, invoke, on }`: no ipcRenderer,
// no generic send. Inputs and outputs are validated here against the contract, and again in main.
// The page's CSP forbids eval; zod must not probe for it.
z.config({ jitless: true });

const bridge = createBridge({
  runtime: 'electron',
  request: (route, input) => ipcRenderer.invoke(INVOKE_CHANNEL, { route, input }),
  subscribe: (listener) => {
    const handler = (_event: IpcRendererEvent, message: unknown): void => listener(message);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
});

contextBridge.exposeInMainWorld('fairbound', {
  runtime: bridge.runtime,
  invoke: bridge.invoke,
  on: bridge.on,
});
