/**
 * Invariants of running an experiment: the resamples are drawn once, stored,
 * and what every trial reads (a stored blob changed by hand changes the trials); every model at every
 * fraction of a trial trains on the same prefix; NSF scores as performance NaN and g = −∞; a re-run
 * skips stored trials; a cancel keeps finished trials and marks the experiment cancelled; worker
 * threads give the same results as the calling thread; a worker that cannot start fails the run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSeldonian } from '../../src-main/data/importers';
import { fitLogisticRegression } from '../../src-main/experiments/logistic-regression';
import { bootstrapIndices, deriveExperimentSeed, SEED_STREAM } from '../../src-main/experiments/resample';
import { compileExperimentConstraints } from '../../src-main/experiments/constraints';
import { createExperiment, type ExperimentRequest } from '../../src-main/experiments/runner';
import { runExperimentInThreads } from '../../src-main/jobs/trial-threads/run-experiment';
import { TrialExecutor } from '../../src-main/experiments/trial-executor';
import { DEFAULT_QSA_SETTINGS } from '../../src-main/experiments/types';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { getExperiment, getResample, insertResample, listTrials } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-experiments-');
const N = 400;

async function workspace(): Promise<{ db: WritableDB; datasetId: number }> {
  const dir = tempDir();
  const files = twoGroupSeldonianFiles(twoGroupData({ nRows: N, seed: 5 }));
  writeFileSync(join(dir, 'data.csv'), files.csv);
  writeFileSync(join(dir, 'metadata.json'), files.metadata);
  const db = openWorkspace(join(dir, 'w.db'));
  const { dataset } = await importSeldonian(db, { csv: join(dir, 'data.csv'), metadata: join(dir, 'metadata.json'), name: 'two' });
  return { db, datasetId: dataset.id };
}

function request(datasetId: number, overrides: Partial<ExperimentRequest> = {}): ExperimentRequest {
  return {
    datasetId,
    constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.15', delta: 0.05 }],
    fractions: [0.05, 0.5, 1],
    nTrials: 3,
    models: [
      { name: 'qsa-features', type: 'qsa-features', params: {} },
      { name: 'logistic', type: 'logistic', params: { C: 1 } },
      { name: 'uniform-random', type: 'uniform-random', params: {} },
    ],
    qsa: { iterations: 60, alphaTheta: 0.05, alphaLambda: 0.05, thetaInit: 'logistic' },
    seed: 1234,
    ...overrides,
  };
}

describe('runExperiment', () => {
  it('stores the seeded resamples and trains every model on the same stored prefix', async () => {
    const { db, datasetId } = await workspace();
    try {
      const id = createExperiment(db, request(datasetId));
      for (let i = 0; i < 3; i++) expect(getResample(db, id, i)).toEqual(bootstrapIndices(N, deriveExperimentSeed(1234, SEED_STREAM.resample, i)));
      // Replace trial 1's stored resample: the run must read it, not draw it again.
      const custom = Int32Array.from({ length: N }, (_, r) => N - 1 - r);
      db.prepare('DELETE FROM experiment_resample WHERE experiment_id = ? AND trial_index = 1').run(id);
      insertResample(db, id, { trialIndex: 1, seed: 0, indices: custom });

      const summary = await runExperimentInThreads(db, id, { workers: 1 });
      expect(summary).toMatchObject({ status: 'completed', trialsRun: 27, trialsSkipped: 0, error: null });
      const trials = listTrials(db, id);
      expect(trials).toHaveLength(27);
      expect(new Set(trials.map((t) => t.nRows))).toEqual(new Set([20, 200, 400]));

      const data = loadDatasetForTraining(db, datasetId);
      const logistic = trials.find((t) => t.model === 'logistic' && t.trialIndex === 1 && t.fraction === 0.05)!;
      const expected = fitLogisticRegression(data.features!, 3, custom.subarray(0, 20), data.labels, 2).theta;
      expect(Array.from(logistic.theta!)).toEqual(Array.from(expected));
      const other = trials.find((t) => t.model === 'logistic' && t.trialIndex === 0 && t.fraction === 0.05)!;
      const fromSeed = bootstrapIndices(N, deriveExperimentSeed(1234, SEED_STREAM.resample, 0)).subarray(0, 20);
      expect(Array.from(other.theta!)).toEqual(Array.from(fitLogisticRegression(data.features!, 3, fromSeed, data.labels, 2).theta));

      for (const t of trials) {
        if (t.passed) {
          expect(t.performance).toBeGreaterThan(0);
          expect(t.g.every(Number.isFinite)).toBe(true);
        } else {
          expect(t.performance).toBeNaN();
          expect(t.g).toEqual([-Infinity]);
          expect(t.nsfReason).toBeTruthy();
        }
      }
      // Baselines always return a solution here; uniform-random is fair (|0.5 − 0.5| − 0.15 < 0).
      expect(trials.filter((t) => t.model !== 'qsa-features').every((t) => t.passed)).toBe(true);
      expect(trials.filter((t) => t.model === 'uniform-random').every((t) => t.g[0] === -0.15)).toBe(true);
      expect(getExperiment(db, id)).toMatchObject({ status: 'completed', finishedAt: expect.any(String) });
    } finally {
      db.close();
    }
  });

  it('cancels between trials keeping the finished ones, and a re-run resumes with only the missing trials', async () => {
    const { db, datasetId } = await workspace();
    try {
      const id = createExperiment(db, request(datasetId));
      const controller = new AbortController();
      const first = await runExperimentInThreads(db, id, {
        workers: 1,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 5) controller.abort();
        },
      });
      expect(first).toMatchObject({ status: 'cancelled', trialsRun: 5 });
      expect(getExperiment(db, id)!.status).toBe('cancelled');
      const kept = listTrials(db, id);
      expect(kept).toHaveLength(5);

      const progress: number[] = [];
      const second = await runExperimentInThreads(db, id, { workers: 1, onProgress: (p) => progress.push(p.done) });
      expect(second).toMatchObject({ status: 'completed', trialsRun: 22, trialsSkipped: 5 });
      expect(progress).toHaveLength(22);
      const all = listTrials(db, id);
      expect(all).toHaveLength(27);
      // The first run's trials were not run again.
      for (const t of kept) {
        const again = all.find((a) => a.model === t.model && a.fraction === t.fraction && a.trialIndex === t.trialIndex)!;
        expect(again.finishedAt).toBe(t.finishedAt);
      }
      const third = await runExperimentInThreads(db, id, { workers: 1 });
      expect(third).toMatchObject({ status: 'completed', trialsRun: 0, trialsSkipped: 27 });
      expect(getExperiment(db, id)!.runSeconds).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it('runs trials in worker threads with the same results as on the calling thread, and cancels them', async () => {
    const { db, datasetId } = await workspace();
    try {
      const serial = createExperiment(db, request(datasetId));
      const parallel = createExperiment(db, request(datasetId));
      await runExperimentInThreads(db, serial, { workers: 1 });
      const etas: (number | null)[] = [];
      const summary = await runExperimentInThreads(db, parallel, { workers: 2, onProgress: (p) => etas.push(p.etaSeconds) });
      expect(summary).toMatchObject({ status: 'completed', workers: 2, trialsRun: 27 });
      expect(etas.every((e) => e !== null && e >= 0)).toBe(true);
      const strip = (id: number): unknown[] =>
        listTrials(db, id).map((t) => [t.model, t.fraction, t.trialIndex, t.passed, t.performance, t.g, t.theta && Array.from(t.theta), t.nsfReason]);
      expect(strip(parallel)).toEqual(strip(serial));

      const cancelled = createExperiment(db, request(datasetId));
      const controller = new AbortController();
      const stopped = await runExperimentInThreads(db, cancelled, {
        workers: 2,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      expect(stopped.status).toBe('cancelled');
      const kept = listTrials(db, cancelled).length;
      expect(kept).toBeGreaterThanOrEqual(1);
      expect(kept).toBeLessThan(27);
      const resumed = await runExperimentInThreads(db, cancelled, { workers: 2 });
      expect(resumed).toMatchObject({ status: 'completed', trialsSkipped: kept, trialsRun: 27 - kept });
      expect(strip(cancelled)).toEqual(strip(serial));
    } finally {
      db.close();
    }
  });

  it('fails the run (keeping it resumable) when a worker cannot start', async () => {
    const { db, datasetId } = await workspace();
    try {
      const id = createExperiment(db, request(datasetId));
      const broken = join(tempDir(), 'broken-worker.mjs');
      writeFileSync(broken, "throw new Error('no engine here');\n");
      const summary = await runExperimentInThreads(db, id, { workers: 2, workerEntry: { filename: broken } });
      expect(summary.status).toBe('failed');
      expect(summary.error).toMatch(/no engine here/);
      expect(getExperiment(db, id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/no engine here/) });
      expect((await runExperimentInThreads(db, id, { workers: 1 })).status).toBe('completed');
    } finally {
      db.close();
    }
  });

  it('rejects bad requests with the reason', async () => {
    const { db, datasetId } = await workspace();
    try {
      expect(() => createExperiment(db, request(datasetId, { fractions: [0.001] }))).toThrow(/at least one/);
      expect(() => createExperiment(db, request(datasetId, { fractions: [0.5, 0.5] }))).toThrow(/twice/);
      expect(() => createExperiment(db, request(datasetId, { constraints: [{ source: '(PR | [Q]) >= 0.1', delta: 0.05 }] }))).toThrow(/unknown attribute 'Q'/);
      expect(() => createExperiment(db, request(datasetId, { models: [{ name: 'qsa-nope', type: 'qsa-nope', params: {} }] }))).toThrow(/unknown model 'qsa-nope'/);
      expect(() => createExperiment(db, request(datasetId, { qsa: { fracSafety: 1 } }))).toThrow(/fracSafety/);
      expect(() => createExperiment(db, request(datasetId, { nTrials: 0 }))).toThrow(/trials/);
      expect(() => createExperiment(db, request(9999))).toThrow(/no dataset/);
      await expect(runExperimentInThreads(db, 9999)).rejects.toThrow(/no experiment with id 9999/);
    } finally {
      db.close();
    }
  });
});

describe('TrialExecutor on a multiclass dataset', () => {
  it('runs the softmax QSA and the multinomial baseline, scoring K-column probabilities', async () => {
    // Three classes along x; group F is shifted so its class-0 rate differs.
    const n = 600;
    const features = new Float64Array(n * 2), labels = new Float64Array(n), sensitive = new Uint8Array(n * 2);
    for (let i = 0; i < n; i++) {
      const female = i % 2 === 1;
      const x = ((i * 7919) % n) / n * 6 - 3 + (female ? 0.5 : 0);
      features[i * 2] = x;
      features[i * 2 + 1] = ((i * 104729) % 97) / 97 - 0.5;
      labels[i] = x < -1 ? 0 : x < 1 ? 1 : 2;
      sensitive[i * 2 + (female ? 1 : 0)] = 1;
    }
    const dataset = { nRows: n, nClasses: 3, labels, sensitiveColumns: ['M', 'F'], sensitive, features, nFeatures: 2 };
    const constraints = compileExperimentConstraints([{ source: 'ACC >= 0.5', delta: 0.1 }], dataset);
    const executor = new TrialExecutor({
      dataset,
      constraints,
      seed: 3,
      settings: {
        fractions: [1],
        nTrials: 1,
        models: [
          { name: 'qsa-features', type: 'qsa-features', kind: 'seldonian', params: {} },
          { name: 'logistic', type: 'logistic', kind: 'baseline', params: { C: 1 } },
          { name: 'uniform-random', type: 'uniform-random', kind: 'baseline', params: {} },
        ],
        performance: 'probabilistic-accuracy',
        threshold: 0.5,
        qsa: { ...DEFAULT_QSA_SETTINGS, iterations: 100, alphaTheta: 0.05, thetaInit: 'logistic' },
      },
    });
    const rows = bootstrapIndices(n, 17);
    const task = (model: string) => ({ model, fractionIndex: 0, fraction: 1, trialIndex: 0, rows });
    const qsa = await executor.run(task('qsa-features'));
    expect(qsa.passed).toBe(true);
    expect(qsa.theta).toHaveLength(9); // (d + 1) × K
    expect(qsa.g[0]).toBeLessThan(0);
    const logistic = await executor.run(task('logistic'));
    expect(logistic.performance).toBeGreaterThan(0.6);
    const uniform = await executor.run(task('uniform-random'));
    expect(uniform.performance).toBeCloseTo(1 / 3, 12);
    expect(uniform.g[0]).toBeCloseTo(0.5 - 1 / 3, 12);
    executor.dispose();
  });
});
