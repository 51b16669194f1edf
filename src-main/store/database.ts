/**
 * The workspace database: one SQLite file per workspace (design §5), opened with WAL and foreign keys,
 * migrated to the latest schema on open. A failing migration stops the open (nothing half-migrated:
 * each migration is one transaction).
 *
 * Handles are branded so that functions say whether they write: `ReadableDB` for queries,
 * `WritableDB` (which is also readable) for anything that changes rows.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, win32 } from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../errors/input-error';
import { LATEST_VERSION, migrate } from './migrations';

declare const readableBrand: unique symbol;
declare const writableBrand: unique symbol;
export type ReadableDB = Database.Database & { readonly [readableBrand]: true };
export type WritableDB = ReadableDB & { readonly [writableBrand]: true };

/** Environment variable that overrides the default database path (the `--db` flag beats it). */
export const DATABASE_ENV = 'FAIRBOUND_DB';

/**
 * The OS app-data location: `$XDG_DATA_HOME/fairbound/fairbound.db` (default `~/.local/share`) on
 * Linux and other Unixes, `~/Library/Application Support/Fairbound/fairbound.db` on macOS and
 * `%APPDATA%\Fairbound\fairbound.db` on Windows.
 */
export function defaultDatabasePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    const appData = env.APPDATA && env.APPDATA !== '' ? env.APPDATA : win32.join(home, 'AppData', 'Roaming');
    return win32.join(appData, 'Fairbound', 'fairbound.db');
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Fairbound', 'fairbound.db');
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  const dataHome = xdg && isAbsolute(xdg) ? xdg : join(home, '.local', 'share');
  return join(dataHome, 'fairbound', 'fairbound.db');
}

/** `--db <file>` if given, else `$FAIRBOUND_DB` if set and non-empty, else the OS default. */
export function resolveDatabasePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env[DATABASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return defaultDatabasePath(env);
}

export interface OpenOptions {
  /** better-sqlite3's compiled addon, for runtimes with another ABI (the Electron app, design §8). */
  nativeBinding?: string;
}

/**
 * Opens (creating if needed, with its folder) and migrates the workspace database at `path`
 * (`:memory:` for a throw-away one). A file that is not SQLite, or was written by a newer Fairbound,
 * is an InputError naming the file.
 */
export function openWorkspace(path: string, options: OpenOptions = {}): WritableDB {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 5000, nativeBinding: options.nativeBinding }) as WritableDB;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL'); // the usual pairing with WAL: durable at checkpoints, never corrupt
    const version = userVersion(db);
    if (version > LATEST_VERSION) {
      throw new InputError(
        `the database has schema version ${version}, newer than this Fairbound knows (${LATEST_VERSION}); update Fairbound`,
        { file: path },
      );
    }
    migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof Error && 'code' in err && (err.code === 'SQLITE_NOTADB' || err.code === 'SQLITE_CORRUPT')) {
      throw new InputError('not a Fairbound database (not an SQLite file, or damaged)', { file: path }, { cause: err });
    }
    throw err;
  }
  return db;
}

export function userVersion(db: ReadableDB): number {
  return db.pragma('user_version', { simple: true }) as number;
}
