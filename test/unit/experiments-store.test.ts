/**
 * Invariant under test: migration 2 adds the experiment tables in one step with user_version = 2; an
 * experiment owns its resamples and trials (deleted with it), outlives its dataset (dataset_id → NULL),
 * and its rows keep NaN, ±∞ and blobs exactly.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { TrialResult } from '../../src-main/experiments/types';
import { openWorkspace, userVersion, type WritableDB } from '../../src-main/store/database';
import {
  decodeNumbers,
  deleteFinishedExperiment,
  encodeNumbers,
  finishExperimentRun,
  getExperiment,
  getResample,
  insertExperiment,
  insertTrial,
  listExperiments,
  listTrials,
  markExperimentRunning,
  storedTrialKeys,
  trialKey,
} from '../../src-main/store/experiments';
import { migrations } from '../../src-main/store/migrations';
import { useTempDir } from '../support/images';
import { QSA_FEATURES_SETTINGS } from '../support/experiment-settings';

const tempDir = useTempDir();

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(table) as { name: string }[]).map((c) => c.name);
}

function withDataset(db: WritableDB): number {
  db.exec(`INSERT INTO dataset (id, name, format, source_json, created_at, n_rows, label_column, n_classes, label_mapping_json)
           VALUES (1, 'd', 'seldonian', '{}', 'now', 4, 'y', 2, '{}')`);
  return insertExperiment(
    db,
    { name: 'e', datasetId: 1, datasetName: 'd', nRows: 4, constraints: [{ source: 'ACC >= 0.5', parsed: '0.5-(ACC)', delta: 0.05 }], settings: QSA_FEATURES_SETTINGS, seed: 7 },
    [
      { trialIndex: 0, seed: 11, indices: Int32Array.of(3, 3, 0, 1) },
      { trialIndex: 1, seed: 12, indices: Int32Array.of(2, 1, 0, 0) },
    ],
  );
}

const trial: TrialResult = {
  model: 'qsa-features',
  fractionIndex: 0,
  fraction: 0.5,
  trialIndex: 1,
  nRows: 2,
  passed: false,
  performance: Number.NaN,
  g: [-Infinity, Number.NaN, Infinity, -0.0132],
  theta: null,
  nsfReason: 'safety test failed',
  durationSeconds: 0.25,
};

describe('migration 2: experiments, resamples, trials', () => {
  it('creates the tables with their columns and sets user_version = 2', () => {
    const db = new Database(join(tempDir(), 'm2.db')) as WritableDB;
    try {
      migrations[0].migrate(db);
      expect(userVersion(db)).toBe(1);
      migrations[1].migrate(db);
      expect(userVersion(db)).toBe(2);
      expect(columns(db, 'experiment')).toEqual([
        'id', 'name', 'dataset_id', 'dataset_name', 'n_rows', 'constraints_json', 'settings_json', 'seed', 'status', 'error', 'created_at',
        'started_at', 'finished_at', 'run_seconds',
      ]);
      expect(columns(db, 'experiment_resample')).toEqual(['experiment_id', 'trial_index', 'seed', 'indices']);
      expect(columns(db, 'trial')).toEqual([
        'id', 'experiment_id', 'model', 'fraction_index', 'data_frac', 'trial_index', 'n_rows', 'passed', 'performance', 'g_json', 'theta',
        'nsf_reason', 'duration_s', 'finished_at',
      ]);
      // Loading an experiment's trials uses the unique index, not a scan.
      const plan = db.prepare('EXPLAIN QUERY PLAN SELECT model FROM trial WHERE experiment_id = 1').all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX/);
      expect(() => migrations[1].migrate(db)).not.toThrow();
      expect(userVersion(db)).toBe(2);
    } finally {
      db.close();
    }
  });

  it('keeps NaN, ±∞, blobs and timings of a trial exactly; lists keys for resuming', () => {
    const db = openWorkspace(join(tempDir(), 'w.db'));
    try {
      const id = withDataset(db);
      expect(getResample(db, id, 0)).toEqual(Int32Array.of(3, 3, 0, 1));
      expect(getResample(db, id, 5)).toBeUndefined();
      insertTrial(db, id, trial);
      insertTrial(db, id, { ...trial, trialIndex: 0, passed: true, performance: 0.75, g: [-0.5, 0, 0, 0], theta: Float64Array.of(0.5, -1.25) });
      const [first, second] = listTrials(db, id);
      expect(first.trialIndex).toBe(0);
      expect(first.theta).toEqual(Float64Array.of(0.5, -1.25));
      expect(second.performance).toBeNaN();
      expect(second.g).toEqual([-Infinity, Number.NaN, Infinity, -0.0132]);
      expect(second.nsfReason).toBe('safety test failed');
      expect(second.durationSeconds).toBe(0.25);
      expect(storedTrialKeys(db, id)).toEqual(new Set([trialKey('qsa-features', 0, 1), trialKey('qsa-features', 0, 0)]));
      expect(() => insertTrial(db, id, trial)).toThrow(/UNIQUE/);
      expect(() => insertTrial(db, id, { ...trial, trialIndex: 9 })).toThrow(/FOREIGN KEY/); // no resample 9
      expect(decodeNumbers(encodeNumbers([1.5, -Infinity, Infinity, Number.NaN]))).toEqual([1.5, -Infinity, Infinity, Number.NaN]);
      expect(listExperiments(db)[0]).toMatchObject({ id, trialsStored: 2, trialsPlanned: 4, status: 'running' });
    } finally {
      db.close();
    }
  });

  it('records each run: status, error and the summed wall time', () => {
    const db = openWorkspace(join(tempDir(), 'runs.db'));
    try {
      const id = withDataset(db);
      finishExperimentRun(db, id, { status: 'cancelled', seconds: 2 });
      expect(getExperiment(db, id)).toMatchObject({ status: 'cancelled', error: null, runSeconds: 2 });
      markExperimentRunning(db, id);
      expect(getExperiment(db, id)).toMatchObject({ status: 'running', finishedAt: null });
      finishExperimentRun(db, id, { status: 'failed', error: 'boom', seconds: 1.5 });
      expect(getExperiment(db, id)).toMatchObject({ status: 'failed', error: 'boom', runSeconds: 3.5 });
      expect(() => db.exec(`UPDATE experiment SET status = 'failed', error = NULL WHERE id = ${id}`)).toThrow(/CHECK/);
      expect(() => db.exec(`UPDATE experiment SET status = 'done' WHERE id = ${id}`)).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });

  it('outlives its dataset and takes its resamples and trials along when deleted', () => {
    const db = openWorkspace(join(tempDir(), 'fk.db'));
    try {
      const id = withDataset(db);
      insertTrial(db, id, trial);
      db.exec('DELETE FROM dataset WHERE id = 1');
      expect(getExperiment(db, id)).toMatchObject({ datasetId: null, datasetName: 'd' });
      expect(listTrials(db, id)).toHaveLength(1);
      // A running experiment is kept; once ended it is deleted with its resamples and trials.
      expect(deleteFinishedExperiment(db, id)).toEqual({ outcome: 'active', status: 'running' });
      db.exec(`UPDATE experiment SET status = 'completed', finished_at = '2026-01-01T00:00:00Z'`);
      expect(deleteFinishedExperiment(db, id)).toEqual({ outcome: 'deleted' });
      const count = (t: string): number => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
      expect([count('experiment'), count('experiment_resample'), count('trial')]).toEqual([0, 0, 0]);
      expect(deleteFinishedExperiment(db, id)).toEqual({ outcome: 'missing' });
    } finally {
      db.close();
    }
  });
});
