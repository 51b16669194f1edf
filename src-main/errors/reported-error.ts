/**
 * Failures that already carry their contract error data: the services' own (not found, bad request, …)
 * and those another thread or process reported as data. Pure, so every layer may raise them.
 */
import type { ErrorCode, ErrorData } from '../../src-shared/contract/errors';

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
