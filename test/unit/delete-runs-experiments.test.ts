/**
 * Invariant under test: deleting a run or an experiment removes the row and every row that depends on it
 * (iterations, constraint results, bounds, weights, latents, row lists; trials and resamples) in one
 * transaction, touches nothing of any other run or experiment, and is refused while the run is queued or
 * running / the experiment is running — in the store (even on a connection without foreign keys) and
 * through the services' `runs.delete` / `experiments.delete` routes, whose refusal is a `conflict` error
 * that says what to do (on a real temporary database, the handler table through createServices).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { isProcessAlive, thisProcess } from '../../src-main/store/owner';
import { prepareRun } from '../../src-main/runs/prepare';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { createServices } from '../../src-main/services';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { deleteFinishedExperiment, finishExperimentRun, getExperiment, insertExperiment, insertTrial, listTrials } from '../../src-main/store/experiments';
import { runResultCounts, storeRunResults, type RunResults } from '../../src-main/store/run-results';
import { deleteFinishedRun, getRun, insertRun, markRunStarted } from '../../src-main/store/runs';
import type { BackendReport } from '../../src-main/deep/backend-types';
import { useTempDir } from '../support/images';
import { QSA_FEATURES_SETTINGS } from '../support/experiment-settings';

const tempDir = useTempDir('fairbound-delete-');

const BACKEND: BackendReport = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: '4.22.0', preference: 'cpu', attempts: [{ candidate: 'cpu', ok: true, reason: 'test' }] };

function results(): RunResults {
  return {
    status: 'passed',
    result: {
      verdict: 'passed',
      outcome: { kind: 'passed', reason: null, message: null },
      candidateSelection: { iterationsPlanned: 1, iterationsRun: 1, chosenIndex: 0, foundFeasible: true, returnedNsf: false },
      groupAccuracy: null,
      trainedCnnGroupAccuracy: null,
      bodyTraining: null,
      latentDim: 2,
      nParams: 3,
    },
    timings: { total: 1 },
    iterations: [{ iteration: 0, f: 0.5, g: [-0.1], lambda: [0.5], lagrangian: 0.45 }],
    constraints: [
      {
        position: 0,
        source: 'ACC >= 0.6',
        parsed: '0.6-(ACC)',
        delta: 0.1,
        upperBound: -0.01,
        pointEstimate: -0.1,
        passed: true,
        nodes: [{ name: 'ACC', lower: 0.61, upper: Infinity, lowerNeeded: true, upperNeeded: false, deltaLower: 0.1, deltaUpper: null, nSamples: 25, mean: 0.7, std: 0.2 }],
      },
    ],
    weights: [{ kind: 'head_solution', names: ['theta'], shapes: [[3]], data: Float64Array.of(0.1, 0.2, 0.3) }],
    latents: { nRows: 2, dim: 2, data: Float32Array.of(0.1, 0.2, 0.3, 0.4) },
    rows: { rowOrder: Int32Array.of(1, 0), bodyRows: Int32Array.of(1) },
  };
}

const FULL = { iterations: 1, constraints: 1, bounds: 1, weights: 1, latents: 1, rows: 1 };
const NONE = { iterations: 0, constraints: 0, bounds: 0, weights: 0, latents: 0, rows: 0 };

/** A workspace with a dataset and `n` runs, queued. */
function withRuns(path: string, n: number): { db: WritableDB; ids: number[] } {
  const db = openWorkspace(path);
  insertSyntheticImageDataset(db, { name: 'bands', n: 50, size: 8, numClasses: 2, seed: 1 });
  const ids = Array.from({ length: n }, () =>
    insertRun(db, prepareRun(db, { dataset: 'bands', constraints: [{ source: 'ACC >= 0.6', delta: 0.1 }], pipeline: 'head', architecture: 'tutorial-j-cnn', resize: 48 }).run),
  );
  return { db, ids };
}

function finish(db: WritableDB, id: number): void {
  markRunStarted(db, id, BACKEND);
  storeRunResults(db, id, results());
}

/** An experiment (status running, as created) with two resamples and one trial. */
function addExperiment(db: WritableDB, datasetId: number): number {
  const id = insertExperiment(
    db,
    { name: 'e', datasetId, datasetName: 'bands', nRows: 4, constraints: [{ source: 'ACC >= 0.5', parsed: '0.5-(ACC)', delta: 0.05 }], settings: QSA_FEATURES_SETTINGS, seed: 7 },
    [
      { trialIndex: 0, seed: 11, indices: Int32Array.of(3, 3, 0, 1) },
      { trialIndex: 1, seed: 12, indices: Int32Array.of(2, 1, 0, 0) },
    ],
  );
  insertTrial(db, id, { model: 'qsa-features', fractionIndex: 0, fraction: 0.5, trialIndex: 1, nRows: 2, passed: true, performance: 0.5, g: [-0.1], theta: Float64Array.of(1, 2), nsfReason: null, durationSeconds: 0.1 });
  return id;
}

function experimentRows(db: WritableDB, id: number): { resamples: number; trials: number } {
  const n = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE experiment_id = ?`).get(id) as { n: number }).n;
  return { resamples: n('experiment_resample'), trials: n('trial') };
}

describe('deleting runs in the store', () => {
  it('refuses a queued or running run, then deletes a finished one with all its rows and nothing else', () => {
    const { db, ids } = withRuns(join(tempDir(), 'w.db'), 2);
    const [a, b] = ids;
    try {
      expect(deleteFinishedRun(db, a)).toEqual({ outcome: 'active', status: 'queued' });
      markRunStarted(db, a, BACKEND);
      expect(deleteFinishedRun(db, a)).toEqual({ outcome: 'active', status: 'running' });
      storeRunResults(db, a, results());
      finish(db, b);
      expect(runResultCounts(db, a)).toEqual(FULL);

      expect(deleteFinishedRun(db, a)).toEqual({ outcome: 'deleted' });
      expect(getRun(db, a)).toBeUndefined();
      expect(runResultCounts(db, a)).toEqual(NONE);
      expect(getRun(db, b)?.status).toBe('passed');
      expect(runResultCounts(db, b)).toEqual(FULL);
      expect(deleteFinishedRun(db, a)).toEqual({ outcome: 'missing' });
    } finally {
      db.close();
    }
  });

  it('leaves no orphans on a connection opened without foreign keys', () => {
    const path = join(tempDir(), 'w.db');
    const setup = withRuns(path, 1);
    finish(setup.db, setup.ids[0]);
    setup.db.close();
    const raw = new Database(path) as WritableDB;
    try {
      raw.pragma('foreign_keys = OFF');
      expect(deleteFinishedRun(raw, setup.ids[0])).toEqual({ outcome: 'deleted' });
      expect(runResultCounts(raw, setup.ids[0])).toEqual(NONE);
    } finally {
      raw.close();
    }
  });
});

describe('deleting experiments in the store', () => {
  it('refuses a running experiment, then deletes it with its trials and resamples only', () => {
    const { db } = withRuns(join(tempDir(), 'w.db'), 0);
    try {
      const first = addExperiment(db, 1);
      const second = addExperiment(db, 1);
      expect(deleteFinishedExperiment(db, first)).toEqual({ outcome: 'active', status: 'running' });
      expect(experimentRows(db, first)).toEqual({ resamples: 2, trials: 1 });
      finishExperimentRun(db, first, { status: 'cancelled', seconds: 1 });
      expect(deleteFinishedExperiment(db, first)).toEqual({ outcome: 'deleted' });
      expect(getExperiment(db, first)).toBeUndefined();
      expect(experimentRows(db, first)).toEqual({ resamples: 0, trials: 0 });
      expect(experimentRows(db, second)).toEqual({ resamples: 2, trials: 1 });
      expect(listTrials(db, second)).toHaveLength(1);
      expect(deleteFinishedExperiment(db, first)).toEqual({ outcome: 'missing' });
    } finally {
      db.close();
    }
  });
});

describe('runs.delete and experiments.delete through the services', () => {
  it('delete finished ones, refuse running ones with a conflict that says what to do, and validate input', async () => {
    const dbPath = join(tempDir(), 'w.db');
    const { db, ids } = withRuns(dbPath, 3);
    const [done, running, activeHere] = ids;
    finish(db, done);
    markRunStarted(db, running, BACKEND);
    finish(db, activeHere);
    const runningExperiment = addExperiment(db, 1);
    const finishedExperiment = addExperiment(db, 1);
    finishExperimentRun(db, finishedExperiment, { status: 'completed', seconds: 2 });
    const activeExperiment = addExperiment(db, 1);
    finishExperimentRun(db, activeExperiment, { status: 'completed', seconds: 2 });
    db.close();

    const services = createServices({ dbPath, runtime: 'browser', log: () => undefined });
    try {
      expect(await services.invoke('runs.delete', { runId: done })).toEqual({ ok: true, value: { deleted: true } });
      expect(await services.invoke('runs.delete', { runId: done })).toEqual({ ok: true, value: { deleted: false } });
      const refused = await services.invoke('runs.delete', { runId: running });
      expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
      expect(!refused.ok && refused.error.message).toMatch(/run \d+ is running: cancel it/);
      // A run this process still follows is refused even if its row already says it ended.
      services.context.activeRuns.set(activeHere, 'job-x');
      expect(await services.invoke('runs.delete', { runId: activeHere })).toMatchObject({ ok: false, error: { code: 'conflict' } });
      services.context.activeRuns.delete(activeHere);
      expect(await services.invoke('runs.delete', { runId: activeHere })).toEqual({ ok: true, value: { deleted: true } });
      expect(await services.invoke('runs.delete', { runId: 'one' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      const listed = await services.invoke('runs.list', {});
      expect(listed.ok && (listed.value as { id: number }[]).map((r) => r.id)).toEqual([running]);

      const refusedExperiment = await services.invoke('experiments.delete', { experimentId: runningExperiment });
      expect(refusedExperiment).toMatchObject({ ok: false, error: { code: 'conflict' } });
      expect(!refusedExperiment.ok && refusedExperiment.error.message).toMatch(/is running: cancel it/);
      services.context.activeExperiments.set(activeExperiment, 'job-y');
      expect(await services.invoke('experiments.delete', { experimentId: activeExperiment })).toMatchObject({ ok: false, error: { code: 'conflict' } });
      services.context.activeExperiments.delete(activeExperiment);
      expect(await services.invoke('experiments.delete', { experimentId: finishedExperiment })).toEqual({ ok: true, value: { deleted: true } });
      expect(await services.invoke('experiments.delete', { experimentId: finishedExperiment })).toEqual({ ok: true, value: { deleted: false } });
      const experiments = await services.invoke('experiments.list', {});
      expect(experiments.ok && (experiments.value as { id: number }[]).map((e) => e.id).sort()).toEqual([runningExperiment, activeExperiment].sort());
    } finally {
      await services.close();
    }
  });
});

describe('the CLI refuses to delete a running run or experiment', () => {
  // The owner is a live sleeping child, so the CLI's recovery of interrupted jobs leaves the rows running.
  let sleeper: ChildProcess;
  beforeAll(() => {
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
    expect(isProcessAlive(sleeper.pid!)).toBe(true);
  });
  afterAll(() => {
    sleeper.kill();
  });

  it('`fairbound run delete` and `fairbound experiment delete` exit 2 and keep the row; a missing id exits 2 too', async () => {
    const path = join(tempDir(), 'w.db');
    const { db, ids } = withRuns(path, 1);
    const [runId] = ids;
    let experimentId = 0;
    try {
      markRunStarted(db, runId, BACKEND);
      experimentId = addExperiment(db, 1);
      const me = thisProcess();
      for (const table of ['run', 'experiment'] as const) {
        db.prepare(`UPDATE ${table} SET owner_pid = ?, owner_token = 'other', owner_host = ?, owner_boot = ? WHERE id = ?`).run(
          sleeper.pid,
          me.host,
          me.boot,
          table === 'run' ? runId : experimentId,
        );
      }
    } finally {
      db.close();
    }
    const cli = async (...args: string[]): Promise<{ code: number; stderr: string }> => {
      let stderr = '';
      const code = await runCli([...args, '--db', path], { stdout: () => undefined, stderr: (t) => void (stderr += t) });
      return { code, stderr };
    };
    expect(await cli('experiment', 'delete', String(experimentId))).toMatchObject({ code: 2, stderr: expect.stringContaining(`experiment ${experimentId} is running: cancel it first`) as unknown });
    expect(await cli('run', 'delete', String(runId))).toMatchObject({ code: 2, stderr: expect.stringContaining(`run ${runId} is running: cancel it first`) as unknown });
    expect(await cli('experiment', 'delete', '999')).toMatchObject({ code: 2, stderr: expect.stringContaining('no experiment 999') as unknown });
    expect((await cli('run', 'delete', '999')).code).toBe(2);
    const check = openWorkspace(path);
    try {
      expect(getExperiment(check, experimentId)?.status).toBe('running');
      expect(experimentRows(check, experimentId)).toEqual({ resamples: 2, trials: 1 });
      expect(getRun(check, runId)?.status).toBe('running');
    } finally {
      check.close();
    }
  });
});
