/**
 * An experiment's constraints compiled against its dataset. Kept apart from the runner so that worker
 * and bench code can compile constraints without the store.
 */
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { compileForDataset, type ConstraintSource } from '../engine/compile-for-dataset';

/** Compiles each constraint with its δ; a bad one throws ConstraintCompileError naming it (`constraint 2`). */
export function compileExperimentConstraints(constraints: readonly ConstraintSource[], dataset: { readonly sensitiveColumns: readonly string[]; readonly nClasses: number }): CompiledConstraint[] {
  return compileForDataset(constraints, dataset);
}
