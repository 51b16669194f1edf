/**
 * Invariant under test: the application menu is decided by `menuTemplate(state)` alone: File (open /
 * new workspace, quit), Edit roles, View (devtools only in development), Window, Help (About, data
 * folder); items call the actions they name. Electron itself is mocked (the binary is not needed).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';

const electron = vi.hoisted(() => ({
  buildFromTemplate: vi.fn((template: unknown) => ({ template })),
  setApplicationMenu: vi.fn(),
}));
vi.mock('electron', () => ({ Menu: { buildFromTemplate: electron.buildFromTemplate, setApplicationMenu: electron.setApplicationMenu } }));

const { aboutDetail, installMenu, menuTemplate } = await import('../../src-main/shell/menu');
type MenuState = Parameters<typeof menuTemplate>[0];

function state(over: Partial<MenuState> = {}): MenuState {
  return {
    appName: 'Fairbound',
    packaged: false,
    platform: 'linux',
    workspacePath: '/home/u/.fairbound/fairbound.db',
    actions: { openWorkspace: vi.fn(), newWorkspace: vi.fn(), about: vi.fn(), openDataFolder: vi.fn() },
    ...over,
  };
}

function submenu(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] {
  const menu = template.find((m) => m.label === label || m.role === label);
  if (!menu || !Array.isArray(menu.submenu)) throw new Error(`no ${label} menu`);
  return menu.submenu;
}

const roles = (items: MenuItemConstructorOptions[]): unknown[] => items.filter((i) => i.role !== undefined).map((i) => i.role);
const byId = (items: MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions => {
  const item = items.find((i) => i.id === id);
  if (!item) throw new Error(`no item ${id}`);
  return item;
};
const click = (item: MenuItemConstructorOptions): void => (item.click as () => void)();

beforeEach(() => vi.clearAllMocks());

describe('menuTemplate', () => {
  it('lists recent workspaces other than the current one under File → Open recent, opening the one clicked', () => {
    const openRecent = vi.fn();
    const s = state({ recent: ['/home/u/.fairbound/fairbound.db', '/data/other.db', '/data/third.db'] });
    const file = submenu(menuTemplate({ ...s, actions: { ...s.actions, openRecent } }), 'File');
    const recent = byId(file, 'open-recent');
    if (!Array.isArray(recent.submenu)) throw new Error('no submenu');
    expect(recent.submenu.map((i) => i.label)).toEqual(['/data/other.db', '/data/third.db']);
    click(recent.submenu[1]);
    expect(openRecent).toHaveBeenCalledWith('/data/third.db');
    // Nothing recent (or no action): no submenu.
    expect(submenu(menuTemplate(state({ recent: ['/home/u/.fairbound/fairbound.db'] })), 'File').some((i) => i.id === 'open-recent')).toBe(false);
  });

  it('has File, Edit, View, Window and Help, in that order', () => {
    const template = menuTemplate(state());
    expect(template.map((m) => m.label ?? m.role)).toEqual(['File', 'Edit', 'View', 'windowMenu', 'help']);
  });

  it('opens and creates workspaces from File, and quits', () => {
    const s = state();
    const file = submenu(menuTemplate(s), 'File');
    expect(byId(file, 'open-workspace').label).toBe('Open workspace…');
    expect(byId(file, 'new-workspace').label).toBe('New workspace…');
    click(byId(file, 'open-workspace'));
    expect(s.actions.openWorkspace).toHaveBeenCalledTimes(1);
    click(byId(file, 'new-workspace'));
    expect(s.actions.newWorkspace).toHaveBeenCalledTimes(1);
    expect(roles(file)).toEqual(['quit']);
  });

  it('gives Edit the standard roles', () => {
    expect(roles(submenu(menuTemplate(state()), 'Edit'))).toEqual(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']);
  });

  it('offers the developer tools only when not packaged', () => {
    const dev = roles(submenu(menuTemplate(state({ packaged: false })), 'View'));
    expect(dev).toEqual(['reload', 'forceReload', 'toggleDevTools', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']);
    const packaged = roles(submenu(menuTemplate(state({ packaged: true })), 'View'));
    expect(packaged).not.toContain('toggleDevTools');
    expect(packaged).toContain('reload');
    expect(packaged).toContain('zoomIn');
  });

  it('shows About and opens the data folder from Help; no folder for an in-memory workspace', () => {
    const s = state();
    const help = submenu(menuTemplate(s), 'help');
    expect(byId(help, 'about').label).toBe('About Fairbound');
    click(byId(help, 'about'));
    expect(s.actions.about).toHaveBeenCalledTimes(1);
    expect(byId(help, 'open-data-folder').enabled).toBe(true);
    click(byId(help, 'open-data-folder'));
    expect(s.actions.openDataFolder).toHaveBeenCalledTimes(1);
    expect(byId(submenu(menuTemplate(state({ workspacePath: ':memory:' })), 'help'), 'open-data-folder').enabled).toBe(false);
  });

  it('adds the app menu on macOS, where File closes the window instead of quitting', () => {
    const template = menuTemplate(state({ platform: 'darwin' }));
    expect(template[0]).toEqual({ role: 'appMenu' });
    expect(roles(submenu(template, 'File'))).toEqual(['close']);
  });
});

describe('about and install', () => {
  it('lists the versions and the workspace', () => {
    const text = aboutDetail({ app: '0.1.0', electron: '41.7.1', chrome: '140.0', node: '22.1.0' }, '/w/fairbound.db');
    expect(text).toContain('Version 0.1.0');
    expect(text).toContain('Electron 41.7.1');
    expect(text).toContain('Chromium 140.0');
    expect(text).toContain('Node.js 22.1.0');
    expect(text).toContain('/w/fairbound.db');
    expect(aboutDetail({ app: '0.1.0', electron: null, chrome: null, node: '20' }, ':memory:')).toContain('Electron n/a');
  });

  it('builds the template and sets it as the application menu', () => {
    installMenu(state());
    expect(electron.buildFromTemplate).toHaveBeenCalledTimes(1);
    expect(electron.setApplicationMenu).toHaveBeenCalledWith({ template: menuTemplate(state()).map(() => expect.anything()) });
  });
});
