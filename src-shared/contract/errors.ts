/**
 * Errors cross process boundaries as data: main replies `{ ok: false, error }` with
 * an `ErrorData`, and the client rebuilds a typed error so the UI can say "attrs.csv row 12, column 'M':
 * expected 0 or 1" or draw a caret under a constraint, never "Error" or a stack trace.
 */
import { z } from 'zod';

export const ERROR_CODES = [
  /** The user's files are wrong: `file`, `row`, `column`, `key` say where, `detail` what. */
  'input',
  /** A constraint does not compile: `column` (1-based character) and `caret` (source + ^ line). */
  'constraint',
  /** The request does not match the contract (a client bug, or a hand-made request). */
  'bad_request',
  /** No such route (also: inherited names such as `toString` or `__proto__`). */
  'unknown_route',
  /** The dataset, constraint or job named does not exist (any more). */
  'not_found',
  /** The workspace is locked by a long write (an import); try again when it ends. */
  'busy',
  /** A job was cancelled. */
  'cancelled',
  /** The thing is in a state that forbids the request, e.g. deleting a run that is still running: cancel it first. */
  'conflict',
  /** The work ran and failed (e.g. a bound could not be computed). */
  'failed',
  /** The bridge or the main process cannot be reached. */
  'unavailable',
  /** This runtime does not offer the route (a native dialog in browser mode): use the fallback. */
  'not_available',
  /** Anything else: a bug. The message is shown; the stack stays in main's log. */
  'internal',
] as const;

export const errorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof errorCode>;

export const errorData = z.object({
  /** The original error class, e.g. `InputError`, `ConstraintCompileError`. */
  name: z.string(),
  code: errorCode,
  /** Complete, human-readable (for input errors it includes the location). */
  message: z.string(),
  /** The problem without the location prefix. */
  detail: z.string().optional(),
  file: z.string().optional(),
  row: z.number().int().optional(),
  /** A CSV column name or 1-based index; for constraints the 1-based character column. */
  column: z.union([z.string(), z.number().int()]).optional(),
  /** JSON key path inside a file. */
  key: z.string().optional(),
  /** The constraint and a `^^^` line under the offending characters. */
  caret: z.string().optional(),
  /** For a list input (several constraints), the 0-based index of the item at fault. */
  index: z.number().int().optional(),
  /** A refused request (`bad_request`): every field at fault, by its key path, with the problem in words. */
  issues: z.array(z.object({ field: z.string(), problem: z.string() })).optional(),
});
export type ErrorData = z.infer<typeof errorData>;

/** Every error the client raises from a reply. */
export class FairboundError extends Error {
  override name = 'FairboundError';
  readonly code: ErrorCode;
  /** The name of the error class in main. */
  readonly remoteName: string;
  readonly data: ErrorData;

  constructor(data: ErrorData) {
    super(data.message);
    this.code = data.code;
    this.remoteName = data.name;
    this.data = data;
  }
}

/** Bad input files, with where the problem is. */
export class FairboundInputError extends FairboundError {
  override name = 'FairboundInputError';
  readonly file?: string;
  readonly row?: number;
  readonly column?: string | number;
  readonly key?: string;
  readonly detail: string;

  constructor(data: ErrorData) {
    super(data);
    this.file = data.file;
    this.row = data.row;
    this.column = data.column;
    this.key = data.key;
    this.detail = data.detail ?? data.message;
  }

  /** `row 12, column 'M'` (empty when the file as a whole is at fault). */
  get position(): string {
    const parts: string[] = [];
    if (this.row !== undefined) parts.push(`row ${this.row}`);
    if (this.column !== undefined) parts.push(typeof this.column === 'string' ? `column '${this.column}'` : `column ${this.column}`);
    if (this.key !== undefined) parts.push(`key '${this.key}'`);
    return parts.join(', ');
  }
}

/** A constraint that does not compile, with the caret text to show in a monospace block. */
export class FairboundConstraintError extends FairboundError {
  override name = 'FairboundConstraintError';
  readonly caret: string;
  readonly column: number;
  readonly index?: number;

  constructor(data: ErrorData) {
    super(data);
    this.caret = data.caret ?? '';
    this.column = typeof data.column === 'number' ? data.column : 1;
    this.index = data.index;
  }
}

/** Rebuilds the typed error for a reply's error data. */
export function errorFromData(data: ErrorData): FairboundError {
  switch (data.code) {
    case 'input':
      return new FairboundInputError(data);
    case 'constraint':
      return new FairboundConstraintError(data);
    default:
      return new FairboundError(data);
  }
}
