/**
 * Migration 9: a run's backend preference may be 'webgpu'. The CHECK is edited in place (rebuilding
 * `run` would cascade-delete its results), so: existing runs and their results survive, 'webgpu' is
 * accepted, anything else still is not, the schema passes integrity_check, and a second connection that
 * had the file open sees the new constraint.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { userVersion, type WritableDB } from '../../src-main/store/database';
import { migrations } from '../../src-main/store/migrations';
import { useTempDir } from '../support/images';

const tempDir = useTempDir();

function insertRun(db: Database.Database, preference: string): void {
  db.prepare(
    `INSERT INTO run (dataset_name, pipeline, architecture, constraints_json, settings_json, seed, seeds_json, backend_preference,
                      status, n_rows, n_candidate, n_safety, created_at)
     VALUES ('d', 'head', 'tutorial-g-cnn', '[]', '{}', 1, '{}', ?, 'queued', 2, 1, 1, 'now')`,
  ).run(preference);
}

describe('migration 9: webgpu as a run backend preference', () => {
  it('accepts webgpu, keeps existing runs with their results, still refuses unknown names, and sets user_version = 9', () => {
    const path = join(tempDir(), 'm9.db');
    const db = new Database(path) as WritableDB;
    const other = new Database(path);
    try {
      db.pragma('foreign_keys = ON');
      for (const m of migrations.slice(0, 8)) m.migrate(db);
      insertRun(db, 'wasm');
      db.exec(`INSERT INTO run_iteration (run_id, iteration, f, g_json, lambda_json, lagrangian) VALUES (1, 0, 0.5, '[]', '[]', 0.5)`);
      expect(() => insertRun(db, 'webgpu')).toThrow(/CHECK/);
      // A connection that has read the old schema.
      expect(() => insertRun(other, 'webgpu')).toThrow(/CHECK/);

      migrations[8].migrate(db);
      expect(userVersion(db)).toBe(9);
      insertRun(db, 'webgpu');
      insertRun(other, 'webgpu');
      expect(() => insertRun(db, 'webgl')).toThrow(/CHECK/);
      expect(db.prepare('SELECT backend_preference FROM run ORDER BY id').all()).toEqual([
        { backend_preference: 'wasm' },
        { backend_preference: 'webgpu' },
        { backend_preference: 'webgpu' },
      ]);
      expect(db.prepare('SELECT count(*) AS n FROM run_iteration').get()).toEqual({ n: 1 });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(() => migrations[8].migrate(db)).not.toThrow();
      expect(userVersion(db)).toBe(9);
    } finally {
      other.close();
      db.close();
    }
  });
});
