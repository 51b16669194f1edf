/**
 * InputError: the user's files are wrong (missing, malformed, inconsistent). The CLI maps it to exit
 * code 2 and prints `message`; other errors are internal failures (exit code 1). The location is kept
 * both in the message (for the terminal) and as fields (for a UI that points at the cell, and for tests).
 *
 * The JSON helpers below live here because every reader of user files (metadata, spec, θ) needs the
 * same "file not found / not JSON / wrong shape → InputError naming the file and key" behaviour.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import type { z } from 'zod';

export interface InputErrorLocation {
  /** The path as the caller gave it. */
  readonly file?: string;
  /** 1-based line number in the file. */
  readonly row?: number;
  /** Column name where known (from metadata), else the 1-based column index. */
  readonly column?: string | number;
  /** JSON key path inside the file, e.g. `optimization.hyperparams.alpha_theta` or `deltas[1]`. */
  readonly key?: string;
}

export class InputError extends Error {
  override readonly name = 'InputError';
  readonly file?: string;
  readonly row?: number;
  readonly column?: string | number;
  readonly key?: string;
  /** The problem without the location prefix, for UIs that show the location separately. */
  readonly detail: string;

  constructor(detail: string, where: InputErrorLocation = {}, options?: { cause?: unknown }) {
    super(formatInputError(detail, where), options);
    this.detail = detail;
    this.file = where.file;
    this.row = where.row;
    this.column = where.column;
    this.key = where.key;
  }
}

/**
 * `data.csv row 12, column 'M': expected 0 or 1, got 0.5` — file first, then the position inside it.
 * @example formatInputError('missing', { file: 'spec.json', key: 'deltas' }) // "spec.json key 'deltas': missing"
 */
export function formatInputError(detail: string, where: InputErrorLocation): string {
  const inside: string[] = [];
  if (where.row !== undefined) inside.push(`row ${where.row}`);
  if (where.column !== undefined) {
    inside.push(typeof where.column === 'string' ? `column '${where.column}'` : `column ${where.column}`);
  }
  if (where.key !== undefined) inside.push(`key '${where.key}'`);
  const location = [where.file, inside.join(', ')].filter((part) => part !== undefined && part !== '').join(' ');
  return location === '' ? detail : `${location}: ${detail}`;
}

/** Whole-file reads stop here: a file read whole is one the caller holds in memory at once. */
const WHOLE_FILE_MAX_BYTES = 1024 ** 3;
/** JSON files (a case's spec, metadata, θ) are small; a larger one is not what it claims to be. */
const JSON_FILE_MAX_BYTES = 64 * 1024 ** 2;

/**
 * Reads a whole file as bytes, turning the usual OS failures into an InputError naming the file. Only
 * regular files up to `maxBytes`: a FIFO or device would block the read or never end.
 */
export function readFileOrThrow(path: string, maxBytes = WHOLE_FILE_MAX_BYTES): Buffer {
  const size = checkRegularFileSync(path);
  if (size > maxBytes) throw new InputError(`file too large: ${size} bytes, at most ${maxBytes} read whole`, { file: path });
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InputError(describeFileFailure(err), { file: path }, { cause: err });
  }
}

/** Why a path cannot be read as a file, in the words every reader shares. */
export function describeFileFailure(err: unknown): string {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'file not found';
    case 'EISDIR':
      return 'is a directory, expected a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot read file: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** A stat that is not a regular file is an InputError; returns the file's size. */
export function checkFileStats(stats: Stats, path: string): number {
  if (stats.isDirectory()) throw new InputError('is a directory, expected a file', { file: path });
  // Opening a FIFO blocks until a writer appears, and a device never ends: neither can be read as a file.
  if (!stats.isFile()) throw new InputError('not a regular file (a FIFO, socket or device cannot be read as a data file)', { file: path });
  return stats.size;
}

/** Checks, before anything opens it, that `path` is a regular file (following links); returns its size. */
export function checkRegularFileSync(path: string): number {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (err) {
    throw new InputError(describeFileFailure(err), { file: path }, { cause: err });
  }
  return checkFileStats(stats, path);
}

/** Reads and parses a JSON file; a missing file or a syntax error becomes an InputError. */
export function readJsonFile(path: string): unknown {
  const text = stripBom(readFileOrThrow(path, JSON_FILE_MAX_BYTES).toString('utf8'));
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { file: path }, { cause: err });
  }
}

/** Editors on Windows like to prepend a UTF-8 byte-order mark; neither JSON.parse nor the CSV reader wants it. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Validates `value` with a zod schema; the first issue becomes an InputError naming the file and the
 * key path. Only the first issue is reported so the message stays one readable line.
 */
export function parseWithSchema<T extends z.ZodType>(schema: T, value: unknown, file: string): z.output<T> {
  const result = schema.safeParse(value, {
    reportInput: true,
    // A missing key otherwise reads "expected number, received undefined", which hides the real problem.
    error: (issue) => (issue.input === undefined ? 'missing' : undefined),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = formatKeyPath(issue.path);
  const got = issue.code === 'invalid_value' && issue.input !== undefined ? `, got ${JSON.stringify(issue.input)}` : '';
  throw new InputError(`${issue.message}${got}`, key === '' ? { file } : { file, key });
}

/**
 * `['optimization', 'hyperparams', 'lambda_init', 1]` → `optimization.hyperparams.lambda_init[1]`.
 * @example formatKeyPath(['deltas', 0]) // "deltas[0]"
 */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
