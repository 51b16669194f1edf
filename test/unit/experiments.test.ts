/**
 * Invariants of the experiment library's pure parts: resamples are seeded and fractions are
 * nested prefixes of them; the performance measures, the logistic baseline's fit and the aggregates
 * follow their formulas (hand-computed values below); the export writes exactly what the Python library
 * writes (numpy/Python formatting checked against numpy 2.4.6's output); the plot option has its panels.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateTrials, meanAndStd, violated } from '../../src-main/experiments/aggregate';
import { resultsCsv, trialCsv, trialFileName, writeExperimentExport } from '../../src-main/experiments/export';
import { fitLogisticRegression, lbfgs } from '../../src-main/experiments/logistic-regression';
import { parseModelList } from '../../src-main/experiments/models/registry';
import { accuracy, logLoss, probabilisticAccuracy } from '../../src-main/experiments/performance';
import { experimentPlotOptions, renderExperimentSvg } from '../../src-main/experiments/plots';
import { numpyArrayString, pythonFloat } from '../../src-main/experiments/python-format';
import { bootstrapIndices, deriveExperimentSeed, SEED_STREAM, trialRowCount, trialRows } from '../../src-main/experiments/resample';
import type { TrialResult } from '../../src-main/experiments/types';

describe('resampling', () => {
  it('draws N indices in 0…N−1 with replacement, the same for the same seed', () => {
    const a = bootstrapIndices(1000, 42);
    expect(a).toHaveLength(1000);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1000);
    expect(new Set(a).size).toBeLessThan(1000); // with replacement: about 1 − 1/e of the rows appear
    expect(new Set(a).size).toBeGreaterThan(550);
    expect(bootstrapIndices(1000, 42)).toEqual(a);
    expect(bootstrapIndices(1000, 43)).not.toEqual(a);
  });

  it('derives distinct, stable seeds per stream and trial', () => {
    // Stored experiments keep their seeds' meaning: these values are pinned, so a change of the derivation fails here.
    const seeds = [0, 1, 2, 3].map((i) => deriveExperimentSeed(7, SEED_STREAM.resample, i));
    expect(seeds).toEqual([3651649531, 3347681412, 2704153037, 3630805125]);
    expect([0, 1, 2, 3].map((i) => deriveExperimentSeed(7, SEED_STREAM.modelInit, i))).toEqual([3046049983, 1962815652, 2582153784, 1569927042]);
    expect(deriveExperimentSeed(0, SEED_STREAM.resample, 0)).toBe(297628576);
    expect(deriveExperimentSeed(4294967295, SEED_STREAM.modelInit, 5)).toBe(3875393831);
    expect(new Set(seeds).size).toBe(4);
    expect(() => deriveExperimentSeed(-1, 1, 0)).toThrow(RangeError);
  });

  it('takes round(φ·N) rows with Python rounding (half to even)', () => {
    expect(trialRowCount(0.5, 5)).toBe(2); // 2.5 → 2
    expect(trialRowCount(0.7, 5)).toBe(4); // 3.5 → 4
    expect(trialRowCount(0.3, 5)).toBe(2); // 1.5 → 2
    expect(trialRowCount(0.1, 25)).toBe(2); // 2.5 → 2
    expect(trialRowCount(1, 23700)).toBe(23700);
    expect(() => trialRowCount(0.01, 10)).toThrow(/at least one/);
  });

  it('makes the fractions of a trial nested prefixes of its resample', () => {
    const resample = bootstrapIndices(500, 9);
    const fractions = [0.01, 0.1, 0.37, 0.5, 1];
    const rows = fractions.map((f) => trialRows(resample, f));
    expect(rows.map((r) => r.length)).toEqual([5, 50, 185, 250, 500]);
    for (let i = 1; i < rows.length; i++) expect(Array.from(rows[i].subarray(0, rows[i - 1].length))).toEqual(Array.from(rows[i - 1]));
    expect(rows[4]).toEqual(resample);
  });
});

describe('performance (X:perf_eval_funcs.py)', () => {
  const labels = Float64Array.of(1, 0, 1, 0);
  const probs = Float64Array.of(0.9, 0.6, 0.5, 0.2);
  it('accuracy thresholds p > 0.5 (0.5 predicts 0) and takes the argmax for multiclass', () => {
    expect(accuracy({ labels, probs, nOutputs: 1 })).toBe(0.5); // rows 0 and 3 right
    expect(accuracy({ labels, probs, nOutputs: 1 }, 0.55)).toBe(0.5);
    const multi = { labels: Float64Array.of(2, 0), probs: Float64Array.of(0.1, 0.2, 0.7, 0.4, 0.4, 0.2), nOutputs: 3 };
    expect(accuracy(multi)).toBe(1); // row 1: a tie goes to the first class
  });
  it('probabilistic accuracy is the mean probability of the true class', () => {
    expect(probabilisticAccuracy({ labels, probs, nOutputs: 1 })).toBeCloseTo((0.9 + 0.4 + 0.5 + 0.8) / 4, 15);
  });
  it("log loss is sklearn's (clipped at float64 eps)", () => {
    expect(logLoss({ labels, probs, nOutputs: 1 })).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.5) + Math.log(0.8)) / 4, 14);
    expect(logLoss({ labels: Float64Array.of(1), probs: Float64Array.of(0), nOutputs: 1 })).toBeCloseTo(-Math.log(2.220446049250313e-16), 6);
    expect(logLoss({ labels: Float64Array.of(1), probs: Float64Array.of(0.2, 0.8), nOutputs: 2 })).toBeCloseTo(-Math.log(0.8), 14);
  });
});

describe('logistic baseline (L2, C = 1, L-BFGS)', () => {
  it('L-BFGS finds the minimum of the Rosenbrock function', () => {
    const r = lbfgs(
      (x, g) => {
        g[0] = -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] * x[0]);
        g[1] = 200 * (x[1] - x[0] * x[0]);
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] * x[0]) ** 2;
      },
      Float64Array.of(-1.2, 1),
    );
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });

  it("matches a Newton solution of sklearn's objective (binary, intercept unpenalised)", () => {
    // One feature, six rows (row 1 twice, as in a bootstrap sample): minimise Σ log(1 + e^{−s·z}) + w²/2.
    const x = Float64Array.of(-2, -1, 0.5, 1, 2, -0.5);
    const y = Float64Array.of(0, 0, 1, 1, 1, 1);
    const rows = Int32Array.of(0, 1, 1, 2, 3, 4, 5);
    let b = 0, w = 0;
    for (let it = 0; it < 50; it++) {
      let gb = 0, gw = w, hbb = 0, hbw = 0, hww = 1;
      for (const r of rows) {
        const p = 1 / (1 + Math.exp(-(b + w * x[r])));
        gb += p - y[r];
        gw += (p - y[r]) * x[r];
        const s = p * (1 - p);
        hbb += s;
        hbw += s * x[r];
        hww += s * x[r] * x[r];
      }
      const det = hbb * hww - hbw * hbw;
      b -= (hww * gb - hbw * gw) / det;
      w -= (-hbw * gb + hbb * gw) / det;
    }
    const fit = fitLogisticRegression(x, 1, rows, y, 2);
    expect(fit.converged).toBe(true);
    expect(fit.nOutputs).toBe(1);
    expect(fit.theta[0]).toBeCloseTo(b, 7);
    expect(fit.theta[1]).toBeCloseTo(w, 7);
  });

  it('keeps separable data finite and fits the multinomial model (gradient ≈ 0)', () => {
    const x = Float64Array.of(-3, -2, 0, 0.2, 2, 3);
    const y = Float64Array.of(0, 0, 1, 1, 2, 2);
    const rows = Int32Array.of(0, 1, 2, 3, 4, 5);
    const fit = fitLogisticRegression(x, 1, rows, y, 3);
    expect(fit.nOutputs).toBe(3);
    expect(fit.theta).toHaveLength(6); // (d + 1) × K
    expect(fit.converged).toBe(true);
    expect(fit.theta.every(Number.isFinite)).toBe(true);
    // The slopes order the classes along x.
    expect(fit.theta[3]).toBeLessThan(fit.theta[4]);
    expect(fit.theta[4]).toBeLessThan(fit.theta[5]);
  });
});

describe('model list', () => {
  it('parses names, arguments and rejects duplicates and unknown models', () => {
    expect(parseModelList('qsa-features, logistic,uniform-random,weighted-random:0.7').map((m) => m.name)).toEqual([
      'qsa-features',
      'logistic',
      'uniform-random',
      'weighted-random-0.70',
    ]);
    expect(parseModelList('weighted-random:0.7')[0].params).toEqual({ p: 0.7 });
    expect(parseModelList('logistic:0.1')[0]).toEqual({ name: 'logistic-c0.1', type: 'logistic', params: { C: 0.1 } });
    expect(() => parseModelList('logistic,logistic')).toThrow(/twice/);
    expect(() => parseModelList('qsa-nope')).toThrow(/unknown model 'qsa-nope'/);
    expect(() => parseModelList('weighted-random')).toThrow(/needs its weight/);
    expect(() => parseModelList('weighted-random:2')).toThrow(/\[0, 1\]/);
  });
});

type Row = Pick<TrialResult, 'model' | 'fraction' | 'trialIndex' | 'passed' | 'performance' | 'g'>;

describe("aggregation (the library's standard-error divisors)", () => {
  const trials: Row[] = [
    // QSA at φ = 0.1: two passed (0.8, 0.6), one NSF.
    { model: 'qsa', fraction: 0.1, trialIndex: 0, passed: true, performance: 0.8, g: [-0.1] },
    { model: 'qsa', fraction: 0.1, trialIndex: 1, passed: true, performance: 0.6, g: [0.2] },
    { model: 'qsa', fraction: 0.1, trialIndex: 2, passed: false, performance: Number.NaN, g: [-Infinity] },
    // QSA at φ = 1: one passed only (its performance point is hidden); a NaN g counts as a violation.
    { model: 'qsa', fraction: 1, trialIndex: 0, passed: true, performance: 0.9, g: [Number.NaN] },
    { model: 'qsa', fraction: 1, trialIndex: 1, passed: false, performance: Number.NaN, g: [-Infinity] },
    { model: 'qsa', fraction: 1, trialIndex: 2, passed: false, performance: Number.NaN, g: [-Infinity] },
    // Baseline: trial 1 failed to train; the s.e. divides by n_trials = 3, not by the 2 valid trials.
    { model: 'base', fraction: 0.1, trialIndex: 0, passed: true, performance: 0.5, g: [0.3] },
    { model: 'base', fraction: 0.1, trialIndex: 1, passed: false, performance: Number.NaN, g: [-Infinity] },
    { model: 'base', fraction: 0.1, trialIndex: 2, passed: true, performance: 0.7, g: [0.1] },
    // A fraction with only trial 0 stored (a cancelled run): n_trials stays max(trial_i) + 1 = 3.
    { model: 'base', fraction: 1, trialIndex: 0, passed: true, performance: 0.75, g: [0] },
  ];
  const aggregates = aggregateTrials({
    nRows: 200,
    constraints: [{ source: 'ACC >= 0.5', parsed: '0.5-(ACC)', delta: 0.05 }],
    performanceMetric: 'accuracy',
    models: [
      { name: 'qsa', kind: 'seldonian' },
      { name: 'base', kind: 'baseline' },
    ],
    trials,
  });
  const [qsa, base] = aggregates.models;

  it("uses pandas' mean and sample std", () => {
    const { mean, std } = meanAndStd([1, 1, 0]);
    expect(mean).toBe(2 / 3);
    expect(std).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(meanAndStd([5]).std).toBeNaN();
    expect(violated(0)).toBe(false);
    expect(violated(1e-12)).toBe(true);
    expect(violated(Number.NaN)).toBe(true);
    expect(violated(-Infinity)).toBe(false);
  });

  it('QSA: performance over passing trials with s.e. = std/√n_passed; P(solution) and P(violation) over all trials with std/√n_trials', () => {
    expect(qsa.nTrials).toBe(3);
    const [low, high] = qsa.fractions;
    expect(low.fraction).toBe(0.1);
    expect(low.amount).toBeCloseTo(20, 12);
    expect(low.trials).toBe(3);
    expect(low.solutions).toBe(2);
    expect(low.performance!.mean).toBeCloseTo(0.7, 15);
    expect(low.performance!.ste).toBeCloseTo(Math.sqrt(0.02) / Math.sqrt(2), 15); // std 0.1414…, n_passed 2
    expect(low.probabilityOfSolution.mean).toBeCloseTo(2 / 3, 15);
    expect(low.probabilityOfSolution.ste).toBeCloseTo(Math.sqrt(1 / 3) / Math.sqrt(3), 15);
    expect(low.probabilityOfViolation[0].mean).toBeCloseTo(1 / 3, 15); // only g = 0.2; NSF's −∞ is safe
    expect(low.probabilityOfViolation[0].ste).toBeCloseTo(Math.sqrt(1 / 3) / Math.sqrt(3), 15);
    expect(high.performance).toBeNull(); // one passing trial: hidden
    expect(high.probabilityOfSolution.mean).toBeCloseTo(1 / 3, 15);
    expect(high.probabilityOfViolation[0].mean).toBeCloseTo(1 / 3, 15); // the NaN g
  });

  it('baselines: performance over non-NaN trials but s.e. = std/√n_trials; P(solution) = share with a performance', () => {
    expect(base.nTrials).toBe(3);
    const [low, high] = base.fractions;
    expect(low.performance!.mean).toBeCloseTo(0.6, 15);
    expect(low.performance!.n).toBe(2);
    expect(low.performance!.ste).toBeCloseTo(Math.sqrt(0.02) / Math.sqrt(3), 15);
    expect(low.probabilityOfSolution.mean).toBeCloseTo(2 / 3, 15);
    expect(low.probabilityOfViolation[0].mean).toBeCloseTo(2 / 3, 15);
    expect(high.trials).toBe(1);
    expect(high.performance).toBeNull();
    expect(high.probabilityOfSolution).toEqual({ mean: 1, ste: Number.NaN });
    expect(high.probabilityOfViolation[0].mean).toBe(0); // g = 0 is not a violation
  });
});

describe('Python / numpy formatting (oracle: Python 3 repr, numpy 2.4.6 str)', () => {
  it("writes floats as Python's repr", () => {
    const cases: [number, string][] = [
      [0.01, '0.01'], [1, '1.0'], [1e-5, '1e-05'], [1.5e16, '1.5e+16'], [123.456, '123.456'], [-0, '-0.0'], [1e22, '1e+22'],
      [0.0001, '0.0001'], [1e16, '1e+16'], [1e15, '1000000000000000.0'], [0.1 + 0.2, '0.30000000000000004'], [5e-324, '5e-324'],
      [9.999999999999999e-5, '9.999999999999999e-05'], [Number.NaN, 'nan'], [-Infinity, '-inf'],
    ];
    for (const [x, text] of cases) expect(pythonFloat(x), String(x)).toBe(text);
  });

  it('writes a gvec as str(np.array(g))', () => {
    const cases: [number[], string][] = [
      [[-0.0132], '[-0.0132]'],
      [[-Infinity], '[-inf]'],
      [[-0.0132, 0.5], '[-0.0132  0.5   ]'],
      [[0.1 + 0.2], '[0.3]'],
      [[1], '[1.]'],
      [[-0.01320475123], '[-0.01320475]'],
      [[1e-5], '[1.e-05]'],
      [[-0.0132, -Infinity], '[-0.0132    -inf]'],
      [[Number.NaN], '[nan]'],
      [[0.5, Number.NaN], '[0.5 nan]'],
      [[1e-5, 0.5], '[1.e-05 5.e-01]'],
      [[-1.5e-5, 0.25], '[-1.5e-05  2.5e-01]'],
      [[123456789], '[1.23456789e+08]'],
      [[-0], '[-0.]'],
      [[0, 1e-5], '[0.e+00 1.e-05]'],
      [[-Infinity, -Infinity], '[-inf -inf]'],
      [[2.5e-9, -3.1], '[ 2.5e-09 -3.1e+00]'],
      [[1e-100, 1], '[1.e-100 1.e+000]'],
      [[0.25885088123, -0.0123], '[ 0.25885088 -0.0123    ]'],
      [[99999999.9], '[99999999.9]'],
      [[Number.NaN, -Infinity, 0.3], '[ nan -inf  0.3]'],
      [
        [-0.07721836, 0.123, -0.5, 0.9999999999, 12.5, -7.25, 0.001, 0.0105, 3.14159, 2.71828, -1.41421, 0.33333, 42],
        '[-7.721836e-02  1.230000e-01 -5.000000e-01  1.000000e+00  1.250000e+01\n -7.250000e+00  1.000000e-03  1.050000e-02  3.141590e+00  2.718280e+00\n -1.414210e+00  3.333300e-01  4.200000e+01]',
      ],
    ];
    for (const [values, text] of cases) expect(numpyArrayString(values), JSON.stringify(values)).toBe(text);
  });
});

describe("export (the Experiments library's CSV layout)", () => {
  it('writes a QSA trial file exactly as the library does, NSF included', () => {
    expect(trialFileName(0.01, 3)).toBe('data_frac_0.0100_trial_3.csv');
    expect(trialFileName(1, 0)).toBe('data_frac_1.0000_trial_0.csv');
    expect(trialCsv('seldonian', { fraction: 0.01, trialIndex: 3, passed: false, performance: Number.NaN, g: [-Infinity] })).toBe(
      'data_frac,trial_i,performance,passed_safety,gvec\n0.01,3,,False,[-inf]\n',
    );
    expect(trialCsv('seldonian', { fraction: 1, trialIndex: 0, passed: true, performance: 0.8734177215189873, g: [-0.0132] })).toBe(
      'data_frac,trial_i,performance,passed_safety,gvec\n1.0,0,0.8734177215189873,True,[-0.0132]\n',
    );
  });

  it('writes baselines without passed_safety, several constraints space-separated, NaN g as nan', () => {
    expect(trialCsv('baseline', { fraction: 0.5, trialIndex: 2, passed: true, performance: 0.75, g: [0.2, -0.0132] })).toBe(
      'data_frac,trial_i,performance,gvec\n0.5,2,0.75,[ 0.2    -0.0132]\n',
    );
    expect(trialCsv('baseline', { fraction: 0.5, trialIndex: 0, passed: true, performance: 0.5, g: [Number.NaN] })).toBe(
      'data_frac,trial_i,performance,gvec\n0.5,0,0.5,[nan]\n',
    );
  });

  it('writes the layout: trial files and the concatenation in fraction order, then trial order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fairbound-export-'));
    try {
      const t = (fraction: number, trialIndex: number, passed: boolean): Row & { model: string } => ({
        model: 'qsa-features',
        fraction,
        trialIndex,
        passed,
        performance: passed ? 0.5 + trialIndex / 10 : Number.NaN,
        g: [passed ? -0.25 : -Infinity],
      });
      const trials = [t(1, 1, true), t(0.1, 1, false), t(1, 0, true), t(0.1, 0, true)];
      const files = writeExperimentExport(dir, {
        fractions: [0.1, 1],
        models: [
          { name: 'qsa-features', kind: 'seldonian' },
          { name: 'logistic', kind: 'baseline' },
        ],
        trials,
      });
      expect(readdirSync(dir)).toEqual(['qsa_features_results']); // no trials, no folder
      expect(files).toContain(join('qsa_features_results', 'trial_data', 'data_frac_0.1000_trial_1.csv'));
      expect(readdirSync(join(dir, 'qsa_features_results', 'trial_data')).sort()).toEqual([
        'data_frac_0.1000_trial_0.csv',
        'data_frac_0.1000_trial_1.csv',
        'data_frac_1.0000_trial_0.csv',
        'data_frac_1.0000_trial_1.csv',
      ]);
      const all = readFileSync(join(dir, 'qsa_features_results', 'qsa_features_results.csv'), 'utf8');
      expect(all).toBe(
        'data_frac,trial_i,performance,passed_safety,gvec\n0.1,0,0.5,True,[-0.25]\n0.1,1,,False,[-inf]\n1.0,0,0.5,True,[-0.25]\n1.0,1,0.6,True,[-0.25]\n',
      );
      expect(resultsCsv('seldonian', trials, [0.1, 1])).toBe(all);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('plots', () => {
  const aggregates = aggregateTrials({
    nRows: 1000,
    constraints: [
      { source: 'abs((PR | [M]) - (PR | [F])) <= 0.15', parsed: 'abs((PR | [M]) - (PR | [F]))-(0.15)', delta: 0.05 },
      { source: 'ACC >= 0.6', parsed: '0.6-(ACC)', delta: 0.1 },
    ],
    performanceMetric: 'log-loss',
    models: [
      { name: 'qsa-features', kind: 'seldonian' },
      { name: 'logistic', kind: 'baseline' },
    ],
    trials: [0.01, 0.1, 1].flatMap((fraction) =>
      [0, 1, 2].flatMap((trialIndex) => [
        { model: 'qsa-features', fraction, trialIndex, passed: trialIndex < 2, performance: trialIndex < 2 ? 0.6 + trialIndex / 10 : Number.NaN, g: [-0.1, -0.2] },
        { model: 'logistic', fraction, trialIndex, passed: true, performance: 0.5, g: [0.2, -0.1] },
      ]),
    ),
  });

  it('lays out one row of three panels per constraint on log x axes, probability panels in [−0.05, 1.05], δ dashed', () => {
    const option = experimentPlotOptions(aggregates) as Record<string, unknown[]>;
    expect(option.grid).toHaveLength(6);
    expect(option.xAxis).toHaveLength(6);
    expect((option.xAxis as { type: string; name: string }[]).every((a) => a.type === 'log' && a.name === 'Amount of data')).toBe(true);
    const y = option.yAxis as { name: string; min?: number; max?: number }[];
    expect(y.map((a) => a.name).slice(0, 3)).toEqual(['Log loss', 'Probability of solution', 'Probability of violation']);
    expect([y[1].min, y[1].max, y[2].min, y[2].max]).toEqual([-0.05, 1.05, -0.05, 1.05]);
    expect(y[0].min).toBeUndefined();
    const deltas = (option.series as { name: string; markLine?: { data: { yAxis: number }[]; lineStyle: { type: string } } }[]).filter((s) => s.name === 'δ');
    expect(deltas.map((s) => [s.markLine!.data[0].yAxis, s.markLine!.lineStyle.type])).toEqual([
      [0.05, 'dashed'],
      [0.1, 'dashed'],
    ]);
    // x values are φ·N.
    const first = (option.series as { name: string; data: [number, number | null][] }[]).find((s) => s.name === 'qsa-features')!;
    expect(first.data.map((p) => p[0])).toEqual([10, 100, 1000]);
    expect(experimentPlotOptions(aggregates, { constraints: [1] }).grid).toHaveLength(3);
  });

  it('renders an SVG document server-side', () => {
    const svg = renderExperimentSvg(aggregates, { constraints: [0] });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Probability of violation');
    expect(svg).toContain('δ = 0.05');
    expect(svg).toContain('qsa-features');
    expect(svg).not.toContain('ACC &gt;= 0.6');
  });
});
