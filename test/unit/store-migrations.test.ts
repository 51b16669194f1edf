/**
 * Invariant under test: opening a workspace migrates a fresh database to the latest schema, each
 * migration is all-or-nothing together with its `user_version`, and the connection runs in WAL mode
 * with foreign keys enforced. One block per migration.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src-main/errors/input-error';
import { openWorkspace, userVersion, WORKSPACE_APPLICATION_ID, type WritableDB } from '../../src-main/store/database';
import { LATEST_VERSION, migrate, migrations } from '../../src-main/store/migrations';
import { applyMigration } from '../../src-main/store/migrations/apply';
import { useTempDir } from '../support/images';

const tempDir = useTempDir();

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(table) as { name: string }[]).map((c) => c.name);
}

function tables(db: Database.Database): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
}

describe('openWorkspace', () => {
  it('creates the file (and its folder), in WAL mode with foreign keys on, at the latest version', () => {
    const path = join(tempDir(), 'nested', 'folder', 'fairbound.db');
    const db = openWorkspace(path);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(userVersion(db)).toBe(LATEST_VERSION);
      expect(LATEST_VERSION).toBe(migrations.length);
    } finally {
      db.close();
    }
  });

  it('reopening an up-to-date database changes nothing', () => {
    const path = join(tempDir(), 'w.db');
    openWorkspace(path).close();
    const db = openWorkspace(path);
    try {
      expect(userVersion(db)).toBe(LATEST_VERSION);
      expect(tables(db)).toContain('dataset');
    } finally {
      db.close();
    }
  });

  it('refuses a file that is not SQLite, naming it', () => {
    const path = join(tempDir(), 'notes.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough to fill a header page '.repeat(20));
    expect(() => openWorkspace(path)).toThrow(InputError);
    expect(() => openWorkspace(path)).toThrow(`${path}: not a Fairbound database`);
  });

  it('refuses a database from a newer Fairbound', () => {
    const path = join(tempDir(), 'future.db');
    const raw = new Database(path);
    raw.pragma(`application_id = ${WORKSPACE_APPLICATION_ID}`);
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    expect(() => openWorkspace(path)).toThrow(`schema version ${LATEST_VERSION + 1}, newer than this Fairbound knows (${LATEST_VERSION})`);
  });
});

describe('migration 1: datasets, samples, attributes, families, import jobs', () => {
  it('creates the tables with their columns and sets user_version = 1', () => {
    const db = new Database(join(tempDir(), 'm1.db')) as WritableDB;
    try {
      expect(userVersion(db)).toBe(0);
      migrations[0].migrate(db);
      expect(userVersion(db)).toBe(1);
      expect(tables(db)).toEqual(['attribute', 'attribute_family', 'dataset', 'import_job', 'sample']);
      expect(columns(db, 'sample')).toEqual([
        'id', 'dataset_id', 'order_index', 'source_index', 'source_file', 'source_row', 'raw_label', 'label', 'sensitive', 'pixels', 'features',
      ]);
      expect(columns(db, 'dataset')).toEqual(
        expect.arrayContaining(['name', 'format', 'n_rows', 'n_classes', 'label_mapping_json', 'shuffle_seed', 'image_width', 'feature_dtype']),
      );
      expect(columns(db, 'attribute')).toEqual(['dataset_id', 'position', 'name', 'family', 'derived_from']);
      expect(columns(db, 'attribute_family')).toEqual(['dataset_id', 'name', 'position']);
      expect(columns(db, 'import_job')).toEqual(
        expect.arrayContaining(['format', 'dataset_name', 'status', 'dataset_id', 'error', 'error_location_json', 'started_at', 'finished_at']),
      );
      // Loading a dataset in stored order uses the (dataset_id, order_index) index, not a sort of the table.
      const plan = db.prepare('EXPLAIN QUERY PLAN SELECT label FROM sample WHERE dataset_id = 1 ORDER BY order_index').all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX/);
      expect(plan.map((p) => p.detail).join(' ')).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });

  it('is skipped when already applied', () => {
    const db = new Database(join(tempDir(), 'm1b.db')) as WritableDB;
    try {
      migrations[0].migrate(db);
      expect(() => migrations[0].migrate(db)).not.toThrow();
      expect(userVersion(db)).toBe(1);
    } finally {
      db.close();
    }
  });

  it('cascades a dataset delete to its samples and attributes, and keeps the job with dataset_id NULL', () => {
    const db = openWorkspace(join(tempDir(), 'fk.db'));
    try {
      db.exec(`
        INSERT INTO dataset (id, name, format, source_json, created_at, n_rows, label_column, n_classes, label_mapping_json)
          VALUES (1, 'd', 'pixels', '{}', 'now', 1, 'y', 2, '{}');
        INSERT INTO attribute_family (dataset_id, name, position) VALUES (1, 'sex', 0);
        INSERT INTO attribute (dataset_id, position, name, family) VALUES (1, 0, 'M', 'sex'), (1, 1, 'F', 'sex');
        INSERT INTO sample (dataset_id, order_index, source_index, source_file, source_row, raw_label, label, sensitive)
          VALUES (1, 0, 0, 'a.csv', 2, '1', 1, x'0001');
        INSERT INTO import_job (format, dataset_name, options_json, status, dataset_id, started_at, finished_at)
          VALUES ('pixels', 'd', '{}', 'succeeded', 1, 'now', 'now');
      `);
      expect(() => db.exec(`INSERT INTO attribute (dataset_id, position, name, family) VALUES (1, 2, 'X', 'nope')`)).toThrow(/FOREIGN KEY/);
      expect(() =>
        db.exec(`INSERT INTO sample (dataset_id, order_index, source_index, source_file, source_row, raw_label, label, sensitive) VALUES (9, 0, 0, 'a', 1, '0', 0, x'00')`),
      ).toThrow(/FOREIGN KEY/);
      db.exec('DELETE FROM dataset WHERE id = 1');
      const count = (t: string): number => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
      expect([count('sample'), count('attribute'), count('attribute_family'), count('import_job')]).toEqual([0, 0, 0, 1]);
      expect(db.prepare('SELECT dataset_id FROM import_job').pluck().get()).toBeNull();
    } finally {
      db.close();
    }
  });

  it('rejects rows that break its CHECKs (a finished job without its time, an unknown format)', () => {
    const db = openWorkspace(join(tempDir(), 'checks.db'));
    try {
      expect(() => db.exec(`INSERT INTO import_job (format, dataset_name, options_json, status, started_at) VALUES ('idx', 'd', '{}', 'failed', 'now')`)).toThrow(
        /CHECK/,
      );
      expect(() =>
        db.exec(`INSERT INTO dataset (name, format, source_json, created_at, n_rows, label_column, n_classes, label_mapping_json) VALUES ('d', 'zip', '{}', 'now', 0, 'y', 2, '{}')`),
      ).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});

describe('migration 5: owners of runs and experiments', () => {
  const OWNER = ['owner_pid', 'owner_token', 'owner_host', 'owner_boot'];

  it('appends nullable owner columns to run and experiment, keeping existing rows (with no owner), and sets user_version = 5', () => {
    const db = new Database(join(tempDir(), 'm5.db')) as WritableDB;
    try {
      for (const m of migrations.slice(0, 4)) m.migrate(db);
      expect(userVersion(db)).toBe(4);
      const runColumns = columns(db, 'run');
      const experimentColumns = columns(db, 'experiment');
      // A row left running by a Fairbound of schema 4.
      db.exec(`INSERT INTO experiment (name, dataset_name, n_rows, constraints_json, settings_json, seed, status, created_at, started_at)
               VALUES ('e', 'd', 1, '[]', '{}', 1, 'running', 'now', 'now')`);
      migrations[4].migrate(db);
      expect(userVersion(db)).toBe(5);
      expect(columns(db, 'run')).toEqual([...runColumns, ...OWNER]);
      expect(columns(db, 'experiment')).toEqual([...experimentColumns, ...OWNER]);
      expect(db.prepare('SELECT status, owner_pid, owner_token, owner_host, owner_boot FROM experiment').get()).toEqual({
        status: 'running', owner_pid: null, owner_token: null, owner_host: null, owner_boot: null,
      });
      expect(() => db.exec(`UPDATE experiment SET owner_pid = 0`)).toThrow(/CHECK/);
      expect(() => migrations[4].migrate(db)).not.toThrow();
      expect(userVersion(db)).toBe(5);
    } finally {
      db.close();
    }
  });
});

describe('migration 6: the kernel each trial ran on', () => {
  it('appends nullable kernel_name / kernel_threads to trial, keeping existing trials (without a kernel), and sets user_version = 6', () => {
    const db = new Database(join(tempDir(), 'm6.db')) as WritableDB;
    try {
      for (const m of migrations.slice(0, 5)) m.migrate(db);
      expect(userVersion(db)).toBe(5);
      const trialColumns = columns(db, 'trial');
      // A trial stored by a Fairbound of schema 5.
      db.exec(`INSERT INTO experiment (name, dataset_name, n_rows, constraints_json, settings_json, seed, status, created_at, started_at)
               VALUES ('e', 'd', 1, '[]', '{}', 1, 'running', 'now', 'now');
               INSERT INTO experiment_resample (experiment_id, trial_index, seed, indices) VALUES (1, 0, 1, x'00000000');
               INSERT INTO trial (experiment_id, model, fraction_index, data_frac, trial_index, n_rows, passed, performance, g_json, duration_s, finished_at)
               VALUES (1, 'qsa-features', 0, 1, 0, 1, 1, 0.5, '[-1]', 0.1, 'now')`);
      migrations[5].migrate(db);
      expect(userVersion(db)).toBe(6);
      expect(columns(db, 'trial')).toEqual([...trialColumns, 'kernel_name', 'kernel_threads']);
      expect(db.prepare('SELECT model, kernel_name, kernel_threads FROM trial').get()).toEqual({ model: 'qsa-features', kernel_name: null, kernel_threads: null });
      db.exec(`UPDATE trial SET kernel_name = 'simd', kernel_threads = 2`);
      for (const bad of [`kernel_name = 'gpu'`, `kernel_threads = 0`, `kernel_threads = NULL`, `kernel_name = NULL`]) {
        expect(() => db.exec(`UPDATE trial SET ${bad}`), bad).toThrow(/CHECK/);
      }
      expect(() => migrations[5].migrate(db)).not.toThrow();
      expect(userVersion(db)).toBe(6);
    } finally {
      db.close();
    }
  });
});

describe('migration 7: the error of a failed trial', () => {
  it('appends a nullable error to trial, keeping existing trials (without one), and sets user_version = 7', () => {
    const db = new Database(join(tempDir(), 'm7.db')) as WritableDB;
    try {
      for (const m of migrations.slice(0, 6)) m.migrate(db);
      expect(userVersion(db)).toBe(6);
      const trialColumns = columns(db, 'trial');
      // Trials stored by a Fairbound of schema 6: one with a solution, one NSF.
      db.exec(`INSERT INTO experiment (name, dataset_name, n_rows, constraints_json, settings_json, seed, status, created_at, started_at)
               VALUES ('e', 'd', 1, '[]', '{}', 1, 'running', 'now', 'now');
               INSERT INTO experiment_resample (experiment_id, trial_index, seed, indices) VALUES (1, 0, 1, x'00000000');
               INSERT INTO trial (experiment_id, model, fraction_index, data_frac, trial_index, n_rows, passed, performance, g_json, duration_s, finished_at)
               VALUES (1, 'qsa-features', 0, 1, 0, 1, 1, 0.5, '[-1]', 0.1, 'now');
               INSERT INTO trial (experiment_id, model, fraction_index, data_frac, trial_index, n_rows, passed, performance, g_json, nsf_reason, duration_s, finished_at)
               VALUES (1, 'logistic', 0, 1, 0, 1, 0, NULL, '["-inf"]', 'no solution', 0.1, 'now')`);
      migrations[6].migrate(db);
      expect(userVersion(db)).toBe(7);
      expect(columns(db, 'trial')).toEqual([...trialColumns, 'error']);
      expect(db.prepare('SELECT model, error FROM trial ORDER BY id').all()).toEqual([{ model: 'qsa-features', error: null }, { model: 'logistic', error: null }]);
      // A failed trial has no outcome: not passed, no performance, no NSF reason, and a message.
      db.exec(`INSERT INTO trial (experiment_id, model, fraction_index, data_frac, trial_index, n_rows, passed, performance, g_json, duration_s, finished_at, error)
               VALUES (1, 'flaky', 0, 1, 0, 1, 0, NULL, '["nan"]', 0.1, 'now', 'RangeError: boom')`);
      for (const bad of [`error = ''`, `error = 'x', passed = 1`, `error = 'x', performance = 0.5`, `error = 'x', nsf_reason = 'nsf'`]) {
        expect(() => db.exec(`UPDATE trial SET ${bad} WHERE model = 'flaky'`), bad).toThrow(/CHECK/);
      }
      expect(() => db.exec(`UPDATE trial SET error = 'x' WHERE model = 'logistic'`)).toThrow(/CHECK/);
      expect(() => migrations[6].migrate(db)).not.toThrow();
      expect(userVersion(db)).toBe(7);
    } finally {
      db.close();
    }
  });
});

describe('migration 11: what computed a deep trial, and onnxruntime as a run backend preference', () => {
  it('appends a nullable backend to trial, keeping existing trials (without one), accepts the chain\'s names only, and sets user_version = 11', () => {
    const db = new Database(join(tempDir(), 'm11.db')) as WritableDB;
    try {
      for (const m of migrations.slice(0, 10)) m.migrate(db);
      expect(userVersion(db)).toBe(10);
      const trialColumns = columns(db, 'trial');
      db.exec(`INSERT INTO experiment (name, dataset_name, n_rows, constraints_json, settings_json, seed, status, created_at, started_at)
               VALUES ('e', 'd', 1, '[]', '{}', 1, 'running', 'now', 'now');
               INSERT INTO experiment_resample (experiment_id, trial_index, seed, indices) VALUES (1, 0, 1, x'00000000');
               INSERT INTO trial (experiment_id, model, fraction_index, data_frac, trial_index, n_rows, passed, performance, g_json, duration_s, finished_at)
               VALUES (1, 'qsa-head', 0, 1, 0, 1, 1, 0.5, '[-1]', 0.1, 'now')`);
      migrations[10].migrate(db);
      expect(userVersion(db)).toBe(11);
      expect(columns(db, 'trial')).toEqual([...trialColumns, 'backend']);
      expect(db.prepare('SELECT model, backend FROM trial').get()).toEqual({ model: 'qsa-head', backend: null });
      for (const name of ['webgpu', 'onnxruntime', 'tensorflow', 'wasm', 'cpu']) expect(() => db.exec(`UPDATE trial SET backend = '${name}'`), name).not.toThrow();
      expect(() => db.exec(`UPDATE trial SET backend = 'webgl'`)).toThrow(/CHECK/);
      expect(() => migrations[10].migrate(db)).not.toThrow();
      expect(userVersion(db)).toBe(11);
    } finally {
      db.close();
    }
  });

  it('lets a run prefer onnxruntime, keeping stored runs and their results (the CHECK edited in place, as schema 9)', () => {
    const db = new Database(join(tempDir(), 'm11-run.db')) as WritableDB;
    const insertRun = (preference: string): void => {
      db.prepare(
        `INSERT INTO run (dataset_name, pipeline, architecture, constraints_json, settings_json, seed, seeds_json, backend_preference,
                          status, n_rows, n_candidate, n_safety, created_at)
         VALUES ('d', 'head', 'tutorial-g-cnn', '[]', '{}', 1, '{}', ?, 'queued', 2, 1, 1, 'now')`,
      ).run(preference);
    };
    try {
      db.pragma('foreign_keys = ON');
      for (const m of migrations.slice(0, 10)) m.migrate(db);
      insertRun('wasm');
      db.exec(`INSERT INTO run_iteration (run_id, iteration, f, g_json, lambda_json, lagrangian) VALUES (1, 0, 0.5, '[]', '[]', 0.5)`);
      expect(() => insertRun('onnxruntime')).toThrow(/CHECK/);
      migrations[10].migrate(db);
      insertRun('onnxruntime');
      expect(() => insertRun('onnx')).toThrow(/CHECK/);
      expect(db.prepare('SELECT backend_preference FROM run ORDER BY id').all()).toEqual([{ backend_preference: 'wasm' }, { backend_preference: 'onnxruntime' }]);
      expect(db.prepare('SELECT count(*) AS n FROM run_iteration').get()).toEqual({ n: 1 });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(userVersion(db)).toBe(11);
    } finally {
      db.close();
    }
  });
});

describe('the migration runner', () => {
  it('rolls back a failing migration whole: neither its DDL nor its user_version remain', () => {
    const db = new Database(join(tempDir(), 'fail.db')) as WritableDB;
    try {
      const next = migrations.length + 1;
      const broken = {
        version: next,
        migrate: (d: WritableDB) =>
          applyMigration(d, next, () => {
            d.exec('CREATE TABLE half_done (x INTEGER)');
            d.exec('INSERT INTO no_such_table VALUES (1)');
          }),
      };
      expect(() => migrate(db, [...migrations, broken])).toThrow(/no such table/);
      expect(userVersion(db)).toBe(migrations.length);
      expect(tables(db)).not.toContain('half_done');
    } finally {
      db.close();
    }
  });

  it('refuses a list whose versions are not 1, 2, 3, …', () => {
    const db = new Database(':memory:') as WritableDB;
    try {
      expect(() => migrate(db, [{ version: 2, migrate: () => undefined }])).toThrow(/versions must be 1, 2, 3/);
    } finally {
      db.close();
    }
  });
});

describe('migration 8: names and notes of runs and experiments', () => {
  it('appends nullable name / notes to run and notes to experiment, keeping existing rows (with none), and sets user_version = 8', () => {
    const db = new Database(join(tempDir(), 'm8.db')) as WritableDB;
    try {
      for (const m of migrations.slice(0, 7)) m.migrate(db);
      const runColumns = columns(db, 'run');
      const experimentColumns = columns(db, 'experiment');
      db.exec(`INSERT INTO experiment (name, dataset_name, n_rows, constraints_json, settings_json, seed, status, created_at, started_at)
               VALUES ('e', 'd', 1, '[]', '{}', 1, 'running', 'now', 'now')`);
      migrations[7].migrate(db);
      expect(userVersion(db)).toBe(8);
      expect(columns(db, 'run')).toEqual([...runColumns, 'name', 'notes']);
      expect(columns(db, 'experiment')).toEqual([...experimentColumns, 'notes']);
      expect(db.prepare('SELECT name, notes FROM experiment').all()).toEqual([{ name: 'e', notes: null }]);
      db.exec(`UPDATE experiment SET notes = 'light/dark, 10k rows'`);
      expect(() => db.exec(`UPDATE experiment SET notes = ''`)).toThrow(/CHECK/);
      expect(() => migrations[7].migrate(db)).not.toThrow();
    } finally {
      db.close();
    }
  });
});

describe('migration 10: the pretrained pipeline', () => {
  it("accepts pipeline 'pretrained', keeps existing runs with their results, still refuses unknown pipelines, and sets user_version = 10", () => {
    const db = new Database(join(tempDir(), 'm10.db')) as WritableDB;
    const insert = (pipeline: string): void => {
      db.prepare(
        `INSERT INTO run (dataset_name, pipeline, architecture, constraints_json, settings_json, seed, seeds_json, backend_preference,
                          status, n_rows, n_candidate, n_safety, created_at)
         VALUES ('d', ?, 'tutorial-j-cnn', '[]', '{}', 1, '{}', 'auto', 'queued', 2, 1, 1, 'now')`,
      ).run(pipeline);
    };
    try {
      db.pragma('foreign_keys = ON');
      for (const m of migrations.slice(0, 9)) m.migrate(db);
      insert('head');
      db.exec(`INSERT INTO run_iteration (run_id, iteration, f, g_json, lambda_json, lagrangian) VALUES (1, 0, 0.5, '[]', '[]', 0.5)`);
      expect(() => insert('pretrained')).toThrow(/CHECK/);
      migrations[9].migrate(db);
      expect(userVersion(db)).toBe(10);
      insert('pretrained');
      expect(() => insert('transfer')).toThrow(/CHECK/);
      expect(db.prepare('SELECT pipeline FROM run ORDER BY id').all()).toEqual([{ pipeline: 'head' }, { pipeline: 'pretrained' }]);
      expect(db.prepare('SELECT count(*) AS n FROM run_iteration').get()).toEqual({ n: 1 });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(() => migrations[9].migrate(db)).not.toThrow();
      expect(userVersion(db)).toBe(10);
    } finally {
      db.close();
    }
  });
});
