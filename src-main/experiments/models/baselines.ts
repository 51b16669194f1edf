/**
 * Baselines (X:experiments/baselines/): trained on all n trial rows (no candidate/safety
 * split), scored like the QSA. They always return a solution unless training throws.
 */
import { fitLogisticRegression } from '../logistic-regression';
import type { ExperimentModelType, TrialPredictor } from './model-type';
import { checkFeatures, linearModel, linearPredictor, requireFeatures } from './feature-rows';

/** A model that gives every row the same probabilities. */
function constantPredictor(nRows: number, perRow: readonly number[]): TrialPredictor {
  const k = perRow.length;
  return {
    nOutputs: k,
    predict(rows?: Int32Array): Float64Array {
      const n = rows?.length ?? nRows;
      const probs = new Float64Array(n * k);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) probs[i * k + c] = perRow[c];
      return probs;
    },
  };
}

function parsePositive(text: string, what: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number, got '${text}'`);
  return value;
}

/** `logistic[:C]`: sklearn's LogisticRegression() (L2, C = 1) on the same features; multinomial for K > 2. */
export const logisticModel: ExperimentModelType = {
  type: 'logistic',
  kind: 'baseline',
  inputs: 'features',
  execution: 'worker',
  description: "unconstrained L2 logistic regression on the features (sklearn's defaults, C = 1; logistic:C for another C)",
  spec(argument) {
    if (argument === undefined) return { name: 'logistic', type: 'logistic', params: { C: 1 } };
    const C = parsePositive(argument, 'logistic:C');
    return { name: C === 1 ? 'logistic' : `logistic-c${C}`, type: 'logistic', params: { C } };
  },
  check(dataset) {
    return checkFeatures(dataset, 'logistic');
  },
  create({ dataset, spec }) {
    const data = requireFeatures(dataset, 'logistic');
    const whole = linearModel(data.features, data.nFeatures, dataset.nClasses);
    const C = typeof spec.params.C === 'number' ? spec.params.C : 1;
    return {
      fit({ rows }) {
        const fit = fitLogisticRegression(data.features, data.nFeatures, rows, dataset.labels, dataset.nClasses, { C });
        return { kind: 'solution', predictor: linearPredictor(data, dataset.nClasses, whole, fit.theta), theta: fit.theta };
      },
    };
  },
};

/** `uniform-random`: P(y=1) = 0.5 for every row (1/K per class for K > 2). */
export const uniformRandomModel: ExperimentModelType = {
  type: 'uniform-random',
  kind: 'baseline',
  inputs: 'labels-only',
  execution: 'worker',
  description: 'predicts P(y=1) = 0.5 for every row (1/K per class for K classes)',
  spec(argument) {
    if (argument !== undefined) throw new RangeError(`uniform-random takes no argument (got ':${argument}')`);
    return { name: 'uniform-random', type: 'uniform-random', params: {} };
  },
  check() {
    return null;
  },
  create({ dataset }) {
    const perRow = dataset.nClasses === 2 ? [0.5] : Array.from({ length: dataset.nClasses }, () => 1 / dataset.nClasses);
    return { fit: () => ({ kind: 'solution', predictor: constantPredictor(dataset.nRows, perRow), theta: null }) };
  },
};

/** `weighted-random:w`: P(y=1) = w for every row (binary only), named like the library's `weighted_random_0.50`. */
export const weightedRandomModel: ExperimentModelType = {
  type: 'weighted-random',
  kind: 'baseline',
  inputs: 'labels-only',
  execution: 'worker',
  description: 'weighted-random:w predicts P(y=1) = w for every row (binary datasets)',
  spec(argument) {
    if (argument === undefined) throw new RangeError('weighted-random needs its weight: weighted-random:0.7');
    const p = Number(argument);
    if (argument.trim() === '' || !(p >= 0 && p <= 1)) throw new RangeError(`weighted-random:w needs w in [0, 1], got '${argument}'`);
    const label = Number(p.toFixed(2)) === p ? p.toFixed(2) : String(p);
    return { name: `weighted-random-${label}`, type: 'weighted-random', params: { p } };
  },
  check(dataset) {
    return dataset.nClasses === 2 ? null : `weighted-random is binary; this dataset has ${dataset.nClasses} classes`;
  },
  create({ dataset, spec }) {
    const p = typeof spec.params.p === 'number' ? spec.params.p : Number.NaN;
    return { fit: () => ({ kind: 'solution', predictor: constantPredictor(dataset.nRows, [p]), theta: null }) };
  },
};
