/**
 * The application menu. `menuTemplate` decides the items from the state alone (pure, unit-tested);
 * what the actions do (dialogs, switching workspace) lives in main.ts.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  /** Open an existing workspace database (.db) and restart the services on it. */
  openWorkspace(): void;
  /** Create a workspace database where the user says, and restart the services on it. */
  newWorkspace(): void;
  /** Open one of the recent workspaces (File → Open recent). */
  openRecent?(path: string): void;
  /** The About box with the versions. */
  about(): void;
  /** The workspace's folder in the OS file manager. */
  openDataFolder(): void;
  /** The folder of the app's log files (to send with a bug report). */
  openLogsFolder?(): void;
}

export interface MenuState {
  readonly appName: string;
  /** app.isPackaged: no developer tools in a packaged build. */
  readonly packaged: boolean;
  readonly platform: NodeJS.Platform;
  /** The workspace database in use (`:memory:` has no folder to open). */
  readonly workspacePath: string;
  /** Workspaces opened before that still exist, most recent first (File → Open recent; the current one is left out). */
  readonly recent?: readonly string[];
  readonly actions: MenuActions;
}

export interface AboutVersions {
  readonly app: string;
  readonly electron: string | null;
  readonly chrome: string | null;
  readonly node: string;
}

/** The About box's detail text. */
export function aboutDetail(versions: AboutVersions, workspacePath: string): string {
  return [
    `Version ${versions.app}`,
    `Electron ${versions.electron ?? 'n/a'}`,
    `Chromium ${versions.chrome ?? 'n/a'}`,
    `Node.js ${versions.node}`,
    '',
    `Workspace: ${workspacePath}`,
  ].join('\n');
}

export function menuTemplate(state: MenuState): MenuItemConstructorOptions[] {
  const mac = state.platform === 'darwin';
  const { actions } = state;
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { id: 'open-workspace', label: 'Open workspace…', accelerator: 'CmdOrCtrl+O', click: () => actions.openWorkspace() },
      { id: 'new-workspace', label: 'New workspace…', accelerator: 'CmdOrCtrl+Shift+N', click: () => actions.newWorkspace() },
      ...recentMenu(state),
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  };
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { role: 'reload' },
      { role: 'forceReload' },
      ...(state.packaged ? [] : [{ role: 'toggleDevTools' } as const]),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const window: MenuItemConstructorOptions = { role: 'windowMenu' };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [
      { id: 'about', label: `About ${state.appName}`, click: () => actions.about() },
      { id: 'open-data-folder', label: 'Open data folder', enabled: state.workspacePath !== ':memory:', click: () => actions.openDataFolder() },
      ...(actions.openLogsFolder ? [{ id: 'open-logs-folder', label: 'Open logs folder', click: () => actions.openLogsFolder?.() }] : []),
    ],
  };
  return [...(mac ? [{ role: 'appMenu' } as const] : []), file, edit, view, window, help];
}

/** File → Open recent: the remembered workspaces other than the current one (none: no submenu). */
function recentMenu(state: MenuState): MenuItemConstructorOptions[] {
  const open = state.actions.openRecent;
  const recent = (state.recent ?? []).filter((p) => p !== state.workspacePath);
  if (!open || recent.length === 0) return [];
  return [{ id: 'open-recent', label: 'Open recent', submenu: recent.map((path, i) => ({ id: `open-recent-${i}`, label: path, click: () => open(path) })) }];
}

/** Builds and installs the menu (call again when the state changes, e.g. another workspace). */
export function installMenu(state: MenuState): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(state)));
}
