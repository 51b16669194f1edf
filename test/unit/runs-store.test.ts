/**
 * Invariants of the run tables (migration 0004, src-main/store/runs.ts):
 * - a fresh workspace migrates to schema 4 with the run tables, after 0002 and 0003;
 * - results go in all at once and only while the run is `running`: a run cancelled or failed meanwhile
 *   gets nothing (storeRunResults throws and writes no row);
 * - `endRun` ends only a queued or running run, keeping its settings and recording the reason;
 * - numbers survive storage: ±∞ in bounds and logs, NaN as NaN, blobs bit for bit.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { prepareRun } from '../../src-main/runs/prepare';
import { InputError } from '../../src-main/errors/input-error';
import { ConstraintCompileError } from '../../src-main/errors/constraint-compile-error';
import { openWorkspace, userVersion, type WritableDB } from '../../src-main/store/database';
import { decodeJson, encodeJson } from '../../src-main/store/json';
import {
  getRunConstraints,
  getRunIterations,
  getRunLatents,
  getRunRows,
  getRunWeights,
  RunNotRunningError,
  runResultCounts,
  storeRunResults,
  type RunResults,
} from '../../src-main/store/run-results';
import { endRun, getRun, insertRun, markRunStarted, requestRunCancel } from '../../src-main/store/runs';
import type { RunRequest } from '../../src-main/runs/types';
import type { BackendReport } from '../../src-main/deep/backend-types';
import { useTempDir } from '../support/images';

const tempDir = useTempDir();

const BACKEND: BackendReport = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: '4.22.0', preference: 'cpu', attempts: [{ candidate: 'cpu', ok: true, reason: 'test' }] };

const REQUEST: RunRequest = {
  dataset: 'bands',
  constraints: [{ source: 'ACC >= 0.6', delta: 0.1 }],
  pipeline: 'head',
  architecture: 'tutorial-j-cnn',
  resize: 48,
};

function workspace(): WritableDB {
  const db = openWorkspace(join(tempDir(), 'w.db'));
  insertSyntheticImageDataset(db, { name: 'bands', n: 50, size: 8, numClasses: 2, seed: 1 });
  return db;
}

function results(): RunResults {
  return {
    status: 'nsf',
    result: {
      verdict: 'nsf',
      outcome: { kind: 'no_solution_found', reason: 'failed_safety_test', message: 'x' },
      candidateSelection: { iterationsPlanned: 2, iterationsRun: 2, chosenIndex: 1, foundFeasible: false, returnedNsf: false },
      groupAccuracy: { of: 'candidate', threshold: 0.5, groups: [{ group: 'A', n: 0, accuracy: Number.NaN }] },
      trainedCnnGroupAccuracy: null,
      bodyTraining: null,
      latentDim: 2,
      nParams: 3,
    },
    timings: { total: 1.5 },
    iterations: [
      { iteration: 0, f: 0.7, g: [Infinity], lambda: [0.5], lagrangian: Infinity },
      { iteration: 1, f: Number.NaN, g: [-0.25], lambda: [0.5], lagrangian: Number.NaN },
    ],
    constraints: [
      {
        position: 0,
        source: 'ACC >= 0.6',
        parsed: '0.6-(ACC)',
        delta: 0.1,
        upperBound: 0.01,
        pointEstimate: -0.1,
        passed: false,
        nodes: [{ name: 'ACC', lower: 0.59, upper: Infinity, lowerNeeded: true, upperNeeded: false, deltaLower: 0.1, deltaUpper: null, nSamples: 25, mean: 0.7, std: 0.2 }],
      },
    ],
    weights: [
      { kind: 'cnn_initial', names: ['a', 'b'], shapes: [[2], [1, 1]], data: Float32Array.of(1.5, -2, 3.25) },
      { kind: 'head_initial', names: ['theta'], shapes: [[3]], data: Float64Array.of(0.1, 0.2, 1 / 3) },
    ],
    latents: { nRows: 2, dim: 2, data: Float32Array.of(0.1, 0.2, 0.3, 0.4) },
    rows: { rowOrder: Int32Array.of(1, 0), bodyRows: Int32Array.of(1) },
  };
}

describe('migration 0004', () => {
  it('creates the run tables on a fresh workspace (schema 4, after experiments and saved constraints)', () => {
    const db = openWorkspace(join(tempDir(), 'fresh.db'));
    try {
      expect(userVersion(db)).toBeGreaterThanOrEqual(4);
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['run', 'run_iteration', 'run_constraint', 'run_bound', 'run_weights', 'run_latents', 'run_rows', 'experiment', 'constraint_spec']));
    } finally {
      db.close();
    }
  });
});

describe('run rows', () => {
  it('stores results in one go while running, and every number and blob reads back as written', () => {
    const db = workspace();
    try {
      const id = insertRun(db, prepareRun(db, REQUEST).run);
      expect(getRun(db, id)).toMatchObject({ status: 'queued', nRows: 50, nCandidate: 25, nSafety: 25, backend: null });
      expect(markRunStarted(db, id, BACKEND)).toBe(true);
      expect(markRunStarted(db, id, BACKEND)).toBe(false);
      storeRunResults(db, id, results());
      const run = getRun(db, id)!;
      expect(run).toMatchObject({ status: 'nsf', phase: null, timings: { total: 1.5 }, backend: { name: 'cpu' } });
      expect(run.result!.groupAccuracy!.groups[0].accuracy).toBeNaN();
      const log = getRunIterations(db, id);
      expect(log[0]).toEqual({ iteration: 0, f: 0.7, g: [Infinity], lambda: [0.5], lagrangian: Infinity });
      expect(log[1].f).toBeNaN();
      const [c] = getRunConstraints(db, id);
      expect(c).toMatchObject({ upperBound: 0.01, passed: false, nodes: [{ name: 'ACC', lower: 0.59, upper: Infinity, deltaUpper: null }] });
      expect(getRunWeights(db, id, 'cnn_initial')!.data).toEqual(Float32Array.of(1.5, -2, 3.25));
      expect(getRunWeights(db, id, 'head_initial')!.data).toEqual(Float64Array.of(0.1, 0.2, 1 / 3));
      expect(getRunLatents(db, id)!.data).toEqual(Float32Array.of(0.1, 0.2, 0.3, 0.4));
      expect(getRunRows(db, id)).toEqual({ rowOrder: Int32Array.of(1, 0), bodyRows: Int32Array.of(1) });
      // A finished run cannot be ended again.
      expect(endRun(db, id, { status: 'failed', error: 'late' })).toBe(false);
      expect(getRun(db, id)!.status).toBe('nsf');
    } finally {
      db.close();
    }
  });

  it('refuses results for a run that was cancelled meanwhile, writing nothing', () => {
    const db = workspace();
    try {
      const id = insertRun(db, prepareRun(db, REQUEST).run);
      markRunStarted(db, id, BACKEND);
      expect(requestRunCancel(db, id)).toBe('running');
      expect(getRun(db, id)!.cancelRequested).toBe(true);
      expect(endRun(db, id, { status: 'cancelled', error: 'cancelled by the user' })).toBe(true);
      expect(() => storeRunResults(db, id, results())).toThrow(RunNotRunningError);
      expect(runResultCounts(db, id)).toEqual({ iterations: 0, constraints: 0, bounds: 0, weights: 0, latents: 0, rows: 0 });
      expect(getRun(db, id)).toMatchObject({ status: 'cancelled', error: 'cancelled by the user', result: null });
      expect(getRun(db, id)!.settings.body).toEqual({ epochs: 4, batchSize: 100, learningRate: 0.001, shuffleBatches: false });
    } finally {
      db.close();
    }
  });

  it('a queued run cannot receive results either', () => {
    const db = workspace();
    try {
      const id = insertRun(db, prepareRun(db, REQUEST).run);
      expect(() => storeRunResults(db, id, results())).toThrow(/is queued, not running/);
    } finally {
      db.close();
    }
  });
});

describe('prepareRun', () => {
  it('resolves Tutorial J defaults (head) and Tutorial G/H defaults (full)', () => {
    const db = workspace();
    try {
      const head = prepareRun(db, REQUEST).run;
      expect(head.settings.qsa).toMatchObject({ numIters: 1200, batchSize: null, alphaTheta: 0.01, alphaLambda: 0.01, lambdaInit: [0.5], betaVelocity: 0.9, betaRmsprop: 0.95 });
      expect(head.settings).toMatchObject({ fracSafety: 0.5, inputShape: [48, 48, 1], sourceShape: [8, 8, 1], resize: 48, qsaModel: 'logistic' });
      const full = prepareRun(db, { ...REQUEST, pipeline: 'full', architecture: 'tutorial-g-cnn', resize: undefined }).run;
      expect(full.settings.qsa).toMatchObject({ numIters: null, batchSize: 150, nEpochs: 5, alphaTheta: 0.001, alphaLambda: 0.01 });
      expect(full.settings.body).toBeNull();
    } finally {
      db.close();
    }
  });

  it('refuses bad input before anything is stored', () => {
    const db = workspace();
    try {
      expect(() => prepareRun(db, { ...REQUEST, dataset: 'nope' })).toThrow(InputError);
      expect(() => prepareRun(db, { ...REQUEST, resize: undefined })).toThrow(/too small.*resize them, e.g. to 48/);
      expect(() => prepareRun(db, { ...REQUEST, rows: 51 })).toThrow(/has only 50/);
      expect(() => prepareRun(db, { ...REQUEST, constraints: [{ source: 'ACC | [X] >= 0.5', delta: 0.05 }] })).toThrow(ConstraintCompileError);
      expect(() => prepareRun(db, { ...REQUEST, pipeline: 'full', iterations: 5 })).toThrow(/epochs × mini-batches/);
      expect(() => prepareRun(db, { ...REQUEST, rows: 1 })).toThrow(/both need at least one/);
    } finally {
      db.close();
    }
  });
});

describe('encodeJson / decodeJson', () => {
  it('round-trips non-finite numbers without confusing them with strings', () => {
    const value = { a: [Infinity, -Infinity, Number.NaN, 1], s: 'inf', nested: { x: null } };
    const back = decodeJson<typeof value>(encodeJson(value));
    expect(back.a.slice(0, 2)).toEqual([Infinity, -Infinity]);
    expect(back.a[2]).toBeNaN();
    expect(back.s).toBe('inf');
    expect(back.nested).toEqual({ x: null });
  });
});
