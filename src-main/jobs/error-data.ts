/**
 * Errors leave main as data: every failure of a handler or a job becomes an
 * `ErrorData` with a code the UI can act on, the location of bad input, or the caret of a constraint.
 * Stack traces never cross: an unexpected error is logged in main and the UI gets its message.
 */
import { z } from 'zod';
import { renderCaret } from '../../src-shared/constraint';
import { describeIssues } from '../../src-shared/contract/client';
import type { ErrorData } from '../../src-shared/contract/errors';
import { BoundingError } from '../../src-shared/bounds/interval';
import { ImportCancelledError } from '../data/importers';
import { InputError } from '../errors/input-error';
import { ConstraintCompileError, ConstraintListError } from '../errors/constraint-compile-error';
import { ReportedError, ServiceError } from '../errors/reported-error';

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
