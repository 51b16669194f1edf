/**
 * Invariants under test (Electron mocked: the binary is not needed):
 * - the desktop app's log starts in Electron's logs folder as main.log, hands that folder to its workers
 *   (FAIRBOUND_LOG_DIR), and records console errors of every module too;
 * - an uncaught error is written with its stack and shown in a box that says where the log is;
 * - Help → Open logs folder is in the menu when the shell gives the action, and calls it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useTempDir } from '../support/images';

const electron = vi.hoisted(() => ({
  logs: '',
  showErrorBox: vi.fn(),
}));
vi.mock('electron', () => ({
  app: { getPath: (name: string) => (name === 'logs' ? electron.logs : '/nonexistent'), whenReady: () => Promise.resolve() },
  dialog: { showErrorBox: electron.showErrorBox },
  Menu: { buildFromTemplate: vi.fn(), setApplicationMenu: vi.fn() },
}));

const tempDir = useTempDir('fairbound-shell-log-');
const savedEnv = { ...process.env };
const savedConsoleError = console.error;

afterEach(() => {
  process.env = { ...savedEnv };
  console.error = savedConsoleError;
});

describe('the desktop app log', () => {
  it('writes main.log in the logs folder, passes the folder to workers, and logs and shows uncaught errors', async () => {
    electron.logs = join(tempDir(), 'logs');
    const before = new Set(process.listeners('uncaughtException'));
    const { startShellLog } = await import('../../src-main/shell/shell-log');
    startShellLog('9.9.9');
    const added = process.listeners('uncaughtException').filter((l) => !before.has(l));
    const rejectionsAdded = process.listeners('unhandledRejection').slice(-1);
    try {
      expect(process.env.FAIRBOUND_LOG_DIR).toBe(electron.logs);
      console.error('a module complained:', new Error('disk full'));
      await Promise.resolve(); // whenReady has resolved: boxes can be shown
      expect(added).toHaveLength(1);
      added[0]!(new Error('the renderer bridge broke'), 'uncaughtException');
      const text = readFileSync(join(electron.logs, 'main.log'), 'utf8');
      expect(text).toMatch(/\[info\]\s+\[main \d+\] Fairbound 9\.9\.9 started/);
      expect(text).toContain('a module complained: Error: disk full');
      expect(text).toMatch(/uncaught exception: Error: the renderer bridge broke\n\s+at /);
      expect(electron.showErrorBox).toHaveBeenCalledTimes(1);
      const [title, body] = electron.showErrorBox.mock.calls[0] as [string, string];
      expect(title).toBe('Fairbound hit an unexpected error');
      expect(body).toContain('the renderer bridge broke');
      expect(body).toContain(join(electron.logs, 'main.log'));
      expect(body).not.toMatch(/\n\s+at /); // the message, not the stack
    } finally {
      for (const listener of added) process.off('uncaughtException', listener);
      for (const listener of rejectionsAdded) process.off('unhandledRejection', listener);
    }
  });

  it('offers Help → Open logs folder', async () => {
    const { menuTemplate } = await import('../../src-main/shell/menu');
    const openLogsFolder = vi.fn();
    const actions = { openWorkspace: vi.fn(), newWorkspace: vi.fn(), about: vi.fn(), openDataFolder: vi.fn(), openLogsFolder };
    const help = menuTemplate({ appName: 'Fairbound', packaged: true, platform: 'linux', workspacePath: '/w.db', actions }).find((m) => m.role === 'help')!;
    const item = (help.submenu as MenuItemConstructorOptions[]).find((i) => i.id === 'open-logs-folder')!;
    expect(item.label).toBe('Open logs folder');
    (item.click as () => void)();
    expect(openLogsFolder).toHaveBeenCalledTimes(1);
  });
});
