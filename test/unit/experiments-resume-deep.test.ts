/**
 * Invariant under test: `experiments.resume` runs a deep model's missing trials exactly as
 * `experiments.start` does — in the deep worker queue's worker process (never in this one: TensorFlow.js
 * stays idle here), with progress per batch — and the trial it runs again is the one the first run
 * stored (same resample, same initial weights from the experiment's seed, same settings), while the kept
 * trial is not run again. createServices on a temporary database with the real training worker.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { listTrials, type StoredTrial } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';
import { bandsWorkspace, progressMessages, terminal, until, value, withServices } from '../support/services';

const tempDir = useTempDir('fairbound-resume-deep-');

const scored = (t: StoredTrial) => ({ model: t.model, fractionIndex: t.fractionIndex, trialIndex: t.trialIndex, nRows: t.nRows, passed: t.passed, performance: t.performance, g: t.g });

describe('resuming an experiment with a deep model', () => {
  it('runs the missing cnn trial in the worker process and gets the trial the first run stored', async () => {
    const { dbPath, datasetId } = bandsWorkspace(tempDir(), { n: 120, seed: 3 });
    await withServices({ dbPath }, async (services, seen) => {
      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: 'ACC >= 0.4', delta: 0.1 }],
        fractions: [0.5, 1],
        nTrials: 1,
        models: ['cnn'],
        seed: 8,
        architecture: 'tutorial-g-cnn',
        epochsPerFraction: [
          { fraction: 0.5, batchSize: 30, epochs: 1 },
          { fraction: 1, batchSize: 30, epochs: 1 },
        ],
        backend: 'wasm',
        workers: 1,
      })) as { jobId: string; experimentId: number };
      expect((await until(terminal(seen, jobId), 120_000)).event).toBe('job.done');
      const db = services.context.db;
      const first = listTrials(db, experimentId);
      expect(first).toHaveLength(2);
      // What a process stopped after the fraction-1 trial leaves (trials run largest fraction first).
      db.prepare('DELETE FROM trial WHERE experiment_id = ? AND fraction_index = 0').run(experimentId);
      db.prepare(`UPDATE experiment SET status = 'failed', error = 'interrupted' WHERE id = ?`).run(experimentId);

      const resumed = (await value(services, 'experiments.resume', { experimentId })) as { jobId: string };
      const end = await until(terminal(seen, resumed.jobId), 120_000);
      expect(end).toMatchObject({ event: 'job.done', payload: { result: { status: 'completed', trialsRun: 1 } } });
      expect(progressMessages(seen, resumed.jobId).some((m) => /^trial 1 of 1 \(1 stored before\): cnn, fraction 0\.5, .*training epoch 1\/1, batch 1 of 2$/.test(m))).toBe(true);
      const after = listTrials(db, experimentId);
      expect(after.map(scored)).toEqual(first.map(scored));
      // The kept trial was not run again.
      expect(after.find((t) => t.fractionIndex === 1)?.finishedAt).toBe(first.find((t) => t.fractionIndex === 1)?.finishedAt);
      // The deep work ran in the training worker process: another process, and nothing of tfjs here.
      const pid = services.context.deepWorker().workerPid;
      expect(pid).not.toBeNull();
      expect(pid).not.toBe(process.pid);
      expect({ backend: tf.getBackend() ?? null, tensors: tf.engine().state.numTensors }).toEqual({ backend: null, tensors: 0 });
    });
  }, 240_000);
});
