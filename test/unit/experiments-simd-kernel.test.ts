/**
 * Experiments pick the engine's linear kernel by the rule `fairbound qsa` uses (createQsaKernel): a
 * qsa-features trial on a Seldonian-format dataset of ≥ 2^20 float32-exact values runs on the SIMD kernel,
 * gives the trial result the JS kernel gives (to rounding: the SIMD sums run in another order), reports
 * the kernel with the trial, and ends the kernel's worker threads with the trial. In an experiment run
 * with trial workers each kernel gets its share of the cores, and the stored trial is the one the
 * calling thread computes on every core (SIMD results do not depend on the threads).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { importSeldonian } from '../../src-main/data/importers';
import { Xoshiro128 } from '../../src-main/data/shuffle';
import { kernelThreadsFor, SIMD_QSA_MIN_VALUES } from '../../src-main/engine/kernels/select';
import { liveSimdWorkers } from '../../src-main/engine/kernels/simd-linear-kernel';
import { simdSupported } from '../../src-main/engine/kernels/simd-support';
import { compileExperimentConstraints } from '../../src-main/experiments/constraints';
import { createExperiment, type ExperimentProgress } from '../../src-main/experiments/runner';
import { experimentDataset } from '../../src-main/experiments/trial-dataset';
import { runExperimentInThreads } from '../../src-main/jobs/trial-threads/run-experiment';
import { trialRows } from '../../src-main/experiments/resample';
import { TrialExecutor } from '../../src-main/experiments/trial-executor';
import type { TrialResult } from '../../src-main/experiments/types';
import { openWorkspace } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { getExperiment, getResample, listTrials } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';
import { missing } from '../support/prerequisites';

const tempDir = useTempDir('fairbound-experiments-simd-');
const N = 4200, D = 256;
const CONSTRAINT = 'min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8';

/**
 * A seeded Seldonian CSV: features are multiples of 1/16 in [−2, 2] (exact in float32, short in text),
 * the label follows the first 8 of them, groups M/F at random.
 */
function seldonianFiles(dir: string): { csv: string; metadata: string } {
  const rng = new Xoshiro128(2024);
  const uniform = (): number => (rng.nextUint32() + 0.5) / 0x100000000;
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const x = Array.from({ length: D }, () => Math.floor(uniform() * 65) / 16 - 2);
    const logit = x.slice(0, 8).reduce((s, v, j) => s + (j % 2 === 0 ? v : -0.5 * v), 0);
    const male = uniform() < 0.5;
    const label = uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    lines.push([...x, male ? 1 : 0, male ? 0 : 1, label].join(','));
  }
  const columns = [...Array.from({ length: D }, (_, j) => `x${j}`), 'M', 'F', 'label'];
  const metadata = { regime: 'supervised_learning', sub_regime: 'classification', all_col_names: columns, label_col_names: ['label'], sensitive_col_names: ['M', 'F'] };
  const csv = join(dir, 'data.csv'), meta = join(dir, 'metadata.json');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  writeFileSync(meta, JSON.stringify(metadata));
  return { csv, metadata: meta };
}

function expectSameTrial(actual: TrialResult, expected: TrialResult, tolerance: number): void {
  expect(actual.passed).toBe(expected.passed);
  expect(actual.nsfReason).toBe(expected.nsfReason);
  const close = (a: number, b: number, what: string): void => {
    if (Number.isNaN(b) || !Number.isFinite(b)) expect(Object.is(a, b) || a === b, what).toBe(true);
    else expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(tolerance * (1 + Math.abs(b)));
  };
  close(actual.performance, expected.performance, 'performance');
  expect(actual.g).toHaveLength(expected.g.length);
  actual.g.forEach((g, i) => close(g, expected.g[i], `g[${i}]`));
  expect(actual.theta?.length).toBe(expected.theta?.length);
  actual.theta?.forEach((t, i) => close(t, expected.theta![i], `θ[${i}]`));
}

describe.skipIf(missing('WebAssembly SIMD in this Node', simdSupported()))('qsa-features trials on the SIMD kernel', () => {
  it('run on SIMD for a ≥ 2^20-value float32-exact matrix, agree with the JS kernel, and leave no kernel threads; workers get their share of the cores', async () => {
    const dir = tempDir();
    const files = seldonianFiles(dir);
    const db = openWorkspace(join(dir, 'w.db'));
    try {
      const { dataset: info } = await importSeldonian(db, { csv: files.csv, metadata: files.metadata, name: 'wide' });
      const experimentId = createExperiment(db, {
        datasetId: info.id,
        constraints: [{ source: CONSTRAINT, delta: 0.05 }],
        fractions: [1],
        nTrials: 2,
        models: [{ name: 'qsa-features', type: 'qsa-features', params: {} }],
        qsa: { iterations: 60, alphaTheta: 0.01, alphaLambda: 0.01 },
        seed: 77,
      });
      const experiment = getExperiment(db, experimentId)!;
      const data = loadDatasetForTraining(db, info.id);
      // The Seldonian reader keeps float64: the rule checks that every value is exactly a float32.
      expect(data.features).toBeInstanceOf(Float64Array);
      const rows = trialRows(getResample(db, experimentId, 0)!, 1);
      expect(rows.length * D).toBeGreaterThanOrEqual(SIMD_QSA_MIN_VALUES);

      const dataset = experimentDataset(data, false);
      const constraints = compileExperimentConstraints(experiment.constraints, dataset);
      const task = { model: 'qsa-features', fractionIndex: 0, fraction: 1, trialIndex: 0, rows };
      const executor = (kernel: { threads?: number; kernel?: 'js' }): TrialExecutor =>
        new TrialExecutor({ dataset, constraints, settings: experiment.settings, seed: experiment.seed, kernel });

      const before = liveSimdWorkers();
      const simdExecutor = executor({ threads: 2 });
      const simd = await simdExecutor.run(task);
      simdExecutor.dispose();
      expect(simd.kernel).toEqual({ name: 'simd', threads: 2 });
      // The trial disposed its kernel: its worker thread exits (asynchronously, after terminate()).
      await vi.waitFor(() => expect(liveSimdWorkers()).toBe(before), { timeout: 2000, interval: 10 });

      const jsExecutor = executor({ kernel: 'js' });
      const js = await jsExecutor.run(task);
      jsExecutor.dispose();
      expect(js.kernel).toEqual({ name: 'js', threads: 1 });
      expect(simd.passed).toBe(true); // so that performance, g and θ are compared, not NSF's constants
      expectSameTrial(simd, js, 1e-9);

      // The experiment's own run, its two trials in two trial workers at once: each SIMD kernel gets
      // ⌊cores / 2⌋ threads (at least one), reported with the trial, and the stored trial 0 is the SIMD
      // result above bit for bit.
      const seen: ExperimentProgress[] = [];
      const summary = await runExperimentInThreads(db, experimentId, { workers: 2, onProgress: (p) => seen.push(p) });
      expect(summary).toMatchObject({ status: 'completed', workers: 2, trialsRun: 2 });
      expect(seen.map((p) => p.last.kernel)).toEqual([0, 1].map(() => ({ name: 'simd', threads: kernelThreadsFor(2) })));
      const stored = listTrials(db, experimentId).find((t) => t.trialIndex === 0)!;
      expectSameTrial(stored, simd, 0);
      expect(liveSimdWorkers()).toBe(before);
    } finally {
      db.close();
    }
  }, 60_000);
});

describe('kernelThreadsFor', () => {
  it('shares the cores among the QSAs that run at once, at least one thread each', () => {
    expect(kernelThreadsFor(1, 2)).toBe(2);
    expect(kernelThreadsFor(2, 2)).toBe(1);
    expect(kernelThreadsFor(3, 2)).toBe(1);
    expect(kernelThreadsFor(2, 16)).toBe(8);
    expect(kernelThreadsFor(3, 16)).toBe(5);
    expect(kernelThreadsFor(0, 4)).toBe(4);
  });
});
