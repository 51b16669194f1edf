/**
 * How an audit's bound, verdicts and rows are named wherever an audit is shown (the CLI's text, the Audit
 * page, the report), and the names of the audit's bound methods. Pure and without dependencies, so that
 * the contract and the renderer import it without the bounds' numerics (audit-bounds.ts).
 */
export const AUDIT_BOUND_METHODS = ['exact', 'student-t', 'hoeffding'] as const;
export type AuditBoundMethod = (typeof AUDIT_BOUND_METHODS)[number];
export const DEFAULT_AUDIT_BOUND: AuditBoundMethod = 'exact';

/** The bound's name as an audit shows it; Student-t is always labelled approximate. */
export function auditBoundLabel(method: AuditBoundMethod, mode: 'hard' | 'soft'): string {
  switch (method) {
    case 'exact':
      return mode === 'hard' ? 'exact bounds (Clopper–Pearson, binomial)' : 'exact bounds (betting on the audited rows in their order; any distribution on [0, 1])';
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
