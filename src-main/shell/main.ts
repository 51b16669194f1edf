import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app, BrowserWindow, shell } from 'electron';
import { createServices, type Services } from '../services';
import { resolveDatabasePath } from '../store/database';
import { registerIpc } from './ipc';

// Thin Electron shell: one locked-down window on the bundled renderer, and the contract's two IPC
// channels. All work lives in plain modules under src-main (services) that the CLI, the browser-mode
// bridge and the tests call too.

/**
 * better-sqlite3 compiled for Electron's ABI (design §8): the path of a rebuilt addon, when the Node
 * build in node_modules is not Electron's.
 */
const SQLITE_BINDING_ENV = 'FAIRBOUND_SQLITE_BINDING';

let services: Services | undefined;
let unregister: (() => void) | undefined;

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'Fairbound',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // No remote content: navigation away from the bundle is refused, links open in the OS browser.
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const devServer = process.env.ELECTRON_RENDERER_URL;
  if (devServer) void window.loadURL(devServer);
  else void window.loadFile(join(import.meta.dirname, '../renderer/index.html'));
}

/** `npm start` builds the Electron copy of better-sqlite3 here (scripts/rebuild-sqlite-for-electron.mjs). */
function defaultSqliteBinding(): string | undefined {
  const path = join(app.getAppPath(), 'build/electron-native/better-sqlite3/build/Release/better_sqlite3.node');
  return existsSync(path) ? path : undefined;
}

function start(): void {
  const nativeBinding = process.env[SQLITE_BINDING_ENV] ?? defaultSqliteBinding();
  services = createServices({
    dbPath: resolveDatabasePath(),
    runtime: 'electron',
    electronVersion: process.versions.electron ?? null,
    openOptions: nativeBinding ? { nativeBinding } : {},
    // Built next to this bundle by electron.vite.config.ts; forked with Electron's binary as Node.
    training: {
      entry: { modulePath: join(import.meta.dirname, 'train-worker.mjs'), env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
      ...(nativeBinding ? { nativeBinding } : {}),
    },
    trialWorkerEntry: { filename: join(import.meta.dirname, 'trial-worker.mjs') },
  });
  unregister = registerIpc(services, () => BrowserWindow.getAllWindows().map((w) => w.webContents));
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
  void app.whenReady().then(start);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  // Jobs are cancelled (their transactions rolled back) and the database closed before exiting.
  let quitting = false;
  app.on('will-quit', (event) => {
    if (quitting || !services) return;
    event.preventDefault();
    quitting = true;
    unregister?.();
    void services.close().finally(() => app.quit());
  });
}
