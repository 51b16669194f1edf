/**
 * `qsa-features`: the engine alone on numeric features: the QSA with the engine's linear
 * model (binary logistic for two classes, softmax for more) on the trial data, split by the engine's own
 * rule (first rows candidate, last frac_safety share safety). A solution is returned only if it passed
 * the safety test.
 */
import { candidateSafetySplit, runQsa } from '../../engine/qsa';
import { primaryObjective } from '../../engine/objectives';
import { Xoshiro128 } from '../../data/shuffle';
import { fitLogisticRegression } from '../logistic-regression';
import type { ExperimentDataset } from '../types';
import type { ExperimentModelType, TrialFit } from './model-type';
import { checkFeatures, gatherFeatures, gatherLabelledRows, linearModel, linearPredictor, qsaLinearModel, requireFeatures, type FeatureData } from './feature-rows';

/** θ₀: zeros, or each entry uniform in ±1/√d from the trial's seed (PyTorch's Linear init). */
export function initialTheta(nParams: number, nFeatures: number, mode: 'zeros' | 'random', seed: number): Float64Array {
  const theta = new Float64Array(nParams);
  if (mode === 'random') {
    const rng = new Xoshiro128(seed);
    const bound = 1 / Math.sqrt(Math.max(1, nFeatures));
    for (let i = 0; i < nParams; i++) theta[i] = (2 * (rng.nextUint32() / 0x100000000) - 1) * bound;
  }
  return theta;
}

/**
 * θ₀ from an unconstrained logistic regression on the candidate rows only (the safety rows stay unseen,
 * as the engine's `initial_solution_fn(model, X_cand, y_cand)`); zeros if the fit throws (the engine's own
 * fallback).
 */
function logisticTheta(data: FeatureData, candidateRows: Int32Array, dataset: ExperimentDataset, nParams: number): Float64Array {
  try {
    const fit = fitLogisticRegression(data.features, data.nFeatures, candidateRows, dataset.labels, dataset.nClasses);
    return fit.theta.length === nParams && fit.theta.every(Number.isFinite) ? fit.theta : new Float64Array(nParams);
  } catch {
    return new Float64Array(nParams);
  }
}

export const qsaFeaturesModel: ExperimentModelType = {
  type: 'qsa-features',
  kind: 'seldonian',
  inputs: 'features',
  execution: 'worker',
  description: 'the QSA (engine) with a linear model on the numeric features: logistic, or softmax for K > 2 classes',
  spec(argument) {
    if (argument !== undefined) throw new RangeError(`qsa-features takes no argument (got ':${argument}'); QSA settings are options of the experiment`);
    return { name: 'qsa-features', type: 'qsa-features', params: {} };
  },
  check(dataset) {
    return checkFeatures(dataset, 'qsa-features');
  },
  create({ dataset, constraints, settings, kernel: kernelOptions }) {
    const data = requireFeatures(dataset, 'qsa-features');
    const whole = linearModel(data.features, data.nFeatures, dataset.nClasses);
    const objective = primaryObjective(dataset.nClasses === 2 ? 'binary_logistic_loss' : 'multiclass_logistic_loss', dataset.nClasses);
    const qsa = settings.qsa;
    return {
      fit({ rows, seed }): TrialFit {
        const { model, kernel, info } = qsaLinearModel(gatherFeatures(data, rows), data.nFeatures, dataset.nClasses, kernelOptions);
        let result;
        try {
          result = runQsa({
            model,
            objective,
            constraints,
            data: gatherLabelledRows(dataset, rows),
            fracDataInSafety: qsa.fracSafety,
            thetaInit:
              qsa.thetaInit === 'logistic'
                ? logisticTheta(data, rows.subarray(0, candidateSafetySplit(rows.length, qsa.fracSafety).candidate.end), dataset, model.nParams)
                : initialTheta(model.nParams, data.nFeatures, qsa.thetaInit, seed),
            boundMethod: qsa.boundMethod,
            settings: {
              lambdaInit: constraints.map(() => qsa.lambdaInit),
              alphaTheta: qsa.alphaTheta,
              alphaLambda: qsa.alphaLambda,
              betaVelocity: qsa.betaVelocity,
              betaRmsprop: qsa.betaRmsprop,
              numIters: qsa.iterations,
              batchSize: null,
              nEpochs: null,
              clipTheta: null,
            },
          });
        } finally {
          // The SIMD kernel's worker threads end with the QSA (the predictions use the JS kernel).
          kernel.dispose();
        }
        if (result.outcome.kind !== 'passed') return { kind: 'nsf', reason: result.outcome.message, kernel: info };
        const theta = result.outcome.solution;
        return { kind: 'solution', predictor: linearPredictor(data, dataset.nClasses, whole, theta), theta, kernel: info };
      },
    };
  },
};
