/**
 * A one-sided confidence bound on the mean of values in [0, 1] by betting: the hedged capital process of
 * Waudby-Smith & Ramdas (2023), "Estimating means of bounded random variables by betting", J. R. Stat.
 * Soc. B 86(1), one-sided (only the capital K⁺ that bets the mean is above m), with their predictable
 * plug-in bet for a fixed sample size n and the truncation at c/m.
 *
 * For a candidate mean m, K(m) = ∏ᵢ (1 + λᵢ(m)·(xᵢ − m)) with λᵢ(m) = min(λ̇ᵢ, c/m), where λ̇ᵢ depends only
 * on x₁ … xᵢ₋₁ (predictable): λ̇ᵢ = √(2 ln(1/δ) / (n σ̂²ᵢ₋₁)), μ̂ₜ = (1/2 + Σ_{i≤t} xᵢ)/(t + 1),
 * σ̂²ₜ = (1/4 + Σ_{i≤t} (xᵢ − μ̂ᵢ)²)/(t + 1). Each factor is ≥ 1 − c > 0, so at the true mean μ, K(μ) is a
 * nonnegative martingale with expectation 1 and P(K(μ) ≥ 1/δ) ≤ δ (Markov). Every factor is
 * nonincreasing in m, so {m : K(m) < 1/δ} is an interval up to 1 and its lower end is the bound: valid for
 * any distribution on [0, 1] and any n, with no approximation. The bisection returns the end of its
 * bracket where K ≥ 1/δ, so rounding can only make the bound more conservative.
 *
 * The bound depends on the order of the values (the bets are predictable): the caller fixes the order
 * before looking at the values (the audit uses the audited rows' order and records it).
 *
 * Unlike Hoeffding's bound it adapts to the spread of the values. With c = 1/2 it was narrower than
 * Hoeffding's on average and never wider in the seeded tests (Bernoulli(0.95) and Beta(0.5, 0.5), n = 20,
 * and the extreme samples in test/unit/bounds-exact.test.ts). That is an observation, not a theorem, and
 * the bound is deliberately not clipped to Hoeffding's: each of the two holds with probability 1 − δ,
 * but the tighter of the two only with 1 − 2δ. (A larger c is tighter when every value is near 1, but
 * then loses more than Hoeffding's bound when a low value follows a run of high ones.)
 */

/** Truncation of the bets (the paper's c ∈ (0, 1)); every factor of the capital stays ≥ 1 − c. */
export const BETTING_TRUNCATION = 0.5;

const BISECTION_STEPS = 60;

/** ln K(m) for values `x` with the predictable bets `bets` (λ̇ᵢ). */
function logCapital(x: ArrayLike<number>, bets: Float64Array, m: number): number {
  const cap = m > 0 ? BETTING_TRUNCATION / m : Infinity;
  let log = 0;
  for (let i = 0; i < x.length; i++) log += Math.log1p(Math.min(bets[i], cap) * (x[i] - m));
  return log;
}

/** The predictable plug-in bets λ̇ᵢ for a fixed n (each from the values before it). */
function predictableBets(x: ArrayLike<number>, delta: number): Float64Array {
  const n = x.length;
  const bets = new Float64Array(n);
  const numerator = 2 * Math.log(1 / delta);
  let sum = 0, squares = 0.25;
  for (let i = 0; i < n; i++) {
    const variance = squares / (i + 1);
    bets[i] = Math.sqrt(numerator / (n * variance));
    sum += x[i];
    const meanSoFar = (0.5 + sum) / (i + 2);
    squares += (x[i] - meanSoFar) ** 2;
  }
  return bets;
}

/**
 * Lower confidence bound at 1 − δ on the mean of `x` (values in [0, 1], in a fixed order); NaN for no
 * values, and an error for a value outside [0, 1], where the bound would not hold.
 */
export function bettingLower(x: ArrayLike<number>, delta: number): number {
  const n = x.length;
  if (n < 1) return Number.NaN;
  for (let i = 0; i < n; i++) {
    if (!(x[i] >= 0 && x[i] <= 1)) throw new RangeError(`bettingLower: value ${x[i]} at ${i} is outside [0, 1]`);
  }
  const bets = predictableBets(x, delta);
  const threshold = Math.log(1 / delta);
  // K(0) < 1/δ: even m = 0 is not rejected. K(1) ≤ 1 < 1/δ always, so the bracket [lo, hi] below is sound.
  if (logCapital(x, bets, 0) < threshold) return 0;
  let lo = 0, hi = 1;
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const mid = (lo + hi) / 2;
    if (logCapital(x, bets, mid) >= threshold) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Upper confidence bound at 1 − δ: one minus the lower bound of 1 − x. */
export function bettingUpper(x: ArrayLike<number>, delta: number): number {
  const flipped = Float64Array.from(x as ArrayLike<number>, (v) => 1 - v);
  const lower = bettingLower(flipped, delta);
  return Number.isNaN(lower) ? lower : 1 - lower;
}
