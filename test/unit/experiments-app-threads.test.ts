/**
 * Invariants under test (issue 7: long work never runs on the app's main thread; issue 6: trials in
 * parallel within the cores):
 * - the app's experiment service runs every engine trial (qsa-features, logistic, random baselines) in a
 *   trial worker thread, also with `workers: 1`, where the CLI's runner keeps running them on the calling
 *   thread (no thread start-up for one worker);
 * - the deep-work process's qsa-head trial runs its SIMD kernel on the runner's share of the cores
 *   (kernelThreadsFor of the trials running at once), not on every core, and the kernel each trial ran on
 *   is stored with it (schema 6) and read back.
 * How "ran in-process" is seen: TrialExecutor.run is spied on in this thread; a worker thread or the
 * training worker process has its own copy of the module, which the spy does not reach, while the
 * runner's in-process executor is this module's class. startWorkerSlot is wrapped to count the workers.
 * Style 13: a real temporary database, the handler table through createServices.
 */
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { importSeldonian } from '../../src-main/data/importers';
import { kernelThreadsFor } from '../../src-main/engine/kernels/select';
import { simdSupported } from '../../src-main/engine/kernels/simd-support';
import { createExperiment, runExperiment } from '../../src-main/experiments/runner';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { TrialExecutor } from '../../src-main/experiments/trial-executor';
import { startWorkerSlot } from '../../src-main/jobs/trial-threads/pool';
import { openWorkspace } from '../../src-main/store/database';
import { listTrials } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';
import { bandsWorkspace, terminal, until, value, withServices } from '../support/services';
import { missing } from '../support/prerequisites';

vi.mock('../../src-main/jobs/trial-threads/pool', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src-main/jobs/trial-threads/pool')>();
  return { ...original, startWorkerSlot: vi.fn(original.startWorkerSlot) };
});

const tempDir = useTempDir('fairbound-exp-threads-');

afterEach(() => {
  vi.mocked(startWorkerSlot).mockClear();
});

/** A workspace file with one two-group features dataset. */
async function featuresWorkspace(): Promise<{ dbPath: string; datasetId: number }> {
  const dir = tempDir();
  const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 200, seed: 5 }));
  writeFileSync(join(dir, 'data.csv'), files.csv);
  writeFileSync(join(dir, 'metadata.json'), files.metadata);
  const dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  try {
    const { dataset } = await importSeldonian(db, { csv: join(dir, 'data.csv'), metadata: join(dir, 'metadata.json'), name: 'two' });
    return { dbPath, datasetId: dataset.id };
  } finally {
    db.close();
  }
}

const ENGINE_MODELS = ['qsa-features', 'logistic', 'uniform-random', 'weighted-random:0.7'];

describe('engine trials in the app', () => {
  it('run in a worker thread with workers: 1 (never on the service’s thread), where the CLI’s runner keeps them on the calling thread', async () => {
    const { dbPath, datasetId } = await featuresWorkspace();
    const inProcess = vi.spyOn(TrialExecutor.prototype, 'run');
    onTestFinished(() => inProcess.mockRestore());
    await withServices({ dbPath }, async (services, seen) => {
      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.2', delta: 0.1 }],
        fractions: [0.5, 1],
        nTrials: 2,
        models: ENGINE_MODELS,
        iterations: 20,
        seed: 11,
        workers: 1,
      })) as { jobId: string; experimentId: number };
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');
      const db = openWorkspace(dbPath);
      try {
        expect(listTrials(db, experimentId)).toHaveLength(2 * 2 * ENGINE_MODELS.length);
      } finally {
        db.close();
      }
    });
    // One worker thread ran all 16 trials; none ran here.
    expect(vi.mocked(startWorkerSlot)).toHaveBeenCalledTimes(1);
    expect(inProcess).not.toHaveBeenCalled();

    // The runner without offMainThread (the CLI's way) runs them here with one worker: the spy sees them.
    const db = openWorkspace(dbPath);
    try {
      const id = createExperiment(db, {
        datasetId,
        constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.2', delta: 0.1 }],
        fractions: [1],
        nTrials: 1,
        models: [{ name: 'uniform-random', type: 'uniform-random', params: {} }],
        seed: 3,
      });
      const summary = await runExperiment(db, id, { workers: 1 });
      expect(summary.status).toBe('completed');
    } finally {
      db.close();
    }
    expect(vi.mocked(startWorkerSlot)).toHaveBeenCalledTimes(1);
    expect(inProcess).toHaveBeenCalledTimes(1);
  }, 90_000);
});

// The SIMD kernel needs ≥ 2^20 latent values: 2048 rows × tutorial-g-cnn's 512-d latent (16×16 input).
// With one core every share is 1 and the default is 1 too: nothing to tell apart.
describe.skipIf(missing('WebAssembly SIMD and at least two cores', simdSupported() && availableParallelism() > 1))('the deep process’s kernel threads', () => {
  it('qsa-head’s SIMD kernel gets the runner’s share of the cores, and the trial stores the kernel it ran on', async () => {
    const { dbPath, datasetId } = bandsWorkspace(tempDir(), { n: 2048, seed: 3 });
    // Two trial worker threads (the random baselines) beside the training worker's qsa-head trial.
    const share = kernelThreadsFor(3);
    expect(share).toBeLessThan(availableParallelism()); // else the default (every core) would pass too
    await withServices({ dbPath }, async (services, seen) => {
      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: 'ACC >= 0.4', delta: 0.1 }],
        fractions: [1],
        nTrials: 1,
        models: ['qsa-head', 'uniform-random', 'weighted-random:0.7'],
        iterations: 3,
        seed: 2,
        backend: 'wasm',
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [{ fraction: 1, batchSize: 256, epochs: 1 }],
        workers: 2,
      })) as { jobId: string; experimentId: number };
      const end = await until(terminal(seen, jobId), 150_000);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');
      const db = openWorkspace(dbPath);
      try {
        const trials = listTrials(db, experimentId);
        expect(trials.map((t) => [t.model, t.kernel ?? null])).toEqual([
          ['qsa-head', { name: 'simd', threads: share }],
          ['uniform-random', null],
          ['weighted-random-0.70', null],
        ]);
      } finally {
        db.close();
      }
    });
  }, 180_000);
});
