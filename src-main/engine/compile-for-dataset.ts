/**
 * Constraint strings compiled against the data they will be evaluated on: its sensitive columns and
 * class count (which also fix the sub-regime). Every compile of a run's, an audit's, an experiment's or a
 * golden case's constraints goes through here, so they all get the same sub-regime rule and the same error.
 */
import { compileConstraint } from '../../src-shared/constraint';
import type { CompiledConstraint, ConstraintError, SubRegime } from '../../src-shared/constraint/ast';
import { ConstraintCompileError } from '../errors/constraint-compile-error';

export interface ConstraintSource {
  readonly source: string;
  readonly delta: number;
}

export interface ConstraintTarget {
  readonly sensitiveColumns: readonly string[];
  /** Absent where no data set is known yet (a saved constraint): class-count checks are skipped. */
  readonly nClasses?: number;
  /** Only where the data says it itself (a golden case's metadata); else it follows the class count. */
  readonly subRegime?: SubRegime;
}

/** The error for the constraint at `index`; by default it is named `constraint <index + 1>`. */
export type CompileErrorFor = (index: number, error: ConstraintError) => Error;

export const constraintNumbered: CompileErrorFor = (index, error) => new ConstraintCompileError(`constraint ${index + 1}`, error);

export function subRegimeFor(nClasses: number | undefined): SubRegime {
  return nClasses !== undefined && nClasses > 2 ? 'multiclass_classification' : 'classification';
}

/** Compiles each constraint with its δ; the first that does not compile throws `errorFor`'s error. */
export function compileForDataset(constraints: readonly ConstraintSource[], target: ConstraintTarget, errorFor: CompileErrorFor = constraintNumbered): CompiledConstraint[] {
  const subRegime = target.subRegime ?? subRegimeFor(target.nClasses);
  return constraints.map((c, i) => {
    const compiled = compileConstraint(c.source, { columns: target.sensitiveColumns, subRegime, delta: c.delta, nClasses: target.nClasses });
    if (!compiled.ok) throw errorFor(i, compiled.error);
    return compiled.constraint;
  });
}
