/**
 * Errors leave main as data (style example 7): every failure of a handler or a job becomes an
 * `ErrorData` with a code the UI can act on, the location of bad input, or the caret of a constraint.
 * Stack traces never cross: an unexpected error is logged in main and the UI gets its message.
 */
import { z } from 'zod';
import { renderCaret } from '../../src-shared/constraint';
import type { ConstraintError } from '../../src-shared/constraint/ast';
import { describeIssues } from '../../src-shared/contract/client';
import type { ErrorCode, ErrorData } from '../../src-shared/contract/errors';
import { BoundingError } from '../../src-shared/bounds/interval';
import { ImportCancelledError } from '../data/importers';
import { InputError } from '../errors/input-error';
import { ConstraintCompileError } from '../errors/constraint-compile-error';

/** A failure the services raise themselves, with its code (not found, bad request, …). */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
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

/** A failure another thread or process already reported as error data (an import worker's): passed on as is. */
export class ReportedError extends Error {
  override readonly name = 'ReportedError';
  constructor(readonly data: ErrorData) {
    super(data.message);
  }
}

export function notFound(what: string): ServiceError {
  return new ServiceError('not_found', what);
}

function sqliteCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('SQLITE_') ? err.code : undefined;
}

/** Is this an error we did not foresee (worth a log line with its stack in main)? */
export function isUnexpected(err: unknown): boolean {
  return toErrorData(err).code === 'internal';
}

export function toErrorData(err: unknown): ErrorData {
  if (err instanceof ServiceError) return { name: err.name, code: err.code, message: err.message };
  if (err instanceof ReportedError) return { ...err.data };
  if (err instanceof InputError) {
    return {
      name: err.name,
      code: 'input',
      message: err.message,
      detail: err.detail,
      ...(err.file !== undefined ? { file: err.file } : {}),
      ...(err.row !== undefined ? { row: err.row } : {}),
      ...(err.column !== undefined ? { column: err.column } : {}),
      ...(err.key !== undefined ? { key: err.key } : {}),
    };
  }
  if (err instanceof ConstraintCompileError) {
    return {
      name: err.name,
      code: 'constraint',
      message: err.message,
      detail: err.error.message,
      column: err.error.column,
      caret: renderCaret(err.error),
      ...(err instanceof ConstraintListError ? { index: err.index } : {}),
    };
  }
  if (err instanceof ImportCancelledError) return { name: err.name, code: 'cancelled', message: err.message };
  if (err instanceof BoundingError) return { name: err.name, code: 'failed', message: err.message };
  if (err instanceof z.ZodError) return { name: 'BadRequest', code: 'bad_request', message: describeIssues(err) };
  const sqlite = sqliteCode(err);
  if (sqlite === 'SQLITE_BUSY' || sqlite === 'SQLITE_LOCKED') {
    return { name: 'WorkspaceBusy', code: 'busy', message: 'the workspace database is busy with another write (an import?); try again when it has finished' };
  }
  if (err instanceof Error) return { name: err.name, code: 'internal', message: err.message };
  return { name: 'Error', code: 'internal', message: String(err) };
}
