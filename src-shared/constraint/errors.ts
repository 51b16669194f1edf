import type { ConstraintError, ConstraintErrorCode, SourceSpan } from './ast';

/**
 * Positioned errors of the constraint language. Stages throw `ConstraintFailure` and only
 * `compileConstraint` catches it, so deep recursion in the parser needs no result plumbing while the
 * public API still never throws.
 */
export class ConstraintFailure extends Error {
  override readonly name = 'ConstraintFailure';
  constructor(readonly error: ConstraintError) {
    super(error.message);
  }
}

/** `at column N`, the phrase every message carries so a message alone is enough to find the spot. */
export function atColumn(column: number): string {
  return `at column ${column}`;
}

/**
 * Builds an error whose message names its column: `describe` receives the `at column N` phrase and
 * places it where it reads naturally.
 */
export function constraintError(
  source: string,
  code: ConstraintErrorCode,
  span: SourceSpan,
  describe: (at: string) => string,
): ConstraintError {
  const column = Math.max(1, span.start);
  const length = Math.max(1, span.end - span.start);
  return { code, column, length, source, message: describe(atColumn(column)) };
}

/** Throws a `ConstraintFailure`; typed `never` so callers can use it in expression position. */
export function fail(
  source: string,
  code: ConstraintErrorCode,
  span: SourceSpan,
  describe: (at: string) => string,
): never {
  throw new ConstraintFailure(constraintError(source, code, span, describe));
}

/** A one-column span (1-based). */
export function columnSpan(column: number, length = 1): SourceSpan {
  return { start: column, end: column + length };
}

/**
 * The source line and, under it, carets marking the error (for terminals and monospace UI).
 * Tabs in the source are copied into the padding so the caret lines up whatever the tab width.
 */
export function renderCaret(error: ConstraintError): string {
  const line = error.source;
  const column = Math.min(Math.max(1, error.column), line.length + 1);
  const padding = Array.from(line.slice(0, column - 1), (ch) => (ch === '\t' ? '\t' : ' ')).join('');
  return `${line}\n${padding}${'^'.repeat(Math.max(1, error.length))}`;
}
