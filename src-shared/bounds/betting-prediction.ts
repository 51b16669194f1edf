/**
 * Candidate selection's prediction of the betting bound (betting.ts) that the safety test will compute,
 * and its derivative with respect to each value, so that the QSA can descend on it.
 *
 * The safety test bets on n_safety values it has not seen; candidate selection has the candidate values
 * instead, and predicts as if the safety set were n̂ values spread like them (n̂ the predicted safety size,
 * as for the Student-t prediction). Two simplifications make the prediction smooth and independent of the
 * candidate rows' order (mini-batches reorder nothing, but the safety rows are other rows anyway):
 * - one bet for every row, the plug-in bet the safety test's bets settle to: λ(m) = min(λ̇, c/m) with
 *   λ̇ = √(2 ln(1/δ) / (n̂ σ̂²)) and σ̂² = (1/4 + (n̂/n)·Σ(xᵢ − x̄)²) / (n̂ + 1), the safety test's final
 *   variance estimate (its prior 1/4 included) had its n̂ values the candidates' spread;
 * - the safety test's log-capital over n̂ values as n̂/n times the candidates' log-capital: the bound ℓ
 *   solves S(L) = Σᵢ ln(1 + λ(L)(xᵢ − L)) = (n/n̂) ln(1/δ), or ℓ = 0 where S(0) is already below it.
 * The prediction is then inflated like the Student-t one, by widening: x̄ − inflation·(x̄ − ℓ).
 *
 * By the implicit function theorem dℓ/dxⱼ = −(∂S/∂xⱼ)/(∂S/∂L), where xⱼ moves S through its own term
 * and, while the bet is not truncated, through σ̂² in λ̇.
 */
import { BETTING_TRUNCATION } from './betting';

const MAX_ROOT_STEPS = 200;

/** S(L) and dS/dL for the values (flipped to 1 − x when `flip`), with the bet λ(L) = min(λ̇, c/L). */
function logCapitalAndSlope(x: ArrayLike<number>, flip: boolean, plugInBet: number, level: number): { value: number; slope: number } {
  const truncated = level > 0 && BETTING_TRUNCATION / level < plugInBet;
  const bet = truncated ? BETTING_TRUNCATION / level : plugInBet;
  let value = 0, slope = 0;
  for (let i = 0; i < x.length; i++) {
    const v = flip ? 1 - x[i] : x[i];
    const factor = 1 + bet * (v - level);
    value += Math.log(factor);
    // d/dL of bet·(v − L): −bet untruncated; −c·v/L² truncated (bet = c/L).
    slope += (truncated ? (-BETTING_TRUNCATION * v) / (level * level) : -bet) / factor;
  }
  return { value, slope };
}

/**
 * The predicted betting bound of the mean of `x` (values in [0, 1]): the lower bound, or with
 * side 'upper' one minus the lower bound of 1 − x. With `gradient` (length ≥ n), writes d(bound)/dxᵢ
 * into it. NaN when there are no values, n̂ < 1, or a value is NaN.
 */
export function predictBettingBound(
  x: ArrayLike<number>,
  side: 'lower' | 'upper',
  nPredicted: number,
  delta: number,
  inflation: number,
  gradient?: Float64Array,
): number {
  const n = x.length;
  const flip = side === 'upper';
  if (n < 1 || !(nPredicted >= 1)) {
    gradient?.fill(0, 0, n);
    return Number.NaN;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += flip ? 1 - x[i] : x[i];
  const mean = sum / n;
  if (!Number.isFinite(mean)) {
    gradient?.fill(0, 0, n);
    return Number.NaN;
  }
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((flip ? 1 - x[i] : x[i]) - mean) ** 2;
  const variance = (0.25 + (nPredicted / n) * squares) / (nPredicted + 1);
  const logInverseDelta = Math.log(1 / delta);
  const plugInBet = Math.sqrt((2 * logInverseDelta) / (nPredicted * variance));
  const target = (n / nPredicted) * logInverseDelta;

  // S decreases in L and S(x̄) ≤ 0 < target (Jensen), so the root lies in [0, x̄) when S(0) ≥ target.
  let root = 0;
  if (logCapitalAndSlope(x, flip, plugInBet, 0).value >= target) {
    let lo = 0, hi = mean, level = mean / 2;
    for (let step = 0; step < MAX_ROOT_STEPS && hi - lo > 1e-15; step++) {
      const { value, slope } = logCapitalAndSlope(x, flip, plugInBet, level);
      if (value >= target) lo = level;
      else hi = level;
      if (Math.abs(value - target) <= 1e-13 * target) break;
      // Safeguarded Newton: a step that leaves the bracket bisects instead.
      const newton = level - (value - target) / slope;
      level = newton > lo && newton < hi ? newton : (lo + hi) / 2;
    }
    root = level;
  }
  const lower = mean - inflation * (mean - root);

  if (gradient) {
    // d(prediction)/dyⱼ = (1 − inflation)/n + inflation·dℓ/dyⱼ; for the upper side (y = 1 − x, bound = 1 − ·)
    // the two sign flips cancel, so the same expression is d(bound)/dxⱼ.
    const direct = (1 - inflation) / n;
    if (root <= 0) {
      gradient.fill(direct, 0, n);
    } else {
      const truncated = BETTING_TRUNCATION / root < plugInBet;
      const bet = truncated ? BETTING_TRUNCATION / root : plugInBet;
      let slope = 0, spread = 0;
      for (let i = 0; i < n; i++) {
        const v = flip ? 1 - x[i] : x[i];
        const factor = 1 + bet * (v - root);
        slope += (truncated ? (-BETTING_TRUNCATION * v) / (root * root) : -bet) / factor;
        spread += (v - root) / factor;
      }
      // ∂S/∂xⱼ through λ̇ = √(2 ln(1/δ)/(n̂σ̂²)): dλ̇/dσ̂² = −λ̇/(2σ̂²), dσ̂²/dxⱼ = (n̂/n)·2(xⱼ − x̄)/(n̂ + 1).
      const throughVariance = truncated ? 0 : (-bet * (nPredicted / n) * spread) / (variance * (nPredicted + 1));
      for (let i = 0; i < n; i++) {
        const v = flip ? 1 - x[i] : x[i];
        const dS = bet / (1 + bet * (v - root)) + throughVariance * (v - mean);
        gradient[i] = direct + inflation * (-dS / slope);
      }
    }
  }
  return flip ? 1 - lower : lower;
}
