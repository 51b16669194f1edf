/**
 * Performance on the ground truth (X:perf_eval_funcs.py). Probabilities are row-major with `nOutputs`
 * columns: one column P(y=1) for binary models, K class probabilities for multiclass ones.
 */
import type { PerformanceMetric } from './types';

/** numpy's float64 machine epsilon: sklearn's `log_loss` clips probabilities to [eps, 1 − eps] (eps="auto"). */
const LOG_LOSS_EPS = 2.220446049250313e-16;

export interface Scored {
  readonly labels: Float64Array;
  readonly probs: Float64Array;
  readonly nOutputs: number;
}

/**
 * `deterministic_accuracy`: binary, the share of rows where (p > threshold) equals y (so p = 0.5 exactly
 * predicts 0); multiclass, the share where the most probable class (first on ties) is y.
 * @example accuracy({ labels: Float64Array.of(1, 0), probs: Float64Array.of(0.9, 0.6), nOutputs: 1 }) === 0.5
 */
export function accuracy({ labels, probs, nOutputs }: Scored, threshold = 0.5): number {
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let predicted: number;
    if (nOutputs === 1) predicted = probs[i] > threshold ? 1 : 0;
    else {
      predicted = 0;
      for (let c = 1; c < nOutputs; c++) if (probs[i * nOutputs + c] > probs[i * nOutputs + predicted]) predicted = c;
    }
    if (predicted === labels[i]) correct++;
  }
  return correct / n;
}

/**
 * `probabilistic_accuracy`: mean over rows of the probability given to the true class
 * (y·p + (1−y)·(1−p) for binary models).
 */
export function probabilisticAccuracy({ labels, probs, nOutputs }: Scored): number {
  const n = labels.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += nOutputs === 1 ? (labels[i] === 1 ? probs[i] : 1 - probs[i]) : probs[i * nOutputs + labels[i]];
  return sum / n;
}

/**
 * sklearn's `log_loss`: −mean log P(true class), each probability clipped to [eps, 1 − eps] and each
 * row renormalised after clipping, as sklearn does.
 */
export function logLoss({ labels, probs, nOutputs }: Scored): number {
  const n = labels.length;
  const clip = (p: number): number => Math.min(Math.max(p, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (nOutputs === 1) {
      // sklearn makes the columns [1 − p, p], clips both and renormalises.
      const p1 = clip(probs[i]), p0 = clip(1 - probs[i]);
      sum -= Math.log((labels[i] === 1 ? p1 : p0) / (p0 + p1));
    } else {
      let total = 0;
      for (let c = 0; c < nOutputs; c++) total += clip(probs[i * nOutputs + c]);
      sum -= Math.log(clip(probs[i * nOutputs + labels[i]]) / total);
    }
  }
  return sum / n;
}

export function evaluatePerformance(metric: PerformanceMetric, scored: Scored, threshold = 0.5): number {
  switch (metric) {
    case 'accuracy':
      return accuracy(scored, threshold);
    case 'probabilistic-accuracy':
      return probabilisticAccuracy(scored);
    case 'log-loss':
      return logLoss(scored);
  }
}
