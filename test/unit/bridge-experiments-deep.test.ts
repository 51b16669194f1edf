/**
 * Invariant under test (issue 6, design §6): the app's experiments offer the deep models (qsa-head, cnn,
 * qsa-full) and run their trials in the training host's ONE worker process, never in the app's main
 * process — so TensorFlow.js never trains here — with progress inside a trial, a cancel that stops the
 * trial between batches (the worker survives it), and the worker's failures as data.
 * Called through `createServices` on a temporary database with the real training worker (style 13).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src-shared/contract';
import { insertSyntheticImageDataset } from '../../src-main/runs/synthetic';
import { createServices, type Services } from '../../src-main/services';
import { openWorkspace } from '../../src-main/store/database';
import { listTrials } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-bridge-exp-deep-');
const CONSTRAINT = 'ACC >= 0.4';

async function until<T>(find: () => T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function value(services: Services, route: string, input: unknown): Promise<unknown> {
  const reply = await services.invoke(route, input);
  if (!reply.ok) throw new Error(`${route}: ${reply.error.message}`);
  return reply.value;
}

function collect(services: Services): EventMessage[] {
  const seen: EventMessage[] = [];
  services.subscribe((m) => seen.push(m));
  return seen;
}

const terminal = (seen: EventMessage[], jobId: string) => () =>
  seen.find((m) => m.event !== 'job.progress' && m.event !== 'run.event' && (m.payload as { jobId: string }).jobId === jobId);

const progressMessages = (seen: EventMessage[], jobId: string): string[] =>
  seen
    .filter((m) => m.event === 'job.progress' && (m.payload as { jobId: string }).jobId === jobId)
    .map((m) => (m.payload as { message?: string }).message ?? '');

function imageWorkspace(n = 120): { dbPath: string; datasetId: number } {
  const dbPath = join(tempDir(), 'w.db');
  const db = openWorkspace(dbPath);
  const info = insertSyntheticImageDataset(db, { name: 'bands', n, size: 16, numClasses: 2, seed: 3 });
  db.close();
  return { dbPath, datasetId: info.id };
}

/** This process's TensorFlow.js engine has done nothing: no backend was chosen and no tensor made. */
function tfIdleHere(): { backend: string | null; tensors: number } {
  return { backend: tf.getBackend() ?? null, tensors: tf.engine().state.numTensors };
}

describe('deep models in the app’s experiments', () => {
  it('keeps TensorFlow.js out of the experiment service’s module graph', async () => {
    // The experiment service and the runner reach the deep models only through deep-types.ts and the
    // worker protocol. (Other services, and the runs' host through prepareRun's architecture table, do
    // import tfjs modules; the run-time check below shows that nothing of tfjs runs here.)
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const result = await build({
      entryPoints: [join(root, 'src-main/services/experiments.ts'), join(root, 'src-main/experiments/runner.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      outdir: join(root, 'out/tmp-graph-check'),
      logLevel: 'silent',
    });
    const tfImports = Object.entries(result.metafile.inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => i.path.startsWith('@tensorflow/')).map((i) => `${file} → ${i.path}`),
    );
    expect(tfImports).toEqual([]);
    expect(Object.keys(result.metafile.inputs)).toContain('src-main/experiments/models/deep-types.ts');
  }, 30_000);

  it('lists qsa-head, qsa-full and cnn, and runs qsa-head + cnn trials in the worker process', async () => {
    const { dbPath, datasetId } = imageWorkspace();
    const services = createServices({ dbPath, runtime: 'browser', log: () => undefined });
    const seen = collect(services);
    try {
      const models = (await value(services, 'experiments.models', {})) as { type: string; kind: string; execution: string }[];
      for (const type of ['qsa-head', 'qsa-full', 'cnn']) expect(models.find((m) => m.type === type)).toMatchObject({ execution: 'process' });

      const bad = await services.invoke('experiments.start', { datasetId, constraints: [{ source: CONSTRAINT, delta: 0.1 }], fractions: [1], nTrials: 1, models: ['qsa-head'], epochsPerFraction: [{ fraction: 1, batchSize: 0, epochs: 1 }] });
      expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });

      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: CONSTRAINT, delta: 0.1 }],
        fractions: [0.5, 1],
        nTrials: 1,
        models: ['qsa-head', 'cnn', 'uniform-random'],
        iterations: 20,
        seed: 2,
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [
          { fraction: 0.5, batchSize: 30, epochs: 1 },
          { fraction: 1, batchSize: 30, epochs: 2 },
        ],
        backend: 'wasm',
        workers: 1,
      })) as { jobId: string; experimentId: number };
      const end = await until(terminal(seen, jobId), 120_000);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');

      const db = openWorkspace(dbPath);
      try {
        const trials = listTrials(db, experimentId);
        expect(trials).toHaveLength(6);
        expect(new Set(trials.map((t) => t.model))).toEqual(new Set(['qsa-head', 'cnn', 'uniform-random']));
        for (const t of trials.filter((t) => t.model !== 'uniform-random')) {
          if (t.passed) expect(t.performance).toBeGreaterThanOrEqual(0);
          else expect(t.g[0]).toBe(-Infinity);
        }
      } finally {
        db.close();
      }
      // The deep settings are stored with the models (a resume uses them again).
      const detail = (await value(services, 'experiments.get', { experimentId })) as { settings: { models: { type: string; params: Record<string, unknown> }[] } };
      const head = detail.settings.models.find((m) => m.type === 'qsa-head')!;
      expect(head.params).toMatchObject({ architecture: 'tutorial-g-cnn', backend: 'wasm', batchEpochs: { '0.5': { batchSize: 30, epochs: 1 }, '1': { batchSize: 30, epochs: 2 } } });
      expect(typeof head.params.initSeed).toBe('number');

      // Progress inside the deep trials (per batch), not only per finished trial.
      // (The first one of the first deep trial — qsa-head at fraction 1 — is always sent: a phase change.)
      expect(progressMessages(seen, jobId).some((m) => /qsa-head, fraction 1, .*training epoch 1\/2, batch 1 of 4/.test(m))).toBe(true);
      // The deep work ran in the training worker process: another process, and nothing of tfjs here.
      const pid = services.context.training().workerPid;
      expect(pid).not.toBeNull();
      expect(pid).not.toBe(process.pid);
      expect(tfIdleHere()).toEqual({ backend: null, tensors: 0 });
    } finally {
      await services.close();
    }
  }, 150_000);

  it('cancels a deep trial between batches: job.cancelled, no trial stored, the worker keeps serving', async () => {
    const { dbPath, datasetId } = imageWorkspace();
    // A long grace period: the trial must stop because the worker saw the cancel, not because it was killed.
    const services = createServices({ dbPath, runtime: 'browser', log: () => undefined, training: { cancelGraceMs: 120_000 } });
    const seen = collect(services);
    try {
      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: CONSTRAINT, delta: 0.1 }],
        fractions: [1],
        nTrials: 3,
        models: ['cnn'],
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [{ fraction: 1, batchSize: 10, epochs: 500 }],
        backend: 'wasm',
        workers: 1,
      })) as { jobId: string; experimentId: number };
      await until(() => progressMessages(seen, jobId).find((m) => m.includes('training epoch')), 60_000);
      const pidDuring = services.context.training().workerPid;
      expect(await value(services, 'experiments.cancel', { experimentId })).toEqual({ cancelled: true });
      const end = await until(terminal(seen, jobId), 30_000);
      expect(end.event).toBe('job.cancelled');
      const listed = (await value(services, 'experiments.list', {})) as { id: number; status: string; trialsStored: number }[];
      expect(listed.find((e) => e.id === experimentId)).toMatchObject({ status: 'cancelled', trialsStored: 0 });
      expect(services.context.training().workerPid).toBe(pidDuring);

      // The same worker runs the next experiment.
      const next = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: CONSTRAINT, delta: 0.1 }],
        fractions: [1],
        nTrials: 1,
        models: ['cnn'],
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [{ fraction: 1, batchSize: 30, epochs: 1 }],
        backend: 'wasm',
        workers: 1,
      })) as { jobId: string };
      const nextEnd = await until(terminal(seen, next.jobId), 60_000);
      expect(nextEnd.event).toBe('job.done');
      expect(services.context.training().workerPid).toBe(pidDuring);
    } finally {
      await services.close();
    }
  }, 150_000);

  it('cancels qsa-full inside the engine’s synchronous candidate-selection loop, without killing the worker', async () => {
    const { dbPath, datasetId } = imageWorkspace();
    const services = createServices({ dbPath, runtime: 'browser', log: () => undefined, training: { cancelGraceMs: 120_000 } });
    const seen = collect(services);
    try {
      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: CONSTRAINT, delta: 0.1 }],
        fractions: [1],
        nTrials: 1,
        models: ['qsa-full'],
        architecture: 'tutorial-g-cnn',
        // Mini-batches of 10 for 2000 epochs: far more iterations than this test waits for.
        epochsPerFraction: [{ fraction: 1, batchSize: 10, epochs: 2000 }],
        backend: 'wasm',
        workers: 1,
      })) as { jobId: string; experimentId: number };
      await until(() => progressMessages(seen, jobId).find((m) => m.includes('candidate selection')), 60_000);
      const pidDuring = services.context.training().workerPid;
      expect(await value(services, 'experiments.cancel', { experimentId })).toEqual({ cancelled: true });
      const end = await until(terminal(seen, jobId), 30_000);
      expect(end.event).toBe('job.cancelled');
      expect(services.context.training().workerPid).toBe(pidDuring);
    } finally {
      await services.close();
    }
  }, 120_000);

  it('reports a failure in the worker as the experiment’s error', async () => {
    const { dbPath, datasetId } = imageWorkspace(60);
    const services = createServices({ dbPath, runtime: 'browser', log: () => undefined });
    const seen = collect(services);
    try {
      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: CONSTRAINT, delta: 0.1 }],
        fractions: [1],
        nTrials: 1,
        models: ['cnn'],
        // A backend that cannot load here (no libtensorflow): the worker's error comes back as data.
        backend: 'tensorflow',
        workers: 1,
      })) as { jobId: string; experimentId: number };
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.event).toBe('job.failed');
      const listed = (await value(services, 'experiments.list', {})) as { id: number; status: string; error: string | null }[];
      const e = listed.find((x) => x.id === experimentId)!;
      expect(e.status).toBe('failed');
      expect(e.error).toMatch(/tensorflow/i);
    } finally {
      await services.close();
    }
  }, 90_000);
});

/** What `npx electron-vite build` puts next to the Electron main bundle (src-main/shell/main.ts forks it). */
const BUILT_TRAIN_WORKER = fileURLToPath(new URL('../../out/main/train-worker.mjs', import.meta.url));

describe.skipIf(!existsSync(BUILT_TRAIN_WORKER))("the Electron main bundle's training worker", () => {
  it('runs deep experiment trials when given as the training entry', async () => {
    const { dbPath, datasetId } = imageWorkspace(60);
    const services = createServices({ dbPath, runtime: 'electron', log: () => undefined, training: { entry: { modulePath: BUILT_TRAIN_WORKER } } });
    const seen = collect(services);
    try {
      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: CONSTRAINT, delta: 0.1 }],
        fractions: [1],
        nTrials: 1,
        models: ['qsa-head', 'cnn'],
        iterations: 10,
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [{ fraction: 1, batchSize: 30, epochs: 1 }],
        backend: 'wasm',
        workers: 1,
      })) as { jobId: string; experimentId: number };
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');
      const detail = (await value(services, 'experiments.get', { experimentId })) as { experiment: { trialsStored: number } };
      expect(detail.experiment.trialsStored).toBe(2);
    } finally {
      await services.close();
    }
  }, 70_000);
});
