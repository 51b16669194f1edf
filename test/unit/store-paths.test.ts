/**
 * Invariant under test: the workspace database lives in the OS app-data folder unless `--db` or
 * FAIRBOUND_DB says otherwise, with the flag winning over the variable.
 */
import { describe, expect, it } from 'vitest';
import { defaultDatabasePath, resolveDatabasePath } from '../../src-main/store/database';

describe('defaultDatabasePath', () => {
  it('Linux: $XDG_DATA_HOME/fairbound, else ~/.local/share/fairbound; a relative XDG_DATA_HOME is ignored', () => {
    expect(defaultDatabasePath({}, 'linux', '/home/ann')).toBe('/home/ann/.local/share/fairbound/fairbound.db');
    expect(defaultDatabasePath({ XDG_DATA_HOME: '/data/xdg' }, 'linux', '/home/ann')).toBe('/data/xdg/fairbound/fairbound.db');
    expect(defaultDatabasePath({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/ann')).toBe('/home/ann/.local/share/fairbound/fairbound.db');
  });

  it('macOS: ~/Library/Application Support/Fairbound', () => {
    expect(defaultDatabasePath({}, 'darwin', '/Users/ann')).toBe('/Users/ann/Library/Application Support/Fairbound/fairbound.db');
  });

  it('Windows: %APPDATA%\\Fairbound, else the roaming folder under the home', () => {
    expect(defaultDatabasePath({ APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ann')).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Fairbound\\fairbound.db',
    );
    expect(defaultDatabasePath({}, 'win32', 'C:\\Users\\ann')).toBe('C:\\Users\\ann\\AppData\\Roaming\\Fairbound\\fairbound.db');
  });
});

describe('resolveDatabasePath', () => {
  it('--db beats FAIRBOUND_DB, which beats the default', () => {
    expect(resolveDatabasePath('/x/flag.db', { FAIRBOUND_DB: '/x/env.db' })).toBe('/x/flag.db');
    expect(resolveDatabasePath(undefined, { FAIRBOUND_DB: '/x/env.db' })).toBe('/x/env.db');
    expect(resolveDatabasePath(undefined, { FAIRBOUND_DB: '', XDG_DATA_HOME: '/xdg' })).toMatch(/fairbound\.db$/);
  });
});
