import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { app, BrowserWindow, dialog, session, shell, utilityProcess } from 'electron';
import { createServices, type Services } from '../services';
import { resolveDatabasePath } from '../store/database';
import packageJson from '../../package.json';
import { utilityProcessSpawner } from '../jobs/utility-process';
import { ensureSampleWorkspace, findSampleDir } from '../services/sample';
import { nativeOpenDialog } from './dialogs';
import { log } from '../logging/log';
import { startShellLog } from './shell-log';
import { registerIpc } from './ipc';
import { denyPermissions, devServerUrl, forgetDevServerWhenPackaged } from './lockdown';
import { aboutDetail, installMenu } from './menu';
import { openStartupWorkspace, pickNewWorkspace, pickWorkspaceToOpen } from './workspace-choice';
import { recentWorkspaces, rememberWorkspace, startupWorkspace } from './workspace-memory';

// Thin Electron shell: one locked-down window on the bundled renderer, and the contract's two IPC
// channels. All work lives in plain modules under src-main (services) that the CLI, the browser-mode
// bridge and the tests call too.

/**
 * better-sqlite3 compiled for Electron's ABI: the path of a rebuilt addon, when the Node
 * build in node_modules is not Electron's.
 */
const SQLITE_BINDING_ENV = 'FAIRBOUND_SQLITE_BINDING';

let services: Services | undefined;
let unregister: (() => void) | undefined;
/** The app's windows (the one main window, or none while it is being recreated). */
function appWindows(): BrowserWindow[] {
  return BrowserWindow.getAllWindows();
}

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
  // The renderer cannot write files: its errors (uncaught ones arrive as console errors) go to main.log.
  window.webContents.on('console-message', (details) => {
    if (details.level === 'error') log.error(`renderer: ${details.message} (${details.sourceId}:${details.lineNumber})`);
  });
  window.webContents.on('render-process-gone', (_event, details) => log.error(`the window's renderer process ended: ${details.reason} (exit code ${details.exitCode})`));
  // No remote content: navigation away from the bundle is refused, links open in the OS browser.
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const devServer = devServerUrl();
  if (devServer) void window.loadURL(devServer);
  else void window.loadFile(join(import.meta.dirname, '../renderer/index.html'));
}

/** `npm start` builds the Electron copy of better-sqlite3 here (scripts/rebuild-sqlite-for-electron.mjs). */
function defaultSqliteBinding(): string | undefined {
  const path = join(app.getAppPath(), 'build/electron-native/better-sqlite3/build/Release/better_sqlite3.node');
  return existsSync(path) ? path : undefined;
}

function openServices(dbPath: string): Services {
  const nativeBinding = process.env[SQLITE_BINDING_ENV] ?? defaultSqliteBinding();
  return createServices({
    dbPath,
    runtime: 'electron',
    electronVersion: process.versions.electron ?? null,
    openOptions: nativeBinding ? { nativeBinding } : {},
    // Native dialogs exist only here; the services' own handler answers `not_available` (browser mode).
    handlers: {
      'dialogs.open': nativeOpenDialog(),
      'workspace.openSample': () => openSampleWorkspace(nativeBinding),
    },
    // Built next to this bundle by electron.vite.config.ts; run as a utility process (no ELECTRON_RUN_AS_NODE:
    // Electron runs it as Node and ends it with the app). Its backend chain reaches the GPU through Dawn
    // (webgpu) like the CLI's worker does.
    training: {
      entry: { modulePath: join(import.meta.dirname, 'train-worker.mjs') },
      spawn: utilityProcessSpawner(utilityProcess),
      ...(nativeBinding ? { nativeBinding } : {}),
    },
    trialWorkerEntry: { filename: join(import.meta.dirname, 'trial-worker.mjs') },
    importWorkerEntry: { filename: join(import.meta.dirname, 'import-worker.mjs') },
  });
}

function attach(next: Services): void {
  services = next;
  log.info(`workspace ${next.context.dbPath} opened`);
  unregister = registerIpc(
    next,
    () => appWindows().map((w) => w.webContents),
    devServerUrl(),
  );
  refreshMenu();
}

/** Where the last workspace is remembered across restarts (src-main/shell/workspace-memory.ts). */
const memoryFolder = (): string => app.getPath('userData');

function refreshMenu(): void {
  installMenu({
    appName: 'Fairbound',
    packaged: app.isPackaged,
    platform: process.platform,
    workspacePath: services?.context.dbPath ?? resolveDatabasePath(),
    recent: recentWorkspaces(memoryFolder()),
    actions: {
      openWorkspace: () => void openWorkspaceDialog(),
      newWorkspace: () => void newWorkspaceDialog(),
      openRecent: (path) => void switchWorkspace(path),
      about: () => void showAbout(),
      openDataFolder,
      openLogsFolder,
    },
  });
}

/** Remembers the workspace now open, for the next start, and shows it under File → Open recent. */
function remember(dbPath: string): void {
  if (!rememberWorkspace(memoryFolder(), dbPath)) console.warn(`could not remember the workspace ${dbPath} in ${memoryFolder()}`);
  refreshMenu();
}

let switching = false;

/**
 * Closes the current services (running jobs are cancelled) and opens `dbPath` instead; the windows
 * reload so the UI reads the new workspace. If it cannot be opened, the previous one is reopened.
 */
async function switchWorkspace(dbPath: string): Promise<void> {
  if (switching || !services) return;
  switching = true;
  const previous = services.context.dbPath;
  try {
    unregister?.();
    unregister = undefined;
    await services.close();
    services = undefined;
    try {
      attach(openServices(dbPath));
      remember(dbPath);
    } catch (err) {
      dialog.showErrorBox('Cannot open the workspace', `${dbPath}\n\n${err instanceof Error ? err.message : String(err)}`);
      attach(openServices(previous));
    }
    for (const window of appWindows()) window.webContents.reload();
  } finally {
    switching = false;
  }
}

async function openWorkspaceDialog(): Promise<void> {
  const path = await pickWorkspaceToOpen();
  if (path) await switchWorkspace(path);
}

async function newWorkspaceDialog(): Promise<void> {
  const path = await pickNewWorkspace();
  if (path) await switchWorkspace(path);
}

async function showAbout(): Promise<void> {
  const options = {
    type: 'info' as const,
    title: 'About Fairbound',
    message: 'Fairbound',
    detail: aboutDetail(
      { app: packageJson.version, electron: process.versions.electron ?? null, chrome: process.versions.chrome ?? null, node: process.versions.node },
      services?.context.dbPath ?? resolveDatabasePath(),
    ),
  };
  const window = BrowserWindow.getFocusedWindow();
  await (window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options));
}

/**
 * The sample workspace in userData (created on first use from the packaged resources/sample), switched
 * to once the reply is out: switching closes these services.
 */
async function openSampleWorkspace(nativeBinding: string | undefined): Promise<{ databasePath: string }> {
  const sampleDir = app.isPackaged ? join(process.resourcesPath, 'sample') : findSampleDir();
  const { dbPath } = await ensureSampleWorkspace(join(app.getPath('userData'), 'sample.db'), sampleDir, nativeBinding ? { nativeBinding } : {});
  setImmediate(() => void switchWorkspace(dbPath));
  return { databasePath: dbPath };
}

function openLogsFolder(): void {
  void shell.openPath(app.getPath('logs')).then((error) => {
    if (error !== '') dialog.showErrorBox('Cannot open the logs folder', error);
  });
}

function openDataFolder(): void {
  const dbPath = services?.context.dbPath ?? resolveDatabasePath();
  void shell.openPath(dirname(dbPath)).then((error) => {
    if (error !== '') dialog.showErrorBox('Cannot open the data folder', error);
  });
}

/**
 * Opens $FAIRBOUND_DB if set, else the workspace opened last (if it still exists), else the default. One
 * that cannot be opened (corrupt, newer, not a Fairbound workspace) is reported in a dialog offering
 * Open workspace… / New workspace… / Quit (workspace-choice.ts).
 */
async function start(): Promise<void> {
  denyPermissions(session.defaultSession);
  const choice = startupWorkspace(memoryFolder());
  if (choice.note) console.info(`workspace: ${choice.note}; opening ${choice.path}`);
  const opened = await openStartupWorkspace(choice.path, { open: (path) => attach(openServices(path)) });
  if (opened === undefined) return; // the user chose Quit
  if ((choice.source !== 'env' || opened !== choice.path) && services) remember(services.context.dbPath);
  createWindow();
}

/** A failure at start that the workspace dialog did not cover: said in a box, then the app quits. */
function startFailed(error: unknown): void {
  console.error(error);
  dialog.showErrorBox('Fairbound cannot start', error instanceof Error ? error.message : String(error));
  app.quit();
}

forgetDevServerWhenPackaged();
// A throw-away profile (the smoke test, a portable run): settings, the sample workspace and logs in one folder.
const userDataOverride = process.env.FAIRBOUND_USER_DATA;
if (userDataOverride) {
  app.setPath('userData', userDataOverride);
  app.setAppLogsPath(join(userDataOverride, 'logs'));
}
startShellLog(packageJson.version);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => appWindows()[0]?.focus());
  void app.whenReady().then(start).catch(startFailed);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (appWindows().length === 0) createWindow();
  });
  // Jobs are cancelled (their transactions rolled back) and the database closed before exiting.
  let quitting = false;
  app.on('will-quit', (event) => {
    if (quitting || !services) return;
    event.preventDefault();
    quitting = true;
    log.info('quitting: cancelling running jobs, closing the workspace');
    unregister?.();
    void services.close().finally(() => app.quit());
  });
}
