/**
 * Errors as data across a worker boundary (process or thread): the worker serializes its failure, the
 * other side rebuilds it with the original name, message and stack, and an InputError with its location
 * (so the UI still names the file). Shared by the training worker's and the trial threads' protocols.
 */
import { z } from 'zod';
import { InputError } from '../errors/input-error';

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
  /** An InputError's problem and location, so that the other side rebuilds it (the UI names the file). */
  readonly input?: SerializedInputError;
}

export interface SerializedInputError {
  readonly detail: string;
  readonly file?: string;
  readonly row?: number;
  readonly column?: string | number;
  readonly key?: string;
}

const serializedInputError = z.object({
  detail: z.string(),
  file: z.string().optional(),
  row: z.number().optional(),
  column: z.union([z.string(), z.number()]).optional(),
  key: z.string().optional(),
});
export const serializedError = z.object({ name: z.string(), message: z.string(), stack: z.string().optional(), code: z.string().optional(), input: serializedInputError.optional() });

/** The first problem zod found, for a person ("job.images: pixels.length must be …"). */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid' : `${issue.path.join('.') || '(message)'}: ${issue.message}`;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof InputError) {
    const { detail, file, row, column, key } = error;
    const input: SerializedInputError = { detail, ...(file !== undefined ? { file } : {}), ...(row !== undefined ? { row } : {}), ...(column !== undefined ? { column } : {}), ...(key !== undefined ? { key } : {}) };
    return { name: error.name, message: error.message, stack: error.stack, input };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

/**
 * A worker-side failure rebuilt on this side: an InputError as an InputError with its location (the
 * services turn it into the contract's `input` error naming the file), anything else as a
 * TrainingWorkerError.
 */
export function deserializeError(error: SerializedError): Error {
  if (error.input !== undefined) {
    const { detail, ...where } = error.input;
    const rebuilt = new InputError(detail, where);
    if (error.stack) rebuilt.stack = `${rebuilt.name} (from the training worker): ${error.stack}`;
    return rebuilt;
  }
  return new TrainingWorkerError(error);
}

/** A worker-side failure rebuilt on this side of the boundary, keeping the original name and stack. */
export class TrainingWorkerError extends Error {
  override readonly name = 'TrainingWorkerError';
  readonly originalName: string;
  readonly code?: string;
  constructor(error: SerializedError) {
    super(`${error.name}: ${error.message}`);
    this.originalName = error.name;
    this.code = error.code;
    if (error.stack) this.stack = `${this.name} (from the training worker): ${error.stack}`;
  }
}
