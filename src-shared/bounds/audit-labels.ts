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

/**
 * What an audit's verdicts can claim, given which rows trained the model (the contract's
 * auditGuarantee documents each value).
 */
export const AUDIT_GUARANTEES = ['independent', 'repeats-safety-test', 'none-trained-rows', 'unknown-training-rows'] as const;
export type AuditGuaranteeKind = (typeof AUDIT_GUARANTEES)[number];

// The verdicts' wording lives with every other guarantee's, in src-shared/domain/guarantee-wording.ts.
export { guaranteeNote, intervalConfidenceText, verdictLine } from '../domain/guarantee-wording';

/**
 * An inconclusive verdict without a data-needed estimate: the estimate scales the audited rows by up to
 * 10⁶ (MAX_DATA_FACTOR in src-main/audit/audit.ts) and none of those sizes decided it.
 */
export const NO_DATA_NEEDED_TEXT =
  'no amount of similar data up to 10⁶× the audited rows would decide it (the point estimate of g sits on the boundary, or a group is empty)';
