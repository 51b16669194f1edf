// Invariants of the engine beyond the golden cases: the reverse-mode gradient of every bound equals finite
// differences; the per-class estimators compute MF_[k] on class k and CM_[i,j] as P[:, j] on rows with
// y = i (fixing the engine's ignored subscripts and missing CM); several multiclass constraints run
// together; a NaN upper bound fails the safety test; a large float32 case read from files runs the SIMD
// kernel and reproduces the QSA on its matrix exactly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileConstraint } from '../../src-shared/constraint';
import type { CompiledConstraint, SubRegime } from '../../src-shared/constraint/ast';
import { ConstraintBounder, type BoundBranch } from '../../src-main/engine/constraint-bounds';
import type { LabelledRows, RowRange } from '../../src-main/engine/data';
import { createQsaKernel, SIMD_QSA_MIN_VALUES } from '../../src-main/engine/kernels/select';
import type { ClassifierModel } from '../../src-main/engine/models/model';
import { BinaryLogisticModel } from '../../src-main/engine/models/logistic';
import { SoftmaxLinearModel } from '../../src-main/engine/models/softmax';
import { primaryObjective } from '../../src-main/engine/objectives';
import { runQsa } from '../../src-main/engine/qsa';
import { predictRange, runSafetyTest } from '../../src-main/engine/safety-test';
import { runQsaCase } from '../../src-main/engine/run-case';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function makeData(nRows: number, nFeatures: number, nClasses: number, seed: number): { features: Float64Array; data: LabelledRows } {
  const rand = lcg(seed);
  const features = Float64Array.from({ length: nRows * nFeatures }, () => rand() * 2 - 1);
  const labels = Float64Array.from({ length: nRows }, () => Math.floor(rand() * nClasses));
  const sensitive = new Uint8Array(nRows * 2);
  for (let i = 0; i < nRows; i++) sensitive[i * 2 + (rand() < 0.45 ? 0 : 1)] = 1;
  return { features, data: { nRows, labels, nClasses, sensitiveColumns: ['M', 'F'], sensitive } };
}

function compile(source: string, subRegime: SubRegime, nClasses?: number): CompiledConstraint {
  const r = compileConstraint(source, { columns: ['M', 'F'], subRegime, delta: 0.1, nClasses });
  if (!r.ok) throw new Error(r.error.message);
  return r.constraint;
}

function upperBound(model: ClassifierModel, theta: Float64Array, bounder: ConstraintBounder, range: RowRange, branch: BoundBranch): number {
  return bounder.bound(predictRange(model, theta, range), branch).upper;
}

describe('gradient of the predicted upper bound', () => {
  const cases: Array<[string, string, SubRegime, number]> = [
    ['accuracy ratio', 'min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.9', 'classification', 2],
    ['equalized odds', 'abs((FNR | [M]) - (FNR | [F])) + abs((FPR | [M]) - (FPR | [F])) <= 0.05', 'classification', 2],
    ['exp/log/pow', 'exp((PR | [M])) - log((NR | [F])) + (TPR | [F]) ** 2 <= 1', 'classification', 2],
    ['multiclass per-class rates', 'abs((PR_[1] | [M]) - (PR_[1] | [F])) + max((CM_[0,2] | [F]), (FPR_[2] | [M])) <= 0.1', 'multiclass_classification', 3],
    ['multiclass accuracy', 'ACC >= 0.9', 'multiclass_classification', 3],
  ];
  it.each(cases)('%s matches central finite differences', (_name, source, subRegime, nClasses) => {
    const nFeatures = 4;
    const { features, data } = makeData(300, nFeatures, nClasses, 7);
    const model: ClassifierModel = nClasses === 2 ? new BinaryLogisticModel(features, nFeatures) : new SoftmaxLinearModel(features, nFeatures, nClasses);
    const range = { start: 0, end: 300 };
    const bounder = new ConstraintBounder(compile(source, subRegime, nClasses), data, range, model.nOutputs);
    const branch: BoundBranch = { kind: 'candidate_selection', nSafetyRows: 450 };
    const rand = lcg(3);
    const theta = Float64Array.from({ length: model.nParams }, () => rand() - 0.5);

    const probs = predictRange(model, theta, range);
    const dProbs = new Float64Array(probs.length);
    const bound = bounder.bound(probs, branch, dProbs, 1);
    expect(Number.isFinite(bound.upper)).toBe(true);
    const gradient = new Float64Array(model.nParams);
    model.vjp(theta, range, probs, dProbs, gradient);

    const h = 1e-6;
    for (let j = 0; j < model.nParams; j++) {
      const plus = Float64Array.from(theta), minus = Float64Array.from(theta);
      plus[j] += h;
      minus[j] -= h;
      const numeric = (upperBound(model, plus, bounder, range, branch) - upperBound(model, minus, bounder, range, branch)) / (2 * h);
      expect(Math.abs(gradient[j] - numeric)).toBeLessThan(1e-6 + 1e-5 * Math.abs(numeric));
    }
  });
});

describe('multiclass estimators (per class, CM_[i,j])', () => {
  const { features, data } = makeData(200, 3, 3, 11);
  const model = new SoftmaxLinearModel(features, 3, 3);
  const theta = Float64Array.from({ length: model.nParams }, (_, i) => Math.sin(i));
  const range = { start: 0, end: 200 };
  const probs = predictRange(model, theta, range);
  const meanOf = (source: string): number => {
    const bounder = new ConstraintBounder(compile(`${source} <= 0`, 'multiclass_classification', 3), data, range, 3);
    return bounder.bound(probs, { kind: 'safety_test' }).baseNodes[0].mean;
  };
  const average = (rows: number[], value: (i: number) => number): number => rows.reduce((s, i) => s + value(i), 0) / rows.length;
  const all = Array.from({ length: 200 }, (_, i) => i);
  const labelled = (k: number): number[] => all.filter((i) => data.labels[i] === k);
  const notLabelled = (k: number): number[] => all.filter((i) => data.labels[i] !== k);
  const female = all.filter((i) => data.sensitive[i * 2 + 1] === 1);

  it('PR_[k] uses column k on every row', () => expect(meanOf('PR_[1]')).toBeCloseTo(average(all, (i) => probs[i * 3 + 1]), 12));
  it('NR_[k] is 1 − P[:,k]', () => expect(meanOf('NR_[2]')).toBeCloseTo(average(all, (i) => 1 - probs[i * 3 + 2]), 12));
  it('FPR_[k] keeps rows with y ≠ k', () => expect(meanOf('FPR_[0]')).toBeCloseTo(average(notLabelled(0), (i) => probs[i * 3]), 12));
  it('TPR_[k] keeps rows with y = k', () => expect(meanOf('TPR_[2]')).toBeCloseTo(average(labelled(2), (i) => probs[i * 3 + 2]), 12));
  it('FNR_[k] and TNR_[k]', () => {
    expect(meanOf('FNR_[1]')).toBeCloseTo(average(labelled(1), (i) => 1 - probs[i * 3 + 1]), 12);
    expect(meanOf('TNR_[1]')).toBeCloseTo(average(notLabelled(1), (i) => 1 - probs[i * 3 + 1]), 12);
  });
  it('CM_[i,j] is P[:,j] on rows with y = i', () => expect(meanOf('CM_[2,0]')).toBeCloseTo(average(labelled(2), (i) => probs[i * 3]), 12));
  it('ACC is P[i, y_i]; conditionals AND the group mask', () => {
    expect(meanOf('ACC')).toBeCloseTo(average(all, (i) => probs[i * 3 + data.labels[i]]), 12);
    expect(meanOf('(TPR_[0] | [F])')).toBeCloseTo(average(labelled(0).filter((i) => female.includes(i)), (i) => probs[i * 3]), 12);
  });
});

describe('QSA runs that broke the original engine', () => {
  it('optimises two multiclass constraints together', () => {
    const { features, data } = makeData(600, 4, 3, 5);
    const model = new SoftmaxLinearModel(features, 4, 3);
    const constraints = [compile('ACC >= 0.2', 'multiclass_classification', 3), compile('abs((PR_[0] | [M]) - (PR_[0] | [F])) <= 0.3', 'multiclass_classification', 3)];
    const result = runQsa({
      model,
      objective: primaryObjective('multiclass_logistic_loss', 3),
      constraints,
      data,
      fracDataInSafety: 0.5,
      thetaInit: new Float64Array(model.nParams),
      settings: { lambdaInit: [0.5, 0.5], alphaTheta: 0.01, alphaLambda: 0.01, betaVelocity: 0.9, betaRmsprop: 0.95, numIters: 50, batchSize: null, nEpochs: null, clipTheta: null },
    });
    expect(result.candidateSelection?.iterationsRun).toBe(50);
    expect(result.safetyTest?.constraints).toHaveLength(2);
    expect(result.outcome.kind).toBe('passed');
  });

  it('fails the safety test on a NaN upper bound (the engine passed it)', () => {
    const { data } = makeData(100, 1, 2, 9);
    const nanModel: ClassifierModel = {
      nParams: 1,
      nOutputs: 1,
      predict: (_theta, range, probs) => probs.fill(Number.NaN, 0, range.end - range.start),
      vjp: () => {},
    };
    // `ACC <= 0` normalises to the bare base node, so nothing protects the NaN.
    const result = runSafetyTest(nanModel, new Float64Array(1), [compile('ACC <= 0', 'classification')], data, { start: 0, end: 100 });
    expect(result.constraints[0].bound.upper).toBeNaN();
    expect(result.passed).toBe(false);
  });
});

function compileConstraintWithDelta(source: string, delta: number): CompiledConstraint {
  const r = compileConstraint(source, { columns: ['M', 'F'], subRegime: 'classification', delta });
  if (!r.ok) throw new Error(r.error.message);
  return r.constraint;
}

describe('runQsaCase on a large float32 case (the exported latents of a run)', () => {
  // `fairbound qsa` and the runs' head QSA pick the kernel by the same rule (createQsaKernel), and the
  // SIMD kernel's results do not depend on the threads: the case read back from its CSV runs the SIMD
  // kernel and reproduces, bit for bit, the QSA run directly on the float32 matrix.
  it('picks the SIMD kernel and reproduces the QSA on the float32 features exactly', () => {
    const d = 256, nRows = Math.ceil(SIMD_QSA_MIN_VALUES / d);
    const rand = lcg(7);
    const x32 = Float32Array.from({ length: nRows * d }, () => rand() * 2 - 1);
    const labels = Float64Array.from({ length: nRows }, () => (rand() < 0.5 ? 0 : 1));
    const sensitive = new Uint8Array(nRows * 2);
    for (let i = 0; i < nRows; i++) sensitive[i * 2 + (rand() < 0.45 ? 0 : 1)] = 1;
    const thetaInit = Float64Array.from({ length: d + 1 }, () => (rand() - 0.5) * 0.01);
    const constraint = 'min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8';
    const dir = mkdtempSync(join(tmpdir(), 'fairbound-simd-case-'));
    try {
      const lines: string[] = [];
      for (let i = 0; i < nRows; i++) {
        // String(float64) reads back as the same double, as `run export-latents` writes latents.
        lines.push([...Array.from(x32.subarray(i * d, (i + 1) * d), String), sensitive[2 * i], sensitive[2 * i + 1], labels[i]].join(','));
      }
      writeFileSync(join(dir, 'data.csv'), lines.join('\n') + '\n');
      const columns = [...Array.from({ length: d }, (_, j) => `z${j}`), 'M', 'F', 'label'];
      writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ regime: 'supervised_learning', sub_regime: 'classification', all_col_names: columns, label_col_names: ['label'], sensitive_col_names: ['M', 'F'] }));
      writeFileSync(join(dir, 'theta_init.json'), JSON.stringify(Array.from(thetaInit)));
      const hyperparams = { lambda_init: 0.5, alpha_theta: 0.01, alpha_lamb: 0.01, beta_velocity: 0.9, beta_rmsprop: 0.95, use_batches: false, num_iters: 30 };
      const optimization = { model: 'logistic', primary_objective: 'binary_logistic_loss', initial_solution: 'theta_init', optimization_technique: 'gradient_descent', optimizer: 'adam', hyperparams };
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({ constraints: [constraint], deltas: [0.05], frac_data_in_safety: 0.5, optimization, files: { data: 'data.csv', metadata: 'metadata.json', theta_init: 'theta_init.json' } }));

      const fromCase = runQsaCase(join(dir, 'spec.json'));
      expect(fromCase.kernel).toBe('simd');

      const picked = createQsaKernel(x32, d, 1);
      expect(picked.name).toBe('simd');
      try {
        const direct = runQsa({
          model: new BinaryLogisticModel(picked.kernel),
          objective: primaryObjective('binary_logistic_loss', 2),
          constraints: [compileConstraintWithDelta(constraint, 0.05)],
          data: { nRows, labels, nClasses: 2, sensitiveColumns: ['M', 'F'], sensitive },
          fracDataInSafety: 0.5,
          thetaInit,
          settings: { lambdaInit: [0.5], alphaTheta: 0.01, alphaLambda: 0.01, betaVelocity: 0.9, betaRmsprop: 0.95, numIters: 30, batchSize: null, nEpochs: null, clipTheta: null },
        });
        expect(fromCase.result.candidateSelection?.trajectory).toEqual(direct.candidateSelection?.trajectory);
        expect(fromCase.result.outcome).toEqual(direct.outcome);
      } finally {
        picked.kernel.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
