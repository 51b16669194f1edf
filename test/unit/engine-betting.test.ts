// The QSA's exact bound (betting): its safety test is betting.ts's bound on the safety rows' estimator
// values in their order; candidate selection's prediction of it has the gradient finite differences give,
// on the values and through the model to θ; it refuses values outside [0, 1] naming the base node; and on
// a low-variance estimator it is never wider than Hoeffding's, which it claims to beat there. On the SIMD
// kernel, whose fused passes take only moment-based bounds, it runs the kernel's predict and vjp instead.
import { describe, expect, it } from 'vitest';
import { compileConstraint } from '../../src-shared/constraint';
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { bettingLower, bettingUpper } from '../../src-shared/bounds/betting';
import { predictBettingBound } from '../../src-shared/bounds/betting-prediction';
import { ConstraintBounder, type BoundBranch } from '../../src-main/engine/constraint-bounds';
import type { LabelledRows, RowRange } from '../../src-main/engine/data';
import type { ClassifierModel } from '../../src-main/engine/models/model';
import { createQsaKernel, SIMD_QSA_MIN_VALUES } from '../../src-main/engine/kernels/select';
import { simdSupported } from '../../src-main/engine/kernels/simd-support';
import { BinaryLogisticModel } from '../../src-main/engine/models/logistic';
import { primaryObjective } from '../../src-main/engine/objectives';
import { runQsa } from '../../src-main/engine/qsa';
import { predictRange, runSafetyTest } from '../../src-main/engine/safety-test';
import { missing } from '../support/prerequisites';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Rows with 3 features, labels from a noisy linear rule (so a logistic model fits them), two groups M/F. */
function makeData(nRows: number, seed: number): { features: Float64Array; data: LabelledRows } {
  const rand = lcg(seed);
  const features = Float64Array.from({ length: nRows * 3 }, () => rand() * 2 - 1);
  const labels = Float64Array.from({ length: nRows }, (_, i) => (features[i * 3] + 0.5 * features[i * 3 + 1] + 0.6 * (rand() - 0.5) > 0 ? 1 : 0));
  const sensitive = new Uint8Array(nRows * 2);
  for (let i = 0; i < nRows; i++) sensitive[i * 2 + (rand() < 0.45 ? 0 : 1)] = 1;
  return { features, data: { nRows, labels, nClasses: 2, sensitiveColumns: ['M', 'F'], sensitive } };
}

function compile(source: string, delta = 0.1): CompiledConstraint {
  const r = compileConstraint(source, { columns: ['M', 'F'], subRegime: 'classification', delta });
  if (!r.ok) throw new Error(r.error.message);
  return r.constraint;
}

/** A node's estimator values, computed here from the definitions (TPR | [F]: P on rows of F with y = 1). */
function tprOfF(data: LabelledRows, probs: Float64Array, range: RowRange): number[] {
  const values: number[] = [];
  for (let row = range.start; row < range.end; row++) {
    if (data.sensitive[row * 2 + 1] === 1 && data.labels[row] === 1) values.push(probs[row - range.start]);
  }
  return values;
}

describe('the safety test with the exact bound', () => {
  const { features, data } = makeData(400, 5);
  const model = new BinaryLogisticModel(features, 3);
  const theta = Float64Array.from([0.1, 2, 1, -0.3]);
  const safety = { start: 150, end: 400 };
  const probs = predictRange(model, theta, safety);

  it("is betting.ts's bound on the safety rows' estimator values, in their order", () => {
    const bounder = new ConstraintBounder(compile('abs((TPR | [F]) - 0.5) <= 0.4'), data, safety, 1, 'exact');
    const node = bounder.bound(probs, { kind: 'safety_test' }).baseNodes[0];
    const values = tprOfF(data, probs, safety);
    expect(node.nSamples).toBe(values.length);
    expect(node.lower).toBe(bettingLower(values, 0.05));
    expect(node.upper).toBe(bettingUpper(values, 0.05));
    // The order matters to the betting bound: the reversed values give another one, so the rows' own was used.
    expect(bettingLower(values.slice().reverse(), 0.05)).not.toBe(node.lower);
  });

  it('is never wider than Hoeffding on a low-variance estimator, and Student-t stays the default', () => {
    // ACC of a model that separates the rows well: values near 1 with little spread.
    const sharp = Float64Array.from([0.3, 12, 6, 0]);
    const constraint = compile('ACC >= 0.5');
    const exact = runSafetyTest(model, sharp, [constraint], data, safety, 'exact').constraints[0].bound;
    const hoeffding = runSafetyTest(model, sharp, [constraint], data, safety, 'hoeffding').constraints[0].bound;
    const node = exact.baseNodes[0];
    expect(node.mean).toBeGreaterThan(0.9);
    expect(node.std).toBeLessThan(0.25);
    expect(node.lower).toBeGreaterThan(hoeffding.baseNodes[0].lower + 0.02);
    expect(exact.upper).toBeLessThan(hoeffding.upper);
    const byDefault = runSafetyTest(model, sharp, [constraint], data, safety).constraints[0].bound;
    expect(byDefault.upper).toBe(runSafetyTest(model, sharp, [constraint], data, safety, 'student-t').constraints[0].bound.upper);
    expect(byDefault.upper).not.toBe(exact.upper);
  });

  it('refuses estimator values outside [0, 1], naming the base node and the row', () => {
    // A model whose outputs are not probabilities (one is 1.5): the betting bound would not hold there.
    let firstOfM = safety.start;
    while (data.sensitive[firstOfM * 2] !== 1) firstOfM++;
    const scaled: ClassifierModel = {
      nParams: model.nParams,
      nOutputs: 1,
      predict: (t, range, out) => {
        model.predict(t, range, out);
        out[firstOfM - range.start] = 1.5;
      },
      vjp: () => undefined,
    };
    expect(() => runSafetyTest(scaled, theta, [compile('(PR | [M]) >= 0.1')], data, safety, 'student-t')).not.toThrow();
    expect(() => runSafetyTest(scaled, theta, [compile('(PR | [M]) >= 0.1')], data, safety, 'exact')).toThrow(
      `base node 'PR | [M]': the exact (betting) bound needs estimator values in [0, 1], got 1.5 on safety row ${firstOfM}`,
    );
  });
});

describe("candidate selection's prediction of the betting bound", () => {
  it('has the derivative finite differences give, with and without the bet truncated, on both sides', () => {
    const rand = lcg(9);
    const spread = Array.from({ length: 60 }, () => rand());
    const tight = Array.from({ length: 60 }, () => 0.93 + 0.06 * rand());
    for (const values of [spread, tight]) {
      for (const side of ['lower', 'upper'] as const) {
        const gradient = new Float64Array(values.length);
        const at = predictBettingBound(values, side, 150, 0.05, 2, gradient);
        expect(Number.isFinite(at)).toBe(true);
        const h = 1e-6;
        for (let j = 0; j < values.length; j += 7) {
          const plus = values.slice(), minus = values.slice();
          plus[j] += h;
          minus[j] -= h;
          const numeric = (predictBettingBound(plus, side, 150, 0.05, 2) - predictBettingBound(minus, side, 150, 0.05, 2)) / (2 * h);
          expect(Math.abs(gradient[j] - numeric)).toBeLessThan(1e-7 + 1e-5 * Math.abs(numeric));
        }
      }
    }
  });

  it('predicts the safety bound of as many values, and widens it by the inflation', () => {
    const rand = lcg(21);
    const values = Array.from({ length: 400 }, () => 0.6 + 0.3 * rand());
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const exact = bettingLower(values, 0.05);
    const predicted = predictBettingBound(values, 'lower', values.length, 0.05, 1);
    expect(Math.abs(predicted - exact)).toBeLessThan(0.25 * (mean - exact));
    expect(mean - predictBettingBound(values, 'lower', values.length, 0.05, 2)).toBeCloseTo(2 * (mean - predicted), 12);
    // More safety rows predicted: a tighter bound.
    expect(predictBettingBound(values, 'lower', 4 * values.length, 0.05, 1)).toBeGreaterThan(predicted);
    expect(predictBettingBound(values, 'lower', 0, 0.05, 1)).toBeNaN();
  });

  it('carries the gradient of g through the model to θ as finite differences do', () => {
    const { features, data } = makeData(300, 7);
    const model = new BinaryLogisticModel(features, 3);
    const range = { start: 0, end: 300 };
    const branch: BoundBranch = { kind: 'candidate_selection', nSafetyRows: 450 };
    const theta = Float64Array.from([0.2, 1.1, -0.4, 0.3]);
    const upper = (bounder: ConstraintBounder, t: Float64Array): number => bounder.bound(predictRange(model, t, range), branch).upper;
    for (const source of ['min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.9', 'abs((FNR | [M]) - (FNR | [F])) + abs((FPR | [M]) - (FPR | [F])) <= 0.05']) {
      const bounder = new ConstraintBounder(compile(source), data, range, 1, 'exact');
      expect(bounder.estimatorSlots()).toBeNull();
      const probs = predictRange(model, theta, range);
      const dProbs = new Float64Array(probs.length);
      expect(Number.isFinite(bounder.bound(probs, branch, dProbs, 1).upper)).toBe(true);
      const gradient = new Float64Array(model.nParams);
      model.vjp(theta, range, probs, dProbs, gradient);
      const h = 1e-6;
      for (let j = 0; j < model.nParams; j++) {
        const plus = Float64Array.from(theta), minus = Float64Array.from(theta);
        plus[j] += h;
        minus[j] -= h;
        const numeric = (upper(bounder, plus) - upper(bounder, minus)) / (2 * h);
        expect(Math.abs(gradient[j] - numeric), `${source}, θ[${j}]`).toBeLessThan(1e-6 + 1e-5 * Math.abs(numeric));
      }
    }
  });
});

describe('the QSA with the exact bound', () => {
  const { features, data } = makeData(1200, 3);
  const run = (source: string) =>
    runQsa({
      model: new BinaryLogisticModel(features, 3),
      objective: primaryObjective('binary_logistic_loss', 2),
      constraints: [compile(source, 0.05)],
      data,
      fracDataInSafety: 0.5,
      thetaInit: new Float64Array(4),
      settings: { lambdaInit: [0.5], alphaTheta: 0.05, alphaLambda: 0.05, betaVelocity: 0.9, betaRmsprop: 0.95, numIters: 300, batchSize: null, nEpochs: null, clipTheta: null },
      boundMethod: 'exact',
    });

  it('passes a constraint the data allows, and its safety test is the betting bound', () => {
    const result = run('ACC >= 0.6');
    expect(result.boundMethod).toBe('exact');
    expect(result.outcome.kind).toBe('passed');
    const node = result.safetyTest!.constraints[0].bound.baseNodes[0];
    expect(node.nSamples).toBe(600);
    expect(result.safetyTest!.constraints[0].bound.upper).toBeCloseTo(0.6 - node.lower, 14);
  });

  it('returns No Solution Found for one it does not', () => {
    expect(run('ACC >= 0.9').outcome.kind).toBe('no_solution_found');
  });
});

describe.skipIf(missing('WebAssembly SIMD in this Node', simdSupported()))('the QSA with the exact bound on the SIMD kernel', () => {
  it("follows the JS kernel's run (its fused passes are not used for the betting bound)", () => {
    const d = 64, nRows = Math.ceil(SIMD_QSA_MIN_VALUES / d);
    const rand = lcg(13);
    const x32 = Float32Array.from({ length: nRows * d }, () => rand() * 2 - 1);
    const labels = Float64Array.from({ length: nRows }, (_, i) => (x32[i * d] + 0.3 * (rand() - 0.5) > 0 ? 1 : 0));
    const sensitive = new Uint8Array(nRows * 2);
    for (let i = 0; i < nRows; i++) sensitive[i * 2 + (rand() < 0.45 ? 0 : 1)] = 1;
    const data: LabelledRows = { nRows, labels, nClasses: 2, sensitiveColumns: ['M', 'F'], sensitive };
    const run = (kernel: 'simd' | 'js') => {
      const picked = createQsaKernel(x32, d, 1, { kernel: kernel === 'js' ? 'js' : undefined, threads: 2 });
      expect(picked.name).toBe(kernel);
      try {
        return runQsa({
          model: new BinaryLogisticModel(picked.kernel),
          objective: primaryObjective('binary_logistic_loss', 2),
          constraints: [compile('min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8', 0.05)],
          data,
          fracDataInSafety: 0.5,
          thetaInit: new Float64Array(d + 1),
          settings: { lambdaInit: [0.5], alphaTheta: 0.01, alphaLambda: 0.01, betaVelocity: 0.9, betaRmsprop: 0.95, numIters: 20, batchSize: null, nEpochs: null, clipTheta: null },
          boundMethod: 'exact',
        });
      } finally {
        picked.kernel.dispose();
      }
    };
    const simd = run('simd'), js = run('js');
    expect(simd.outcome.kind).toBe(js.outcome.kind);
    const gSimd = simd.candidateSelection!.trajectory.g, gJs = js.candidateSelection!.trajectory.g;
    expect(gSimd.length).toBe(20);
    gSimd.forEach((g, t) => expect(Math.abs(g - gJs[t]), `iteration ${t}`).toBeLessThan(1e-6));
  });
});
