/**
 * Invariant under test: `dialogs.open` is a native dialog in the desktop app only. The Electron shell
 * registers one invoke handler on a (fake) ipcMain, which validates the request against the contract
 * before the dialog is shown and answers as data; without the shell's handler (browser mode, the
 * bridge) the route answers `not_available`. Electron is mocked: the binary is not needed.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow } from 'electron';
import { INVOKE_CHANNEL } from '../../src-shared/contract/channels';
import { createServices, type Services } from '../../src-main/services';
import { useTempDir } from '../support/images';

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, raw: unknown) => Promise<unknown>>();
  return {
    handlers,
    ipcMain: {
      handle: vi.fn((channel: string, handler: (event: unknown, raw: unknown) => Promise<unknown>) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, handler);
      }),
      removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
    },
    showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: false, filePaths: ['/data/attrs.csv'] })),
    getFocusedWindow: vi.fn((): unknown => null),
  };
});
vi.mock('electron', () => ({
  ipcMain: electron.ipcMain,
  dialog: { showOpenDialog: electron.showOpenDialog },
  BrowserWindow: { getFocusedWindow: electron.getFocusedWindow },
}));

const { registerIpc } = await import('../../src-main/shell/ipc');
const { nativeOpenDialog, openDialogOptions } = await import('../../src-main/shell/dialogs');

const tempDir = useTempDir('fairbound-shell-');
const fromBundle = { senderFrame: { url: 'file:///app/out/renderer/index.html' } };

let services: Services | undefined;
beforeEach(() => {
  vi.clearAllMocks();
  electron.handlers.clear();
});
afterEach(async () => {
  await services?.close();
  services = undefined;
});

function shellServices(): Services {
  services = createServices({ dbPath: join(tempDir(), 'w.db'), runtime: 'electron', log: vi.fn(), handlers: { 'dialogs.open': nativeOpenDialog() } });
  return services;
}

async function invoke(raw: unknown, event: unknown = fromBundle): Promise<unknown> {
  const handler = electron.handlers.get(INVOKE_CHANNEL);
  if (!handler) throw new Error('no invoke handler registered');
  return handler(event, raw);
}

describe('IPC registration', () => {
  it('registers the one invoke channel and removes it on unregister', () => {
    const unregister = registerIpc(shellServices(), () => [], undefined);
    expect(electron.ipcMain.handle).toHaveBeenCalledTimes(1);
    expect(electron.ipcMain.handle).toHaveBeenCalledWith(INVOKE_CHANNEL, expect.any(Function));
    unregister();
    expect(electron.ipcMain.removeHandler).toHaveBeenCalledWith(INVOKE_CHANNEL);
    expect(electron.handlers.size).toBe(0);
    // A second registration (another workspace) is then possible.
    registerIpc(services!, () => [], undefined)();
  });

  it('shows the native dialog for a valid request and returns the picked path', async () => {
    registerIpc(shellServices(), () => [], undefined);
    const reply = await invoke({ route: 'dialogs.open', input: { kind: 'file', title: 'Choose: CSV', filters: [{ name: 'CSV files', extensions: ['csv'] }] } });
    expect(reply).toEqual({ ok: true, value: { path: '/data/attrs.csv' } });
    expect(electron.showOpenDialog).toHaveBeenCalledWith({ properties: ['openFile'], title: 'Choose: CSV', filters: [{ name: 'CSV files', extensions: ['csv'] }] });
  });

  it('opens on the focused window, and answers null when cancelled', async () => {
    const window = { id: 1 } as unknown as BrowserWindow;
    electron.getFocusedWindow.mockReturnValueOnce(window);
    electron.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    registerIpc(shellServices(), () => [], undefined);
    expect(await invoke({ route: 'dialogs.open', input: { kind: 'folder' } })).toEqual({ ok: true, value: { path: null } });
    expect(electron.showOpenDialog).toHaveBeenCalledWith(window, { properties: ['openDirectory', 'createDirectory'] });
  });

  it('refuses a request that breaks the contract, or comes from another page, before any dialog', async () => {
    registerIpc(shellServices(), () => [], undefined);
    expect(await invoke({ route: 'dialogs.open', input: { kind: 'directory' } })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await invoke({ route: 'dialogs.open', input: { kind: 'file', filters: [{ name: 'CSV', extensions: ['.csv'] }] } })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await invoke({ route: 'dialogs.open' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await invoke({ input: { kind: 'file' } })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await invoke({ route: 'dialogs.open', input: { kind: 'file' } }, { senderFrame: { url: 'https://evil.example/' } })).toMatchObject({ ok: false, error: { code: 'bad_request', name: 'Forbidden' } });
    expect(electron.showOpenDialog).not.toHaveBeenCalled();
  });
});

describe('without the shell', () => {
  it('answers not_available (browser mode and the bridge fall back to files.list)', async () => {
    services = createServices({ dbPath: join(tempDir(), 'w.db'), runtime: 'browser', log: vi.fn() });
    const reply = await services.invoke('dialogs.open', { kind: 'file' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'not_available' } });
    expect(electron.showOpenDialog).not.toHaveBeenCalled();
  });

  it('drops filters for folders', () => {
    expect(openDialogOptions({ kind: 'folder', filters: [{ name: 'CSV', extensions: ['csv'] }] })).toEqual({ properties: ['openDirectory', 'createDirectory'] });
  });
});

describe("the renderer's request", () => {
  it('turns PathField extensions into filters the contract accepts, with an All files escape', async () => {
    const { dialogRequest } = await import('../../src-renderer/src/lib/native-dialog');
    const { routes } = await import('../../src-shared/contract/routes');
    const file = dialogRequest('file', 'Choose: CSV', ['.csv']);
    expect(file).toEqual({ kind: 'file', title: 'Choose: CSV', filters: [{ name: 'CSV files', extensions: ['csv'] }, { name: 'All files', extensions: ['*'] }] });
    expect(routes['dialogs.open'].input.safeParse(file).success).toBe(true);
    expect(dialogRequest('file', 'Any', undefined)).toEqual({ kind: 'file', title: 'Any' });
    expect(dialogRequest('directory', 'Export', ['.csv'])).toEqual({ kind: 'folder', title: 'Export' });
  });
});
