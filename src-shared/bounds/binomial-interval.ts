import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';

/**
 * Exact (Clopper–Pearson) bounds on a binomial proportion p from k successes in n independent trials.
 *
 * Each bound is one-sided at `confidence`: P(p ≥ lower) ≥ confidence and P(p ≤ upper) ≥ confidence,
 * whatever p is (exact, never approximate: they come from the beta quantiles, not a normal
 * approximation). Together they form the two-sided Clopper–Pearson interval at level 2·confidence − 1
 * (95% one-sided bounds make the 90% interval).
 *
 *   lower = Beta(k, n − k + 1) quantile at 1 − confidence   (0 when k = 0)
 *   upper = Beta(k + 1, n − k) quantile at confidence       (1 when k = n)
 *
 * With k = 0 the upper bound is 1 − (1 − confidence)^(1/n): at 95% it is ≤ 0.05 from n = 59 on.
 */
export interface BinomialBounds {
  /** k / n (NaN when n = 0). */
  readonly rate: number;
  readonly lower: number;
  readonly upper: number;
  /** The one-sided confidence of each bound, in (0, 1). */
  readonly confidence: number;
}

/** The default confidence of each one-sided bound. */
export const DEFAULT_BINOMIAL_CONFIDENCE = 0.95;

/**
 * Exact one-sided bounds on p from `successes` out of `trials`. With no trial nothing is known:
 * [0, 1] and rate NaN. Throws RangeError for counts that are not integers with 0 ≤ k ≤ n, or a
 * confidence outside (0, 1).
 */
export function clopperPearsonBounds(successes: number, trials: number, confidence: number = DEFAULT_BINOMIAL_CONFIDENCE): BinomialBounds {
  if (!Number.isInteger(trials) || trials < 0) throw new RangeError(`the number of trials must be a non-negative integer, got ${trials}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) throw new RangeError(`the count must be an integer in 0..${trials}, got ${successes}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`the confidence must lie strictly between 0 and 1, got ${confidence}`);
  const k = successes, n = trials;
  if (n === 0) return { rate: Number.NaN, lower: 0, upper: 1, confidence };
  const lower = k === 0 ? 0 : betaQuantile(1 - confidence, k, n - k + 1);
  const upper = k === n ? 1 : betaQuantile(confidence, k + 1, n - k);
  return { rate: k / n, lower, upper, confidence };
}

/** How an observed rate compares with a threshold, from its exact bounds. */
export type RateConclusion = 'exceeds' | 'within' | 'too-few';

/**
 * `exceeds` when the exact lower bound is above `threshold` (the rate is above it, at `confidence`),
 * `within` when the exact upper bound is at most `threshold` (it is at most the threshold, at
 * `confidence`), else `too-few` (the trials cannot tell). Both cannot hold, since lower ≤ upper.
 */
export function compareRate(bounds: Pick<BinomialBounds, 'lower' | 'upper'>, threshold: number): RateConclusion {
  if (bounds.lower > threshold) return 'exceeds';
  if (bounds.upper <= threshold) return 'within';
  return 'too-few';
}
