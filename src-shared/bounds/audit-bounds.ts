/**
 * The audit's choice of bound for one base node, and how each choice is named wherever an audit is shown
 * (the CLI's text, the Audit page, the report). Pure: the audit (src-main/audit) computes each node's
 * estimator values and calls these.
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

export const AUDIT_BOUND_METHODS = ['exact', 'student-t', 'hoeffding'] as const;
export type AuditBoundMethod = (typeof AUDIT_BOUND_METHODS)[number];
export const DEFAULT_AUDIT_BOUND: AuditBoundMethod = 'exact';

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

/** The bound's name as an audit shows it; Student-t is always labelled approximate. */
export function auditBoundLabel(method: AuditBoundMethod, mode: 'hard' | 'soft'): string {
  switch (method) {
    case 'exact':
      return mode === 'hard' ? 'exact bounds (Clopper–Pearson, binomial)' : 'exact bounds (betting, any distribution on [0, 1])';
    case 'hoeffding':
      return 'Hoeffding bounds (any distribution on [0, 1])';
    case 'student-t':
      return 'Student-t bounds (approximate: a normal approximation, unreliable for small groups)';
  }
}

/** How g's two bounds read together: each end is a one-sided statement at δ. */
export function intervalConfidenceText(delta: number): string {
  const round = (x: number): number => Number(x.toFixed(6));
  return `each end holds with confidence ${round(1 - delta)}; together ${round(1 - 2 * delta)}`;
}

/**
 * What an audit's verdicts can claim, given which rows trained the model (the contract's
 * auditGuarantee documents each value).
 */
export const AUDIT_GUARANTEES = ['independent', 'repeats-safety-test', 'none-trained-rows', 'unknown-training-rows'] as const;
export type AuditGuaranteeKind = (typeof AUDIT_GUARANTEES)[number];

/** The qualification every face adds to a verdict on such rows (null: none needed). */
export function guaranteeNote(guarantee: AuditGuaranteeKind): string | null {
  switch (guarantee) {
    case 'independent':
      return null;
    case 'repeats-safety-test':
      return "this repeats the run's safety test on its own safety rows: not an independent confirmation";
    case 'none-trained-rows':
      return 'NOT a guarantee: the audited rows include rows that trained the model, so no confidence applies';
    case 'unknown-training-rows':
      return 'valid only if none of the audited rows trained the model';
  }
}

const VERDICT_WORDS = { holds: 'HOLDS', violated: 'VIOLATED', inconclusive: 'INCONCLUSIVE' } as const;

/**
 * A constraint's verdict line, the same in the CLI's text, on the Audit page and in the report:
 * e.g. "HOLDS with confidence 0.95", or on rows that trained the model
 * "HOLDS on these rows — NOT a guarantee: …".
 */
export function verdictLine(verdict: keyof typeof VERDICT_WORDS, delta: number, guarantee: AuditGuaranteeKind): string {
  const word = VERDICT_WORDS[verdict];
  const confidence = Number((1 - delta).toFixed(6));
  const note = guaranteeNote(guarantee);
  if (guarantee === 'none-trained-rows') return `${word} on these rows — ${note}`;
  const head = verdict === 'inconclusive' ? `${word} at confidence ${confidence}` : `${word} with confidence ${confidence}`;
  return note === null ? head : `${head} — ${note}`;
}

/**
 * An inconclusive verdict without a data-needed estimate: the estimate scales the audited rows by up to
 * 10⁶ (MAX_DATA_FACTOR in src-main/audit/audit.ts) and none of those sizes decided it.
 */
export const NO_DATA_NEEDED_TEXT =
  'no amount of similar data up to 10⁶× the audited rows would decide it (the point estimate of g sits on the boundary, or a group is empty)';
