/**
 * Names the QSA's settings and results use (objectives, bound methods, linear kernels), without the
 * engine that implements them: runs and experiments store them, and faces show them.
 */

export type PrimaryObjectiveName = 'binary_logistic_loss' | 'multiclass_logistic_loss';

/**
 * `student-t` is the engine's (and the default); `hoeffding` is exact for estimators in [0, 1] (all the
 * classification measures are) and needs no normality assumption.
 */
export const BOUND_METHODS = ['student-t', 'hoeffding'] as const;
export type BoundMethod = (typeof BOUND_METHODS)[number];

export type QsaKernelName = 'simd' | 'js';

/** Which kernel a QSA ran on, and on how many threads (1 for the JS kernel). */
export interface QsaKernelInfo {
  readonly name: QsaKernelName;
  readonly threads: number;
}
