/**
 * Invariants of a training run executed in this process, on small synthetic image
 * datasets and the wasm backend:
 * - head pipeline: the body is trained on candidate rows only, and no safety row is among the rows
 *   recorded as having trained it; the latent features of every row, the iteration log, the bounds and
 *   the weights are stored in one go; the initial CNN weights stored by value rebuild the same initial
 *   model; no tensor is left behind;
 * - full pipeline: the CNN's trainable weights are θ, mini-batches as the engine makes them (consecutive
 *   slices, no shuffling), results stored;
 * - a cancel (the database flag, polled inside the engine's synchronous loop) leaves the run
 *   `cancelled` with its settings and reason and no results at all.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { predictProbabilities } from '../../src-main/deep/inference';
import { getWeightsByValue, setWeights } from '../../src-main/deep/weights';
import { exportLatentsCase, splitWeights } from '../../src-main/runs/export';
import { runQsaCase } from '../../src-main/engine/run-case';
import { executeRun } from '../../src-main/runs/pipeline';
import { prepareRun } from '../../src-main/runs/prepare';
import { resizeImages } from '../../src-main/deep/resize';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import type { RunEvent, RunRequest } from '../../src-main/runs/types';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import {
  getRunConstraints,
  getRunIterations,
  getRunLatents,
  getRunRows,
  getRunWeights,
  listRunWeightKinds,
  runResultCounts,
} from '../../src-main/store/run-results';
import { getRun, insertRun, requestRunCancel } from '../../src-main/store/runs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

let dir: string;
let db: WritableDB;
let baseline: number;

// What body training actually read: the images and rows the trainer (trainOnChosenEngine: tfjs or ONNX
// Runtime) was called with (observed, as test/integration/experiment-deep.test.ts observes its trainer),
// not what the pipeline says it passed.
const observed = vi.hoisted(() => ({
  training: [] as { pixels: Uint8Array; rows: Int32Array }[],
  // The full-model QSA's engine: forced to TF.js for a reference run; which one each run got.
  fullEngine: 'auto' as 'auto' | 'tfjs',
  fullOnnx: [] as boolean[],
}));
vi.mock('../../src-main/deep/onnx/route', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src-main/deep/onnx/route')>();
  return {
    ...actual,
    trainOnChosenEngine: (...args: Parameters<typeof actual.trainOnChosenEngine>) => {
      const [, images, , rows] = args;
      const selected = rows instanceof Int32Array ? Int32Array.from(rows) : Int32Array.from({ length: rows.end - rows.start }, (_, i) => rows.start + i);
      const size = images.height * images.width * images.channels;
      const pixels = new Uint8Array(selected.length * size);
      selected.forEach((r, i) => pixels.set(images.pixels.subarray(r * size, (r + 1) * size), i * size));
      observed.training.push({ pixels, rows: selected });
      return actual.trainOnChosenEngine(...args);
    },
    classifierModelOnChosenEngine: async (...args: Parameters<typeof actual.classifierModelOnChosenEngine>) => {
      const [model, images, options] = args;
      const chosen = await actual.classifierModelOnChosenEngine(model, images, options, observed.fullEngine);
      observed.fullOnnx.push(chosen.onnx);
      return chosen;
    },
  };
});

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'fairbound-runs-'));
  db = openWorkspace(join(dir, 'w.db'));
  insertSyntheticImageDataset(db, { name: 'bands2', n: 240, size: 16, numClasses: 2, seed: 1 });
  insertSyntheticImageDataset(db, { name: 'bands3', n: 300, size: 12, numClasses: 3, seed: 2 });
  baseline = tf.memory().numTensors;
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const RATIO = 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8';

function queue(request: RunRequest): number {
  return insertRun(db, prepareRun(db, request).run);
}

const headRequest: RunRequest = {
  dataset: 'bands2',
  constraints: [{ source: RATIO, delta: 0.05 }],
  pipeline: 'head',
  architecture: 'tutorial-j-cnn',
  resize: 48,
  epochs: 2,
  batchSize: 20,
  learningRate: 0.005,
  iterations: 300,
  seed: 7,
  shuffleSeed: 11,
  backend: 'wasm',
};

describe('head pipeline (Tutorial J)', () => {
  let runId: number;
  const events: RunEvent[] = [];

  let trainedOn: { pixels: Uint8Array; rows: Int32Array }[] = [];

  beforeAll(async () => {
    runId = queue(headRequest);
    const before = observed.training.length;
    const outcome = await executeRun(db, runId, { onEvent: (e) => events.push(e) });
    expect(outcome.error).toBeNull();
    trainedOn = observed.training.slice(before);
  });

  it('finishes with a verdict and leaves no tensors behind', () => {
    const run = getRun(db, runId)!;
    expect(run.status).toBe('passed');
    expect(run.backend?.name).toBe('wasm');
    expect(run.result?.verdict).toBe(run.status);
    expect(tf.memory().numTensors).toBe(baseline);
    expect(Object.keys(run.timings)).toEqual(expect.arrayContaining(['loading', 'training', 'latents', 'candidate_selection', 'safety_test', 'saving', 'total']));
  });

  it('trained the body on candidate rows only: no safety row is among the recorded body rows', () => {
    const run = getRun(db, runId)!;
    const rows = getRunRows(db, runId)!;
    expect(rows.rowOrder).toHaveLength(240);
    // The run's own order: a seeded shuffle of the dataset rows (every row once).
    expect([...rows.rowOrder].sort((a, b) => a - b)).toEqual(Array.from({ length: 240 }, (_, i) => i));
    expect([...rows.rowOrder]).not.toEqual(Array.from({ length: 240 }, (_, i) => i));
    const safety = new Set(rows.rowOrder.subarray(run.nCandidate));
    expect(run.nCandidate).toBe(120);
    expect(rows.bodyRows).toHaveLength(run.nCandidate);
    expect([...rows.bodyRows].filter((r) => safety.has(r))).toEqual([]);
    expect([...rows.bodyRows]).toEqual([...rows.rowOrder.subarray(0, run.nCandidate)]);
    // What training read: one call, on exactly the images of the recorded body rows (the dataset's
    // images of those rows, resized as the run resizes them) — so no safety row's image was trained on.
    expect(trainedOn).toHaveLength(1);
    expect(trainedOn[0].rows).toHaveLength(run.nCandidate);
    const data = loadDatasetForTraining(db, run.datasetId!);
    const bodyImages = resizeImages({ ...data.images!, n: data.nRows }, 48, 48, rows.bodyRows);
    expect(Buffer.from(trainedOn[0].pixels).equals(Buffer.from(bodyImages.pixels))).toBe(true);
    const safetyImages = resizeImages({ ...data.images!, n: data.nRows }, 48, 48, rows.rowOrder.subarray(run.nCandidate));
    expect(Buffer.from(trainedOn[0].pixels).equals(Buffer.from(safetyImages.pixels.subarray(0, trainedOn[0].pixels.length)))).toBe(false);
  });

  it('reported progress per batch with loss and accuracy, then every phase and the QSA iterations', () => {
    const batches = events.filter((e) => e.type === 'batch');
    expect(batches).toHaveLength(2 * 6); // 120 candidate rows in batches of 20, 2 epochs
    expect(batches.every((b) => b.type === 'batch' && Number.isFinite(b.loss) && b.accuracy >= 0 && b.accuracy <= 1)).toBe(true);
    const phases = events.filter((e) => e.type === 'phase').map((e) => (e.type === 'phase' ? e.phase : ''));
    expect(phases).toEqual(['loading', 'training', 'latents', 'candidate_selection', 'safety_test', 'saving']);
    const iterations = events.filter((e) => e.type === 'iteration');
    expect(iterations[0]).toMatchObject({ iteration: 0, total: 300 });
    expect(events.at(-1)).toMatchObject({ type: 'finished', runId, status: getRun(db, runId)!.status });
  });

  it('stores the latents of every row, the iteration log, the bounds, and every weight set', () => {
    const latents = getRunLatents(db, runId)!;
    expect(latents).toMatchObject({ nRows: 240, dim: 256 });
    expect(latents.data).toHaveLength(240 * 256);
    expect(getRunIterations(db, runId)).toHaveLength(getRun(db, runId)!.result!.candidateSelection.iterationsRun);
    const [c] = getRunConstraints(db, runId);
    expect(c.parsed).toBe('0.8-(min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])))');
    expect(c.nodes.map((n) => n.name)).toEqual(['ACC | [A]', 'ACC | [B]']);
    expect(c.nodes[0].nSamples + c.nodes[1].nSamples).toBe(120);
    const kinds = listRunWeightKinds(db, runId);
    expect(kinds).toEqual(expect.arrayContaining(['cnn_initial', 'cnn_trained', 'head_initial', 'head_candidate']));
    const head = getRunWeights(db, runId, 'head_initial')!;
    expect(head.data).toBeInstanceOf(Float64Array);
    expect(head.shapes).toEqual([[257]]); // the binary head: logistic θ = [b₁ − b₀, w₁ − w₀]
    const bound = 2 / Math.sqrt(256);
    expect([...head.data].every((v) => Math.abs(v) <= bound)).toBe(true);
  });

  it('stores the initial CNN weights by value: they rebuild the very same initial model', async () => {
    const run = getRun(db, runId)!;
    const stored = splitWeights(getRunWeights(db, runId, 'cnn_initial')!);
    const fresh = buildModel('tutorial-j-cnn', { numClasses: 2, seed: run.seeds.model, inputShape: [48, 48, 1] });
    const other = buildModel('tutorial-j-cnn', { numClasses: 2, seed: run.seeds.model + 1, inputShape: [48, 48, 1] });
    try {
      const expected = getWeightsByValue(fresh);
      expect(stored.names).toEqual(expected.names);
      stored.data.forEach((d, i) => expect(d).toEqual(expected.data[i]));
      // A differently seeded model given the stored weights predicts exactly as the initial model.
      setWeights(other, stored);
      const data = loadDatasetForTraining(db, run.datasetId!);
      const images = resizeImages({ ...data.images!, n: data.nRows }, 48, 48);
      const rows = { start: 0, end: 16 };
      expect(await predictProbabilities(other, images, { rows })).toEqual(await predictProbabilities(fresh, images, { rows }));
      // The trained weights differ from them (training happened).
      const trained = splitWeights(getRunWeights(db, runId, 'cnn_trained')!);
      expect(trained.data[0]).not.toEqual(stored.data[0]);
    } finally {
      fresh.dispose();
      other.dispose();
    }
  });
});

describe('head pipeline, multiclass (softmax head)', () => {
  it('runs the softmax head and exports a multiclass case that the engine reproduces exactly', async () => {
    const runId = queue({ ...headRequest, dataset: 'bands3', constraints: [{ source: 'ACC >= 0.4', delta: 0.1 }], iterations: 150, shuffleSeed: undefined });
    const outcome = await executeRun(db, runId);
    expect(outcome.error).toBeNull();
    const run = getRun(db, runId)!;
    expect(run.settings).toMatchObject({ numClasses: 3, qsaModel: 'multiclass_logistic', objective: 'multiclass_logistic_loss' });
    expect(getRunWeights(db, runId, 'head_initial')!.shapes).toEqual([[257, 3]]);
    const out = join(dir, 'mc-case');
    const files = exportLatentsCase(db, runId, out);
    expect(files).toMatchObject({ nRows: 300, nFeatures: 256 });
    const replay = runQsaCase(files.spec);
    const [c] = getRunConstraints(db, runId);
    expect(replay.report.passed_safety).toBe(run.status === 'passed');
    expect(replay.report.candidate_selection.chosen_index).toBe(run.result!.candidateSelection.chosenIndex);
    // Same float64 features, same code: the same numbers, not merely close ones.
    expect(replay.report.safety_test!.upper_bounds[0]).toBe(c.upperBound);
    expect(replay.report.candidate_selection.trajectory.f).toEqual(getRunIterations(db, runId).map((it) => it.f));
  });
});

describe('full pipeline (Tutorials G/H)', () => {
  it('runs the whole CNN as the Seldonian model on mini-batches (multiclass) and leaves no tensors', async () => {
    const runId = queue({
      dataset: 'bands3',
      constraints: [{ source: 'ACC >= 0.5', delta: 0.05 }],
      pipeline: 'full',
      architecture: 'tutorial-g-cnn',
      epochs: 2,
      batchSize: 40,
      learningRate: 0.01,
      seed: 3,
      backend: 'wasm',
    });
    const before = tf.memory().numTensors;
    const outcome = await executeRun(db, runId);
    expect(outcome.error).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
    const run = getRun(db, runId)!;
    expect(run.status).toBe('passed');
    // 150 candidate rows in batches of 40: 4 batches (the last one short) × 2 epochs.
    expect(run.result!.candidateSelection.iterationsPlanned).toBe(8);
    const log = getRunIterations(db, runId);
    expect(log.length).toBe(run.result!.candidateSelection.iterationsRun);
    // The loss goes down from its start at the random init (ln 3 ≈ 1.10).
    expect(log[0].f).toBeGreaterThan(0.9);
    expect(log.at(-1)!.f).toBeLessThan(log[0].f);
    const theta = getRunWeights(db, runId, 'theta_initial')!;
    expect(theta.names).toEqual(['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias', 'head/kernel', 'head/bias']);
    expect(theta.data.length).toBe(run.result!.nParams);
    expect(getRunRows(db, runId)!.bodyRows).toHaveLength(0);
    expect(getRunLatents(db, runId)).toBeUndefined();
    expect(run.result!.groupAccuracy?.groups.map((g) => g.group)).toEqual(['all', 'A', 'B']);
  });

  it('on wasm, ONNX Runtime computes the QSA (stored as the link) and the run ends as on TF.js', async () => {
    const request: RunRequest = { dataset: 'bands2', constraints: [{ source: RATIO, delta: 0.05 }], pipeline: 'full', architecture: 'tutorial-g-cnn', epochs: 1, batchSize: 60, learningRate: 0.01, seed: 5, backend: 'wasm' };
    observed.fullOnnx.length = 0;
    const onnxRun = queue(request);
    expect((await executeRun(db, onnxRun)).error).toBeNull();
    observed.fullEngine = 'tfjs';
    const tfjsRun = queue(request);
    try {
      expect((await executeRun(db, tfjsRun)).error).toBeNull();
    } finally {
      observed.fullEngine = 'auto';
    }
    expect(observed.fullOnnx).toEqual([true, false]);
    const [viaOnnx, viaTfjs] = [getRun(db, onnxRun)!, getRun(db, tfjsRun)!];
    expect(viaOnnx.backend!.name).toBe('wasm');
    expect(viaOnnx.backend!.attempts[0]).toMatchObject({ candidate: 'onnxruntime', ok: true });
    expect(viaOnnx.backend!.attempts[0].reason).toMatch(/full-model QSA/);
    expect(viaOnnx.status).toBe(viaTfjs.status);
    const [a, b] = [getRunIterations(db, onnxRun), getRunIterations(db, tfjsRun)];
    expect(a.length).toBe(b.length);
    expect(a.length).toBeGreaterThanOrEqual(2);
    a.forEach((it, i) => expect(Math.abs(it.f - b[i].f)).toBeLessThan(1e-4 * Math.max(1, Math.abs(b[i].f))));
    const [ua, ub] = [getRunConstraints(db, onnxRun), getRunConstraints(db, tfjsRun)];
    expect(ua.length).toBe(1);
    ua.forEach((c, i) => {
      const want = ub[i].upperBound;
      if (want === null) expect(c.upperBound).toBeNull();
      else expect(c.upperBound).toBeCloseTo(want, 3);
    });
    expect(tf.memory().numTensors).toBe(baseline);
  }, 60_000);
});

describe('cancellation', () => {
  it('a cancel requested during candidate selection leaves the run cancelled with its settings and no results', async () => {
    const runId = queue({ ...headRequest, epochs: 1, iterations: 100000, shuffleSeed: undefined });
    const outcome = await executeRun(db, runId, {
      cancelPollMs: 0,
      onEvent: (e) => {
        if (e.type === 'iteration' && e.iteration === 0) requestRunCancel(db, runId);
      },
    });
    expect(outcome.status).toBe('cancelled');
    const run = getRun(db, runId)!;
    expect(run).toMatchObject({ status: 'cancelled', error: 'cancelled during candidate_selection', result: null });
    expect(run.settings.qsa.numIters).toBe(100000);
    expect(runResultCounts(db, runId)).toEqual({ iterations: 0, constraints: 0, bounds: 0, weights: 0, latents: 0, rows: 0 });
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('an aborted signal stops body training between batches', async () => {
    const runId = queue({ ...headRequest, epochs: 50 });
    const abort = new AbortController();
    const outcome = await executeRun(db, runId, {
      signal: abort.signal,
      onEvent: (e) => {
        if (e.type === 'batch' && e.batch === 1) abort.abort();
      },
    });
    expect(outcome).toMatchObject({ status: 'cancelled', error: 'cancelled during training' });
    expect(runResultCounts(db, runId).weights).toBe(0);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('a failure is stored as failed with the reason and no results', async () => {
    // A run whose stored settings no longer match its dataset (as if the dataset changed under it).
    const runId = queue(headRequest);
    db.prepare(`UPDATE run SET settings_json = json_set(settings_json, '$.rows', 100000) WHERE id = ?`).run(runId);
    const outcome = await executeRun(db, runId);
    expect(outcome.status).toBe('failed');
    expect(getRun(db, runId)!.error).toMatch(/has 240 rows, the run needs 100000/);
    expect(runResultCounts(db, runId)).toEqual({ iterations: 0, constraints: 0, bounds: 0, weights: 0, latents: 0, rows: 0 });
  });
});
