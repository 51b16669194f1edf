/**
 * The audit's bound for one base node (the names and texts every face shows are in audit-labels.ts,
 * re-exported here). Pure: the audit (src-main/audit) computes each node's estimator values and calls these.
 *
 * - `exact` (the audits' default): valid without approximation. Hard decisions give 0/1 estimators:
 *   Clopper–Pearson's exact binomial bound. Soft probabilities give [0, 1] estimators: the betting bound
 *   (hedged capital process, betting.ts), valid for any distribution on [0, 1].
 * - `hoeffding`: valid for any distribution on [0, 1], wider.
 * - `student-t`: the original engine's bound (a normal approximation of the mean): approximate, and
 *   badly so for small groups (five rows all correct give a zero-width interval).
 */
import { bettingLower, bettingUpper } from './betting';
import { clopperPearsonLower, clopperPearsonUpper } from './clopper-pearson';
import { hoeffdingLower, hoeffdingUpper } from './hoeffding';

export { AUDIT_BOUND_METHODS, AUDIT_GUARANTEES, DEFAULT_AUDIT_BOUND, NO_DATA_NEEDED_TEXT, auditBoundLabel, guaranteeNote, intervalConfidenceText, verdictLine } from './audit-labels';
export type { AuditBoundMethod, AuditGuaranteeKind } from './audit-labels';

/** Which exact bound a node gets: 0/1 values (hard decisions) or values in [0, 1] (soft). */
export type ExactKind = 'binomial' | 'bounded';

/**
 * One side of the exact bound of the mean of `values` at δ (values in a fixed order: the betting bound
 * depends on it). NaN for no values. Binomial values must be exactly 0 or 1.
 */
export function exactBound(values: ArrayLike<number>, kind: ExactKind, delta: number, side: 'lower' | 'upper'): number {
  const n = values.length;
  if (n < 1) return Number.NaN;
  if (kind === 'bounded') return side === 'lower' ? bettingLower(values, delta) : bettingUpper(values, delta);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) throw new RangeError(`exactBound: a binomial value must be 0 or 1, got ${v} at ${i}`);
    k += v;
  }
  return side === 'lower' ? clopperPearsonLower(k, n, delta) : clopperPearsonUpper(k, n, delta);
}

/**
 * An estimate of the exact bound for a hypothetical sample of n values with this mean and spread (how
 * the audit estimates how much data would decide a verdict): Clopper–Pearson at k = mean·n for 0/1
 * values; for [0, 1] values, whose betting bound depends on the values themselves, the tighter of
 * Hoeffding's and the empirical Bernstein bound of Maurer & Pontil (2009), which the betting bound
 * approaches for large n. An estimate only: no verdict is taken from it.
 */
export function exactBoundFromStats(stats: { readonly mean: number; readonly std: number }, n: number, kind: ExactKind, delta: number, side: 'lower' | 'upper'): number {
  if (!(n >= 1) || !Number.isFinite(stats.mean)) return Number.NaN;
  const mean = Math.min(1, Math.max(0, stats.mean));
  if (kind === 'binomial') return side === 'lower' ? clopperPearsonLower(mean * n, n, delta) : clopperPearsonUpper(mean * n, n, delta);
  const hoeffding = side === 'lower' ? hoeffdingLower(mean, n, delta) : hoeffdingUpper(mean, n, delta);
  if (n < 2 || !Number.isFinite(stats.std)) return hoeffding;
  const log = Math.log(2 / delta);
  const bernstein = Math.sqrt((2 * stats.std * stats.std * log) / n) + (7 * log) / (3 * (n - 1));
  return side === 'lower' ? Math.max(hoeffding, mean - bernstein, 0) : Math.min(hoeffding, mean + bernstein, 1);
}

