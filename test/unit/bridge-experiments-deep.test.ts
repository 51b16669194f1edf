/**
 * Invariant under test (issue 6): the app's experiments offer the deep models (qsa-head, cnn,
 * qsa-full) and run their trials in the deep worker queue's ONE worker process, never in the app's main
 * process — so TensorFlow.js never trains here — with progress inside a trial, a cancel that stops the
 * trial between batches (the worker survives it), and the worker's failures as data.
 * Called through `createServices` on a temporary database with the real training worker.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src-shared/contract';
import type { Services } from '../../src-main/services';
import { openWorkspace } from '../../src-main/store/database';
import { listTrials } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';
import { bandsWorkspace, progressMessages, terminal, until, value, withServices } from '../support/services';
import { missing } from '../support/prerequisites';

const tempDir = useTempDir('fairbound-bridge-exp-deep-');
const CONSTRAINT = 'ACC >= 0.4';

function imageWorkspace(n = 120): { dbPath: string; datasetId: number } {
  return bandsWorkspace(tempDir(), { n, seed: 3 });
}

/** experiments.start with the settings every test here shares (one fraction and trial, wasm, one worker). */
async function startExperiment(services: Services, input: Record<string, unknown>): Promise<{ jobId: string; experimentId: number }> {
  return (await value(services, 'experiments.start', {
    constraints: [{ source: CONSTRAINT, delta: 0.1 }],
    fractions: [1],
    nTrials: 1,
    backend: 'wasm',
    workers: 1,
    ...input,
  })) as { jobId: string; experimentId: number };
}

/**
 * Once the experiment's progress shows `marker`, cancels it and expects job.cancelled from the same
 * worker process (the trial stopped because the worker saw the cancel, not because it was killed).
 * Returns that worker's pid.
 */
async function cancelOnceProgressShows(services: Services, seen: EventMessage[], started: { jobId: string; experimentId: number }, marker: string): Promise<number | null> {
  await until(() => progressMessages(seen, started.jobId).find((m) => m.includes(marker)), 60_000);
  const pidDuring = services.context.deepWorker().workerPid;
  expect(await value(services, 'experiments.cancel', { experimentId: started.experimentId })).toEqual({ cancelled: true });
  const end = await until(terminal(seen, started.jobId), 30_000);
  expect(end.event).toBe('job.cancelled');
  expect(services.context.deepWorker().workerPid).toBe(pidDuring);
  return pidDuring;
}

/** This process's TensorFlow.js engine has done nothing: no backend was chosen and no tensor made. */
function tfIdleHere(): { backend: string | null; tensors: number } {
  return { backend: tf.getBackend() ?? null, tensors: tf.engine().state.numTensors };
}

describe('deep models in the app’s experiments', () => {
  it('keeps TensorFlow.js out of the experiment service’s module graph', async () => {
    // The experiment service and the runner reach the deep models only through deep-types.ts and the
    // worker protocol. (The audit of a model runs in the worker too, see bridge-audit-worker.test.ts; the
    // Electron main bundle's whole graph, import() included, is checked in main-bundle-tfjs.test.ts; the
    // run-time check below shows that nothing of tfjs runs here.)
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
    await withServices({ dbPath }, async (services, seen) => {
      const models = (await value(services, 'experiments.models', {})) as { type: string; kind: string; execution: string }[];
      for (const type of ['qsa-head', 'qsa-full', 'cnn']) expect(models.find((m) => m.type === type)).toMatchObject({ execution: 'process' });

      const bad = await services.invoke('experiments.start', { datasetId, constraints: [{ source: CONSTRAINT, delta: 0.1 }], fractions: [1], nTrials: 1, models: ['qsa-head'], epochsPerFraction: [{ fraction: 1, batchSize: 0, epochs: 1 }] });
      expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });

      const { jobId, experimentId } = await startExperiment(services, {
        datasetId,
        fractions: [0.5, 1],
        models: ['qsa-head', 'cnn', 'uniform-random'],
        iterations: 20,
        seed: 2,
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [
          { fraction: 0.5, batchSize: 30, epochs: 1 },
          { fraction: 1, batchSize: 30, epochs: 2 },
        ],
      });
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
        // What computed each deep trial came back from the worker process and was stored (wasm: ONNX Runtime's
        // route for Fairbound's own CNN); a baseline without a CNN stores none.
        expect(trials.filter((t) => t.model !== 'uniform-random').map((t) => t.backend)).toEqual(Array(4).fill('onnxruntime'));
        expect(trials.filter((t) => t.model === 'uniform-random').map((t) => t.backend)).toEqual([undefined, undefined]);
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
      const pid = services.context.deepWorker().workerPid;
      expect(pid).not.toBeNull();
      expect(pid).not.toBe(process.pid);
      expect(tfIdleHere()).toEqual({ backend: null, tensors: 0 });
    });
  }, 150_000);

  it('cancels a deep trial between batches: job.cancelled, no trial stored, the worker keeps serving', async () => {
    const { dbPath, datasetId } = imageWorkspace();
    // A long grace period: the trial must stop because the worker saw the cancel, not because it was killed.
    await withServices({ dbPath, training: { cancelGraceMs: 120_000 } }, async (services, seen) => {
      const started = await startExperiment(services, {
        datasetId,
        nTrials: 3,
        models: ['cnn'],
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [{ fraction: 1, batchSize: 10, epochs: 500 }],
      });
      const pidDuring = await cancelOnceProgressShows(services, seen, started, 'training epoch');
      const listed = (await value(services, 'experiments.list', {})) as { id: number; status: string; trialsStored: number }[];
      expect(listed.find((e) => e.id === started.experimentId)).toMatchObject({ status: 'cancelled', trialsStored: 0 });

      // The same worker runs the next experiment.
      const next = await startExperiment(services, {
        datasetId,
        models: ['cnn'],
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [{ fraction: 1, batchSize: 30, epochs: 1 }],
      });
      const nextEnd = await until(terminal(seen, next.jobId), 60_000);
      expect(nextEnd.event).toBe('job.done');
      expect(services.context.deepWorker().workerPid).toBe(pidDuring);
    });
  }, 150_000);

  it('cancels qsa-full during candidate selection, without killing the worker', async () => {
    const { dbPath, datasetId } = imageWorkspace();
    await withServices({ dbPath, training: { cancelGraceMs: 120_000 } }, async (services, seen) => {
      const started = await startExperiment(services, {
        datasetId,
        models: ['qsa-full'],
        architecture: 'tutorial-g-cnn',
        // Mini-batches of 10 for 2000 epochs: far more iterations than this test waits for.
        epochsPerFraction: [{ fraction: 1, batchSize: 10, epochs: 2000 }],
      });
      await cancelOnceProgressShows(services, seen, started, 'candidate selection');
    });
  }, 120_000);

  it('reports a failure in the worker as the experiment’s error', async () => {
    const { dbPath, datasetId } = imageWorkspace(60);
    await withServices({ dbPath }, async (services, seen) => {
      const { jobId, experimentId } = await startExperiment(services, {
        datasetId,
        models: ['cnn'],
        // A backend that cannot load here (no libtensorflow): the worker's error comes back as data.
        backend: 'tensorflow',
      });
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.event).toBe('job.failed');
      const listed = (await value(services, 'experiments.list', {})) as { id: number; status: string; error: string | null }[];
      const e = listed.find((x) => x.id === experimentId)!;
      expect(e.status).toBe('failed');
      expect(e.error).toMatch(/tensorflow/i);
    });
  }, 90_000);
});

/** What `npx electron-vite build` puts next to the Electron main bundle (src-main/shell/main.ts forks it). */
const BUILT_TRAIN_WORKER = fileURLToPath(new URL('../../out/main/train-worker.mjs', import.meta.url));

describe.skipIf(missing(`the Electron main bundle's ${BUILT_TRAIN_WORKER} (npm run build:app)`, existsSync(BUILT_TRAIN_WORKER)))("the Electron main bundle's training worker", () => {
  it('runs deep experiment trials when given as the training entry', async () => {
    const { dbPath, datasetId } = imageWorkspace(60);
    await withServices({ dbPath, runtime: 'electron', training: { entry: { modulePath: BUILT_TRAIN_WORKER } } }, async (services, seen) => {
      const { jobId, experimentId } = await startExperiment(services, {
        datasetId,
        models: ['qsa-head', 'cnn'],
        iterations: 10,
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [{ fraction: 1, batchSize: 30, epochs: 1 }],
      });
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');
      const detail = (await value(services, 'experiments.get', { experimentId })) as { experiment: { trialsStored: number } };
      expect(detail.experiment.trialsStored).toBe(2);
    });
  }, 70_000);
});
