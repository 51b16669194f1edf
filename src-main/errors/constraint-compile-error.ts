import type { ConstraintError } from '../../src-shared/constraint/ast';

/** A constraint string that does not compile, with where it came from and the compiler's caret position. */
export class ConstraintCompileError extends Error {
  override readonly name = 'ConstraintCompileError';
  /** `where` names the source, e.g. `spec.json: constraints[0]` or `--constraint 2`. */
  constructor(
    readonly where: string,
    readonly error: ConstraintError,
  ) {
    super(`${where}: ${error.message}`);
  }
}

/** A constraint of a list (audit.run's constraints) that does not compile, with its index. */
export class ConstraintListError extends ConstraintCompileError {
  constructor(
    readonly index: number,
    error: ConstraintError,
  ) {
    super(`constraint ${index + 1}`, error);
  }
}
