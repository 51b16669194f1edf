/**
 * Names the QSA's settings and results use (objectives, bound methods, linear kernels), without the
 * engine that implements them: runs and experiments store them, and faces show them.
 */

export type PrimaryObjectiveName = 'binary_logistic_loss' | 'multiclass_logistic_loss';

/**
 * The QSA's bound, in the audits' `--bound` words (AUDIT_BOUND_METHODS). `student-t` is the engine's
 * (and the default): approximate. `hoeffding` and `exact` are valid without approximation for estimators
 * in [0, 1], which all the classification measures on probabilities are; `exact` is the betting bound
 * (src-shared/bounds/betting.ts), what an audit's exact bound is on soft estimators, and the tighter of
 * the two for estimators of low variance.
 */
export const BOUND_METHODS = ['student-t', 'hoeffding', 'exact'] as const;
export type BoundMethod = (typeof BOUND_METHODS)[number];

/** The QSA bound's name where a run shows it; Student-t is always labelled approximate. */
export function qsaBoundLabel(method: BoundMethod): string {
  switch (method) {
    case 'student-t':
      return 'Student-t (approximate: a normal approximation, unreliable for small groups)';
    case 'hoeffding':
      return "Hoeffding's bound (exact: valid for any distribution on [0, 1])";
    case 'exact':
      return 'exact: the betting bound on the safety rows in their order (valid for any distribution on [0, 1])';
  }
}

export type QsaKernelName = 'simd' | 'js';

/** Which kernel a QSA ran on, and on how many threads (1 for the JS kernel). */
export interface QsaKernelInfo {
  readonly name: QsaKernelName;
  readonly threads: number;
}
