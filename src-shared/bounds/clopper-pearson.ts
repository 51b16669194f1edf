import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';

/**
 * Clopper–Pearson's exact one-sided bounds on a binomial proportion: with k successes in n independent
 * 0/1 trials, P(p < lower) ≤ δ and P(p > upper) ≤ δ for every p, with no approximation (the beta
 * quantiles are the binomial tail's exact inversion). For a 0/1 estimator (hard decisions) they are the
 * tightest bounds valid for every p that are monotone in k.
 *
 * k may be fractional: the audit's "how much data would decide it" estimate scales k = mean · n.
 * @example clopperPearsonLower(6, 6, 0.05) ≈ 0.60696 (= 0.05^(1/6))
 */
export function clopperPearsonLower(k: number, n: number, delta: number): number {
  if (!(n >= 1) || !(k >= 0) || k > n) return Number.NaN;
  if (k === 0) return 0;
  return betaQuantile(delta, k, n - k + 1);
}

/** The matching upper bound: 1 − lower(n − k, n, δ). */
export function clopperPearsonUpper(k: number, n: number, delta: number): number {
  if (!(n >= 1) || !(k >= 0) || k > n) return Number.NaN;
  if (k === n) return 1;
  return betaQuantile(1 - delta, k + 1, n - k);
}
