import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { roundHalfEven } from './rounding';

/** Fewer masked samples than this gives infinite bounds. */
export const MIN_SAMPLES_FOR_BOUND = 5;

/** Inverse CDF of Student's t with ν degrees of freedom (scipy's `t.ppf`). */
export function studentTQuantile(probability: number, degreesOfFreedom: number): number {
  return tQuantile(probability, degreesOfFreedom);
}

/**
 * Half-width multiplier of the one-sided Student-t bound: infl · t(1 − δ, n − 1) / √n.
 * upper = mean + multiplier·s, lower = mean − multiplier·s. Returns NaN when n ≤ 1, as the
 * engine's arithmetic would, which the interval propagation turns into ±∞.
 */
export function tBoundMultiplier(n: number, delta: number, inflation = 1): number {
  if (n <= 1) return Number.NaN;
  return (inflation * studentTQuantile(1.0 - delta, n - 1)) / Math.sqrt(n);
}

/**
 * The sample size the candidate-selection bound pretends to have:
 * n̂ = round((n_Z / N_batch) · N_safety) with Python's rounding, in this operation order.
 */
export function predictedSafetySize(nSamples: number, nBatchRows: number, nSafetyRows: number): number {
  return roundHalfEven((nSamples / nBatchRows) * nSafetyRows);
}
