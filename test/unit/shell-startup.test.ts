/**
 * Invariants under test (Electron mocked: the binary is not needed):
 * - a workspace that cannot be opened at start (here a foreign SQLite database, which openWorkspace
 *   refuses as "not a Fairbound workspace") shows a dialog with the reason and Open workspace… / New
 *   workspace… / Quit; Quit calls app.quit, Open goes through the open dialog, New through the save
 *   dialog (an existing file there is refused), a cancelled file dialog asks again;
 * - the desktop app itself (main.ts) shows that dialog instead of rejecting: no unhandled rejection, no
 *   window after Quit;
 * - every permission request and check is denied, device access too; ELECTRON_RENDERER_URL is honoured
 *   in development builds only.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useTempDir } from '../support/images';

const electron = vi.hoisted(() => ({
  app: {
    isPackaged: false,
    quit: vi.fn(),
    on: vi.fn(),
    getPath: vi.fn((_name: string) => '/nonexistent'),
    getAppPath: vi.fn(() => '/nonexistent'),
    requestSingleInstanceLock: vi.fn(() => true),
    whenReady: vi.fn(() => Promise.resolve()),
  },
  showMessageBox: vi.fn(async (..._args: unknown[]) => ({ response: 2, checkboxChecked: false })),
  showOpenDialog: vi.fn(async (..._args: unknown[]): Promise<{ canceled: boolean; filePaths: string[] }> => ({ canceled: true, filePaths: [] })),
  showSaveDialog: vi.fn(async (..._args: unknown[]): Promise<{ canceled: boolean; filePath?: string }> => ({ canceled: true })),
  showErrorBox: vi.fn(),
  getFocusedWindow: vi.fn((): unknown => null),
  windows: [] as unknown[],
  session: {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    setDevicePermissionHandler: vi.fn(),
  },
}));
vi.mock('electron', () => {
  class BrowserWindow {
    static getFocusedWindow = electron.getFocusedWindow;
    static getAllWindows = (): unknown[] => electron.windows;
    constructor() {
      electron.windows.push(this);
    }
  }
  return {
    app: electron.app,
    BrowserWindow,
    dialog: { showMessageBox: electron.showMessageBox, showOpenDialog: electron.showOpenDialog, showSaveDialog: electron.showSaveDialog, showErrorBox: electron.showErrorBox },
    session: { defaultSession: electron.session },
    shell: { openExternal: vi.fn(), openPath: vi.fn() },
    utilityProcess: { fork: vi.fn() },
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
    Menu: { buildFromTemplate: vi.fn(), setApplicationMenu: vi.fn() },
  };
});

const { openStartupWorkspace, STARTUP_CHOICES } = await import('../../src-main/shell/workspace-choice');
const { ALLOWED_PERMISSIONS, denyPermissions, devServerUrl, forgetDevServerWhenPackaged } = await import('../../src-main/shell/lockdown');
const { openWorkspace } = await import('../../src-main/store/database');

const tempDir = useTempDir('fairbound-shell-startup-');

/** A SQLite database of another program: openWorkspace refuses it. */
function foreignDatabase(dir: string): string {
  const path = join(dir, 'other.db');
  const db = new Database(path);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
  db.close();
  return path;
}

/** Opens (and closes) the workspace as the app would, throwing as openWorkspace does. */
const opened: string[] = [];
const open = (path: string): void => {
  openWorkspace(path).close();
  opened.push(path);
};

const shownDialogs = (): { message: string; detail: string; buttons: string[] }[] =>
  electron.showMessageBox.mock.calls.map((call) => call[0] as { message: string; detail: string; buttons: string[] });

beforeEach(() => {
  vi.clearAllMocks();
  opened.length = 0;
  electron.windows.length = 0;
  electron.app.isPackaged = false;
});

describe('a workspace that cannot be opened at start', () => {
  it('shows the reason with Open workspace… / New workspace… / Quit; Quit quits', async () => {
    const path = foreignDatabase(tempDir());
    electron.showMessageBox.mockResolvedValueOnce({ response: 2, checkboxChecked: false });
    await expect(openStartupWorkspace(path, { open })).resolves.toBeUndefined();
    const [shown] = shownDialogs();
    expect(shown.message).toContain(path);
    expect(shown.detail).toMatch(/not a Fairbound workspace/);
    expect(shown.buttons).toEqual([...STARTUP_CHOICES]);
    expect(shown.buttons).toEqual(['Open workspace…', 'New workspace…', 'Quit']);
    expect(electron.app.quit).toHaveBeenCalledTimes(1);
    expect(opened).toEqual([]);
  });

  it('Open workspace… goes through the open dialog and opens the chosen file', async () => {
    const dir = tempDir();
    const bad = foreignDatabase(dir);
    const good = join(dir, 'good.db');
    openWorkspace(good).close();
    electron.showMessageBox.mockResolvedValueOnce({ response: 0, checkboxChecked: false });
    electron.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [good] });
    await expect(openStartupWorkspace(bad, { open })).resolves.toBe(good);
    expect(electron.showOpenDialog).toHaveBeenCalledTimes(1);
    expect(electron.showOpenDialog.mock.calls[0][0]).toMatchObject({ title: 'Open workspace', properties: ['openFile'] });
    expect(opened).toEqual([good]);
    expect(electron.app.quit).not.toHaveBeenCalled();
  });

  it('New workspace… goes through the save dialog (an existing file is refused, the choice asked again)', async () => {
    const dir = tempDir();
    const bad = foreignDatabase(dir);
    const fresh = join(dir, 'new.db');
    electron.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false }).mockResolvedValueOnce({ response: 1, checkboxChecked: false });
    electron.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: bad }).mockResolvedValueOnce({ canceled: false, filePath: fresh });
    await expect(openStartupWorkspace(bad, { open })).resolves.toBe(fresh);
    expect(electron.showSaveDialog).toHaveBeenCalledTimes(2);
    expect(electron.showErrorBox).toHaveBeenCalledWith('The file exists', expect.stringContaining(bad));
    expect(electron.showMessageBox).toHaveBeenCalledTimes(2);
    expect(opened).toEqual([fresh]);
  });

  it('asks again when the file dialog is cancelled or the chosen workspace fails too', async () => {
    const dir = tempDir();
    const bad = foreignDatabase(dir);
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not a database at all, just some text that is long enough to matter');
    electron.showMessageBox
      .mockResolvedValueOnce({ response: 0, checkboxChecked: false })
      .mockResolvedValueOnce({ response: 0, checkboxChecked: false })
      .mockResolvedValueOnce({ response: 2, checkboxChecked: false });
    electron.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] }).mockResolvedValueOnce({ canceled: false, filePaths: [garbage] });
    await expect(openStartupWorkspace(bad, { open })).resolves.toBeUndefined();
    const shown = shownDialogs();
    expect(shown).toHaveLength(3);
    expect(shown[2].message).toContain(garbage);
    expect(electron.app.quit).toHaveBeenCalledTimes(1);
  });

  it('opens a good workspace without any dialog', async () => {
    const good = join(tempDir(), 'good.db');
    await expect(openStartupWorkspace(good, { open })).resolves.toBe(good);
    expect(electron.showMessageBox).not.toHaveBeenCalled();
  });
});

describe('the desktop app at start (main.ts)', () => {
  let saved: NodeJS.ProcessEnv;
  beforeEach(() => {
    saved = { ...process.env };
  });
  afterEach(() => {
    process.env = saved;
  });

  it('shows the dialog for $FAIRBOUND_DB that is not a workspace, quits on Quit, and rejects nothing', async () => {
    const dir = tempDir();
    const bad = foreignDatabase(dir);
    process.env.FAIRBOUND_DB = bad;
    electron.app.getPath.mockReturnValue(join(dir, 'userData'));
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      vi.resetModules();
      await import('../../src-main/shell/main');
      await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(rejections).toEqual([]);
    const [shown] = shownDialogs();
    expect(shown.message).toContain(bad);
    expect(shown.detail).toMatch(/not a Fairbound workspace/);
    expect(electron.windows).toEqual([]);
    expect(electron.showErrorBox).not.toHaveBeenCalled();
    // The session's permission handlers were installed before anything else.
    expect(electron.session.setPermissionRequestHandler).toHaveBeenCalledTimes(1);
    expect(electron.session.setPermissionCheckHandler).toHaveBeenCalledTimes(1);
  });
});

describe('Electron hardening', () => {
  it('denies every permission request and check, and device access', () => {
    denyPermissions(electron.session as never);
    expect(ALLOWED_PERMISSIONS.size).toBe(0);
    const request = electron.session.setPermissionRequestHandler.mock.calls[0][0] as (c: unknown, p: string, cb: (ok: boolean) => void) => void;
    const check = electron.session.setPermissionCheckHandler.mock.calls[0][0] as (c: unknown, p: string) => boolean;
    const device = electron.session.setDevicePermissionHandler.mock.calls[0][0] as (d: unknown) => boolean;
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal', 'fullscreen', 'hid', 'serial', 'usb']) {
      const callback = vi.fn();
      request(null, permission, callback);
      expect(callback, permission).toHaveBeenCalledWith(false);
      expect(check(null, permission), permission).toBe(false);
    }
    expect(device({ deviceType: 'usb' })).toBe(false);
  });

  it('honours ELECTRON_RENDERER_URL in development builds only', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173' };
    expect(devServerUrl(false, env)).toBe('http://localhost:5173');
    expect(devServerUrl(true, env)).toBeUndefined();
    expect(devServerUrl(false, {})).toBeUndefined();
    electron.app.isPackaged = true;
    expect(devServerUrl(undefined, env)).toBeUndefined();
    const packagedEnv: NodeJS.ProcessEnv = { ...env };
    forgetDevServerWhenPackaged(true, packagedEnv);
    expect(packagedEnv.ELECTRON_RENDERER_URL).toBeUndefined();
    const devEnv: NodeJS.ProcessEnv = { ...env };
    forgetDevServerWhenPackaged(false, devEnv);
    expect(devEnv.ELECTRON_RENDERER_URL).toBe('http://localhost:5173');
  });
});
