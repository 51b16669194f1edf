/**
 * Hoeffding's inequality for the mean of n i.i.d. values in [0, 1]: with probability ≥ 1 − δ,
 * E[Z] ≤ mean + √(ln(1/δ) / (2n)) (and symmetrically for the lower bound). Exact and distribution-free,
 * unlike the Student-t bound's normal approximation, at the price of wider intervals.
 * Bounds are clipped to [0, 1], where the estimators live.
 * @example hoeffdingHalfWidth(100, 0.05) ≈ 0.12239
 */
export function hoeffdingHalfWidth(n: number, delta: number, inflation = 1): number {
  if (n < 1) return Number.NaN;
  return inflation * Math.sqrt(Math.log(1 / delta) / (2 * n));
}

export function hoeffdingUpper(mean: number, n: number, delta: number, inflation = 1): number {
  return Math.min(1, mean + hoeffdingHalfWidth(n, delta, inflation));
}

export function hoeffdingLower(mean: number, n: number, delta: number, inflation = 1): number {
  return Math.max(0, mean - hoeffdingHalfWidth(n, delta, inflation));
}
