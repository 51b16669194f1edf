/**
 * An experiment's constraints compiled against its dataset's columns and class count (the classification
 * sub-regime follows the class count). Kept apart from the runner so that worker and bench code can
 * compile constraints without the store.
 */
import { compileConstraint } from '../../src-shared/constraint';
import type { CompiledConstraint, SubRegime } from '../../src-shared/constraint/ast';
import { ConstraintCompileError } from '../engine/run-case';

function subRegime(nClasses: number): SubRegime {
  return nClasses > 2 ? 'multiclass_classification' : 'classification';
}

/** Compiles each constraint with its δ; a bad one throws ConstraintCompileError naming it (`constraint 2`). */
export function compileExperimentConstraints(
  constraints: readonly { readonly source: string; readonly delta: number }[],
  dataset: { readonly sensitiveColumns: readonly string[]; readonly nClasses: number },
): CompiledConstraint[] {
  return constraints.map((c, i) => {
    const compiled = compileConstraint(c.source, { columns: dataset.sensitiveColumns, subRegime: subRegime(dataset.nClasses), delta: c.delta, nClasses: dataset.nClasses });
    if (!compiled.ok) throw new ConstraintCompileError(`constraint ${i + 1}`, compiled.error);
    return compiled.constraint;
  });
}
