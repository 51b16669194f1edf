/**
 * Invariant under test: only Fairbound workspaces are opened as workspaces. A workspace carries
 * `application_id` 'FBND'; an empty file is initialised and stamped; a workspace made before the mark
 * (application_id 0, Fairbound's tables, user_version 1..latest) is recognised by its tables and
 * stamped; any other SQLite database is refused ("not a Fairbound workspace", exit 2 in the CLI) and
 * left byte-for-byte as it was, without a -wal file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src-main/errors/input-error';
import { applicationId, openWorkspace, userVersion, WORKSPACE_APPLICATION_ID, type WritableDB } from '../../src-main/store/database';
import { LATEST_VERSION, migrate, migrations } from '../../src-main/store/migrations';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';

const tempDir = useTempDir();

function foreignDatabase(path: string, setup: (db: Database.Database) => void): Buffer {
  const raw = new Database(path);
  setup(raw);
  raw.close();
  return readFileSync(path);
}

describe('a foreign SQLite database given as the workspace', () => {
  it('is refused by the CLI with exit 2, and the file is byte-for-byte unchanged, with no -wal file', async () => {
    const path = join(tempDir(), 'someone-else.db');
    const before = foreignDatabase(path, (db) => {
      db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')");
      db.pragma('user_version = 3');
    });
    const result = await cli('datasets', 'list', '--db', path);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path}: not a Fairbound workspace`);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(existsSync(`${path}-shm`)).toBe(false);
  });

  it('is refused whatever its user_version or application_id, also when it holds Fairbound-like tables plus others', () => {
    const cases: [string, (db: Database.Database) => void][] = [
      ['other-app.db', (db) => db.pragma('application_id = 1234')],
      ['version-only.db', (db) => db.pragma('user_version = 2')],
      ['unmarked-newer.db', (db) => db.pragma(`user_version = ${LATEST_VERSION + 1}`)],
      [
        'extra-table.db',
        (db) => {
          migrate(db as WritableDB);
          db.exec('CREATE TABLE extra (x)');
        },
      ],
      ['tables-no-version.db', (db) => db.exec('CREATE TABLE dataset (id INTEGER PRIMARY KEY)')],
    ];
    for (const [name, setup] of cases) {
      const path = join(tempDir(), name);
      const before = foreignDatabase(path, setup);
      expect(() => openWorkspace(path), name).toThrow(InputError);
      expect(() => openWorkspace(path), name).toThrow(`${path}: not a Fairbound workspace`);
      expect(readFileSync(path).equals(before), name).toBe(true);
      expect(existsSync(`${path}-wal`), name).toBe(false);
    }
  });
});

describe('workspaces', () => {
  it('a new file (or an empty one) is initialised and stamped', () => {
    for (const path of [join(tempDir(), 'new.db'), join(tempDir(), 'empty.db')]) {
      if (path.endsWith('empty.db')) writeFileSync(path, '');
      const db = openWorkspace(path);
      try {
        expect(applicationId(db)).toBe(WORKSPACE_APPLICATION_ID);
        expect(userVersion(db)).toBe(LATEST_VERSION);
      } finally {
        db.close();
      }
      // SQLite's header (offset 68) holds the id big-endian: the ASCII of 'FBND'.
      expect(readFileSync(path).subarray(68, 72).toString('latin1')).toBe('FBND');
    }
  });

  it('one made before the mark (application_id 0) is recognised by its tables, stamped and keeps its rows', async () => {
    const path = join(tempDir(), 'old.db');
    const made = openWorkspace(path);
    made.exec("INSERT INTO import_job (format, dataset_name, options_json, status, started_at, finished_at, error) VALUES ('idx', 'kept', '{}', 'failed', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', 'x')");
    made.pragma('application_id = 0');
    made.close();
    const result = await cli('datasets', 'jobs', '--db', path, '--json');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('kept');
    const db = openWorkspace(path);
    try {
      expect(applicationId(db)).toBe(WORKSPACE_APPLICATION_ID);
    } finally {
      db.close();
    }
  });

  it('an unmarked workspace at an older version is stamped and migrated to the latest', () => {
    for (let version = 1; version < LATEST_VERSION; version++) {
      const path = join(tempDir(), `v${version}.db`);
      const raw = new Database(path) as WritableDB;
      migrate(raw, migrations.slice(0, version));
      raw.close();
      const db = openWorkspace(path);
      try {
        expect(applicationId(db)).toBe(WORKSPACE_APPLICATION_ID);
        expect(userVersion(db)).toBe(LATEST_VERSION);
      } finally {
        db.close();
      }
    }
  });
});
