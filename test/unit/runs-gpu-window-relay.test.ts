/**
 * Invariants of body training through the desktop app's GPU window (host.ts, worker-serve.ts, pipeline.ts):
 * a head run whose `auto` chain picks a GPU-window link trains its body through the host's relay — the
 * window gets the candidate rows and nothing else, its trained weights are the ones the run goes on with,
 * and the result is the one local training on the same backend gives; progress is relayed per batch; a
 * cancel stops the window's job and leaves the run cancelled with nothing written; a failure of the window
 * fails the run with the window's reason; a software adapter is skipped with its reason.
 *
 * No Electron and no GPU here: the host gets a stand-in for the GPU window session whose train() runs the
 * real trainClassifier on TF.js's cpu backend in this process (what the trainer page runs on webgl/webgpu,
 * src-main/deep/gpu-page/trainer.ts), behind a probe that reports a hardware adapter. The worker is the
 * real one (a forked child process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuTrainerError, type TrainHandlers, type TrainJob } from '../../src-main/deep/backend-gpu-window';
import { buildModel } from '../../src-main/deep/architectures';
import { trainClassifier } from '../../src-main/deep/train';
import { getWeightsByValue, setWeights } from '../../src-main/deep/weights';
import { DeepWorkerQueue } from '../../src-main/jobs/worker-queue/deep-worker-queue';
import type { GpuWindowLink } from '../../src-main/jobs/worker-queue/gpu-window-relay';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import type { RunEvent, RunRequest } from '../../src-main/runs/types';
import { openWorkspace } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { getRunConstraints, getRunLatents, getRunRows, getRunWeights, runResultCounts } from '../../src-main/store/run-results';
import { getRun } from '../../src-main/store/runs';
import type { GpuProbe, TrainedReply } from '../../src-shared/contract/gpu-trainer';
import { backendReport } from '../../src-shared/contract/schemas';
import { gpuWindowHeadRequest } from '../support/tiny-run';

const HARDWARE: GpuProbe = {
  webgpu: { api: 'webgpu', available: false, software: false, adapter: null, reason: 'WebGPU offers no adapter', backendBundled: true },
  webgl: { api: 'webgl', available: true, software: false, adapter: 'Stand-in GPU', reason: 'hardware renderer Stand-in GPU', backendBundled: true },
};
const SOFTWARE: GpuProbe = {
  ...HARDWARE,
  webgl: { api: 'webgl', available: true, software: true, adapter: 'ANGLE (SwiftShader)', reason: 'software renderer SwiftShader', backendBundled: true },
};

/** The GPU window session as the host uses it, training with the page's own code on the cpu backend. */
class StandInWindow implements GpuWindowLink {
  probeResult: GpuProbe = HARDWARE;
  probes = 0;
  readonly jobs: TrainJob[] = [];
  /** Set to make train() fail the way the session does when the window's page crashes. */
  failWith: Error | undefined;
  /** Set to return weights that break the relay's protocol. */
  corrupt = false;
  progressSent = 0;
  lastSignal: AbortSignal | undefined;

  async probe(): Promise<{ probe: GpuProbe; tfjs: string }> {
    this.probes++;
    return { probe: this.probeResult, tfjs: tf.version.tfjs };
  }

  async train(job: TrainJob, handlers: TrainHandlers): Promise<TrainedReply> {
    this.jobs.push(job);
    this.lastSignal = handlers.signal;
    if (this.failWith) throw this.failWith;
    const model = buildModel(job.model.architecture, { numClasses: job.model.numClasses, seed: job.model.seed, inputShape: job.model.inputShape, init: job.model.init });
    try {
      if (job.model.initialWeights) setWeights(model, job.model.initialWeights);
      const result = await trainClassifier(model, job.images, job.labels, job.rows ?? { start: 0, end: job.images.n }, {
        ...job.options,
        ...(handlers.signal ? { signal: handlers.signal } : {}),
        onBatch: (p) => {
          this.progressSent++;
          handlers.onProgress?.(p);
        },
      });
      const w = getWeightsByValue(model);
      return {
        type: 'trained',
        id: this.jobs.length,
        backend: { name: job.backend, package: '@tensorflow/tfjs-backend-webgl', version: tf.version.tfjs, adapter: 'Stand-in GPU', software: false },
        weights: { names: [...w.names], shapes: w.shapes.map((s) => [...s]), data: this.corrupt ? [] : [...w.data] },
        result: { epochs: [...result.epochs], batches: result.batches, images: result.images, seconds: result.seconds },
      };
    } finally {
      model.dispose();
    }
  }
}

let dir: string;
let dbPath: string;
let datasetId: number;
const window = new StandInWindow();
let host: DeepWorkerQueue;

const REQUEST: RunRequest = gpuWindowHeadRequest(11);

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'fairbound-gpu-relay-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  datasetId = insertSyntheticImageDataset(db, { name: 'bands', n: 120, size: 12, numClasses: 2, seed: 5 }).id;
  db.close();
  host = new DeepWorkerQueue({ gpuWindow: window });
});

afterAll(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

function read<T>(f: (db: ReturnType<typeof openWorkspace>) => T): T {
  const db = openWorkspace(dbPath);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

describe('body training of a head run in the GPU window (stand-in session)', () => {
  it('trains the candidate rows through the relay, streams progress, and matches local training on the same backend', async () => {
    const events: RunEvent[] = [];
    const jobsBefore = window.jobs.length;
    const viaWindow = host.start(dbPath, REQUEST, { onEvent: (e) => events.push(e) });
    const outcome = await viaWindow.done;
    expect(outcome.error).toBeNull();
    expect(['passed', 'nsf']).toContain(outcome.status);

    // The window saw one job with exactly the candidate rows, in run order, and no safety row.
    expect(window.jobs).toHaveLength(jobsBefore + 1);
    const job = window.jobs.at(-1)!;
    const run = read((db) => getRun(db, viaWindow.runId)!);
    const rows = read((db) => getRunRows(db, viaWindow.runId)!);
    const data = read((db) => loadDatasetForTraining(db, datasetId));
    expect(job.backend).toBe('webgl');
    expect(job.images.n).toBe(run.nCandidate);
    expect(Array.from(job.rows!)).toEqual(Array.from({ length: run.nCandidate }, (_, i) => i));
    expect(Array.from(rows.bodyRows)).toEqual(Array.from(rows.rowOrder.subarray(0, run.nCandidate)));
    const safety = new Set(rows.rowOrder.subarray(run.nCandidate));
    expect(rows.bodyRows.some((r) => safety.has(r))).toBe(false);
    const px = 12 * 12;
    rows.bodyRows.forEach((r, i) => {
      expect(job.labels[i]).toBe(data.labels[r]);
      expect(job.images.pixels.subarray(i * px, (i + 1) * px)).toEqual(data.images!.pixels.subarray(r * px, (r + 1) * px));
    });

    // Progress: one batch event per batch the window trained.
    const batches = events.filter((e) => e.type === 'batch');
    expect(batches.length).toBe(window.progressSent);
    expect(batches.length).toBe(2 * Math.ceil(run.nCandidate / 20));
    expect(events.filter((e) => e.type === 'phase')).toContainEqual(expect.objectContaining({ phase: 'training', backend: 'webgl' }));
    expect(events.filter((e) => e.type === 'phase')).toContainEqual(expect.objectContaining({ phase: 'latents', backend: 'wasm' }));

    // The stored report names both backends and matches the contract.
    expect(run.backend).toMatchObject({ name: 'webgl', where: 'gpu-window', adapter: 'Stand-in GPU', preference: 'auto', local: { name: 'wasm' } });
    expect(run.backend!.attempts.map((a) => [a.candidate, a.ok])).toEqual([
      ['tensorflow-gpu', false],
      ['tensorflow-cpu', false],
      ['webgpu', false],
      ['webgl', true],
    ]);
    expect(backendReport.parse(run.backend)).toEqual(run.backend);

    // Local training on the cpu backend (all of the run in the worker) from the same seeds.
    const local = await host.start(dbPath, { ...REQUEST, backend: 'cpu' }).done;
    expect(window.jobs).toHaveLength(jobsBefore + 1);
    expect(local.status).toBe(outcome.status);
    // Same code, same backend, same initial weights and batches: the trained CNN is the same to the bit.
    const trained = (id: number) => read((db) => getRunWeights(db, id, 'cnn_trained')!);
    expect(trained(viaWindow.runId).names).toEqual(trained(local.runId).names);
    expect(trained(viaWindow.runId).data).toEqual(trained(local.runId).data);
    // Latent features come from different backends (wasm in the window's run, cpu in the local one): float32
    // convolutions summed in another order differ by a few ulps of the activations, so 1e-5 of their scale.
    const latents = (id: number) => read((db) => getRunLatents(db, id)!.data);
    const a = latents(viaWindow.runId);
    const b = latents(local.runId);
    expect(a.length).toBe(b.length);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < a.length; i++) {
      scale = Math.max(scale, Math.abs(b[i]));
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
    }
    expect(diff).toBeLessThanOrEqual(1e-5 * scale);
    // The QSA on features that close: the same verdict, and bounds within the golden tests' late tolerance (1e-3).
    const bounds = (id: number) => read((db) => getRunConstraints(db, id)).map((c) => [c.passed, c.upperBound]);
    const [boundA, boundB] = [bounds(viaWindow.runId), bounds(local.runId)];
    expect(boundA.map(([p]) => p)).toEqual(boundB.map(([p]) => p));
    boundA.forEach(([, u], i) => expect(u as number).toBeCloseTo(boundB[i][1] as number, 3));
  });

  it('cancels the window job between batches: the run is cancelled with nothing written', async () => {
    const handle = host.start(dbPath, { ...REQUEST, epochs: 300 }, {
      onEvent: (e) => {
        if (e.type === 'batch' && e.batch === 0) handle.cancel('cancelled by the test');
      },
    });
    const outcome = await handle.done;
    expect(outcome).toEqual({ runId: handle.runId, status: 'cancelled', error: 'cancelled by the test' });
    expect(window.lastSignal?.aborted).toBe(true);
    // The window stopped long before 300 epochs' worth of batches.
    expect(window.progressSent).toBeLessThan(300);
    expect(read((db) => getRun(db, handle.runId))).toMatchObject({ status: 'cancelled', result: null });
    expect(read((db) => runResultCounts(db, handle.runId))).toEqual({ iterations: 0, constraints: 0, bounds: 0, weights: 0, latents: 0, rows: 0 });
  });

  it("fails the run with the window's reason when the window goes away", async () => {
    window.failWith = new GpuTrainerError('closed', "the GPU window's page went away (crashed, exit code 139)");
    try {
      const outcome = await host.start(dbPath, REQUEST).done;
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toBe("body training in the GPU window (webgl on Stand-in GPU) failed: the GPU window's page went away (crashed, exit code 139)");
      expect(read((db) => runResultCounts(db, outcome.runId))).toEqual({ iterations: 0, constraints: 0, bounds: 0, weights: 0, latents: 0, rows: 0 });
    } finally {
      window.failWith = undefined;
    }
  });

  it("refuses a window answer that does not match the relay's protocol", async () => {
    window.corrupt = true;
    try {
      const outcome = await host.start(dbPath, { ...REQUEST, epochs: 1 }).done;
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/^body training in the GPU window \(webgl on Stand-in GPU\) failed: the app sent a GPU window message that does not match the protocol: trained\.weights/);
    } finally {
      window.corrupt = false;
    }
  });

  it('skips a software adapter with its reason and trains locally; other pipelines and backends never ask the window', async () => {
    window.probeResult = SOFTWARE;
    const jobsBefore = window.jobs.length;
    try {
      const outcome = await host.start(dbPath, { ...REQUEST, epochs: 1 }).done;
      expect(['passed', 'nsf']).toContain(outcome.status);
      const run = read((db) => getRun(db, outcome.runId)!);
      expect(run.backend).toMatchObject({ name: 'wasm' });
      expect(run.backend!.local).toBeUndefined();
      expect(run.backend!.attempts).toContainEqual({ candidate: 'webgl', ok: false, reason: 'webgl skipped: software renderer SwiftShader' });
    } finally {
      window.probeResult = HARDWARE;
    }
    const probes = window.probes;
    const explicit = await host.start(dbPath, { ...REQUEST, epochs: 1, backend: 'wasm' }).done;
    expect(['passed', 'nsf']).toContain(explicit.status);
    expect(read((db) => getRun(db, explicit.runId)!.backend!.attempts.map((a) => a.candidate))).toEqual(['wasm']);
    expect(window.probes).toBe(probes);
    expect(window.jobs).toHaveLength(jobsBefore);
  });
});
