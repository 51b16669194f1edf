/**
 * The workspace database: one SQLite file per workspace, opened with WAL and foreign keys, migrated
 * to the latest schema on open. A failing migration stops the open (nothing half-migrated: each
 * migration is one transaction).
 *
 * A workspace is marked with `PRAGMA application_id = WORKSPACE_APPLICATION_ID`. Before anything is
 * written, the file is recognised: a marked workspace, an empty database (a new file), or a workspace
 * made before the mark existed (application_id 0, user_version 1..latest and exactly the tables
 * Fairbound's migrations create up to that version) is opened, stamped and migrated; any other
 * database is refused with an InputError and left byte-for-byte as it was (no WAL switch, no tables).
 *
 * Handles are branded so that functions say whether they write: `ReadableDB` for queries,
 * `WritableDB` (which is also readable) for anything that changes rows.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, win32 } from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../errors/input-error';
import { LATEST_VERSION, migrate, migrations } from './migrations';

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
  /** better-sqlite3's compiled addon, for runtimes with another ABI (the Electron app). */
  nativeBinding?: string;
}

/**
 * The `application_id` of every Fairbound workspace: the ASCII bytes of 'FBND' as a big-endian 32-bit
 * integer (SQLite stores it at offset 68 of the file header, where `file(1)` and other tools read it).
 */
export const WORKSPACE_APPLICATION_ID = 0x46424e44;

/**
 * Opens (creating if needed, with its folder) and migrates the workspace database at `path`
 * (`:memory:` for a throw-away one). A file that is not SQLite, another program's database, or one
 * written by a newer Fairbound is an InputError naming the file, and the file is left untouched.
 */
export function openWorkspace(path: string, options: OpenOptions = {}): WritableDB {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 5000, nativeBinding: options.nativeBinding }) as WritableDB;
  try {
    // Only reads until the file is recognised: a refused database must stay exactly as it was.
    if (recognise(db, path) === 'unmarked') stamp(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL'); // the usual pairing with WAL: durable at checkpoints, never corrupt
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

export function applicationId(db: ReadableDB): number {
  return db.pragma('application_id', { simple: true }) as number;
}

/**
 * `marked`: a Fairbound workspace; `unmarked`: an empty database or a workspace from before the mark,
 * to be stamped. Anything else throws (an InputError naming the file).
 */
function recognise(db: WritableDB, path: string): 'marked' | 'unmarked' {
  const id = applicationId(db);
  const version = userVersion(db);
  if (id === WORKSPACE_APPLICATION_ID) {
    if (version > LATEST_VERSION) {
      throw new InputError(`the database has schema version ${version}, newer than this Fairbound knows (${LATEST_VERSION}); update Fairbound`, { file: path });
    }
    return 'marked';
  }
  const tables = tableNames(db);
  const objects = db.prepare("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").pluck().get() as number;
  if (id === 0 && version === 0 && objects === 0) return 'unmarked';
  if (id === 0 && version >= 1 && version <= LATEST_VERSION && sameNames(tables, fairboundTables(version))) return 'unmarked';
  const what = id !== 0 ? `application_id 0x${(id >>> 0).toString(16).padStart(8, '0')}` : `user_version ${version}`;
  const shown = tables.length === 0 ? 'no tables' : `tables ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}`;
  throw new InputError(`not a Fairbound workspace (an SQLite database of another program: ${what}, ${shown}); it was left unchanged`, { file: path });
}

/** Marks the database as a workspace, re-checking under the write lock (another process may open it too). */
function stamp(db: WritableDB, path: string): void {
  db.transaction(() => {
    if (recognise(db, path) === 'unmarked') db.pragma(`application_id = ${WORKSPACE_APPLICATION_ID}`);
  }).immediate();
}

function tableNames(db: ReadableDB): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
}

const tablesByVersion = new Map<number, readonly string[]>();

/** The tables a workspace at `version` has: those the migrations up to it create (in a throw-away database). */
function fairboundTables(version: number): readonly string[] {
  let names = tablesByVersion.get(version);
  if (names === undefined) {
    const scratch = new Database(':memory:') as WritableDB;
    try {
      migrate(scratch, migrations.slice(0, version));
      names = tableNames(scratch);
    } finally {
      scratch.close();
    }
    tablesByVersion.set(version, names);
  }
  return names;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
