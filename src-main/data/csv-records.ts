/**
 * Streaming reader for headered CSV files (quoting, CRLF, BOM; gzip when the name ends in `.gz`)
 * on top of csv-parse. Every malformed-file error becomes an InputError naming the file, the 1-based
 * line and, where known, the column; records carry their line so row checks can name it too.
 *
 * Nothing is buffered whole: a record longer than `MAX_CSV_RECORD_CHARS` (a file without line breaks,
 * say) stops the read at that point, and a gzip file stops once it has decompressed to more than
 * `MAX_CSV_DECOMPRESSED_BYTES`. Only regular files are opened (a FIFO would block the read forever).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvError, parse, type Info } from 'csv-parse';
import { InputError, readFileOrThrow } from '../errors/input-error';
import { checkRegularFile, formatBytes, MAX_CSV_DECOMPRESSED_BYTES, MAX_CSV_RECORD_CHARS } from './file-limits';

export interface CsvRecord {
  readonly cells: readonly string[];
  /** 1-based line where the record ends (the header is line 1 unless blank lines precede it). */
  readonly line: number;
  /** Fraction of the file read so far (uncompressed files only), for progress reports. */
  readonly fraction?: number;
}

export interface HeaderedCsv {
  readonly path: string;
  /** Column names, trimmed. */
  readonly header: readonly string[];
  readonly headerLine: number;
  readonly records: AsyncGenerator<CsvRecord, void, undefined>;
  /** Index of `name` in the header; an InputError naming the file, the header line and the column if absent. */
  column(name: string, role: string): number;
  /** Stops reading and releases the file (also done when `records` is finished or returned). */
  close(): void;
}

export interface CsvLimits {
  /** Longest record in characters; default `MAX_CSV_RECORD_CHARS`. */
  readonly maxRecordChars?: number;
  /** Most bytes a `.gz` file may decompress to; default `MAX_CSV_DECOMPRESSED_BYTES`. */
  readonly maxDecompressedBytes?: number;
}

/** Opens `path` and reads its header; the body is read lazily through `records`. */
export async function openHeaderedCsv(path: string, limits: CsvLimits = {}): Promise<HeaderedCsv> {
  const size = await checkReadable(path);
  const gzip = path.endsWith('.gz');
  const maxRecordChars = limits.maxRecordChars ?? MAX_CSV_RECORD_CHARS;
  // With skip_records_with_error, csv-parse reports a malformed record through 'skip' and goes on, so
  // the good records before it are still delivered: we raise its error when the reader reaches it,
  // and errors come out in file order (a stream error would discard the records buffered before it).
  const skipped: { error: unknown; after: number }[] = [];
  const parser = parse({
    bom: true,
    info: true,
    skip_empty_lines: true,
    trim: true,
    skip_records_with_error: true,
    max_record_size: maxRecordChars,
    on_skip: (error: CsvError | undefined) => {
      // A record over the size limit ends the read at once (thrown here, it fails the parser): going
      // on would read the rest of an endless line only to skip it.
      if (error?.code === 'CSV_MAX_RECORD_SIZE') throw error;
      skipped.push({ error, after: parser.info.records });
    },
  });
  const source = createReadStream(path);
  // pipeline forwards a failure of any stage (read error, bad gzip, size limit) to the parser we
  // iterate, and destroys every stage when iteration stops early.
  if (gzip) pipeline(source, createGunzip(), byteLimit(limits.maxDecompressedBytes ?? MAX_CSV_DECOMPRESSED_BYTES, path), parser, () => undefined);
  else pipeline(source, parser, () => undefined);

  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: Info }>;
  let header: string[] = [];
  let consumed = 0;
  const fail = (err: unknown): never => {
    throw toInputError(err, path, header, maxRecordChars);
  };
  /** The next good record, unless a malformed one comes first (or the file ends). */
  const next = async (): Promise<{ record: string[]; info: Info } | undefined> => {
    const result = await iterator.next().catch(fail);
    if (skipped.length > 0 && (result.done || skipped[0].after <= consumed)) fail(skipped[0].error);
    if (result.done) return undefined;
    consumed++;
    return result.value;
  };
  const first = await next();
  if (first === undefined) throw new InputError('the file is empty, expected a header line', { file: path });
  header = first.record;
  const headerLine = first.info.lines;
  validateHeader(header, path, headerLine);

  async function* records(): AsyncGenerator<CsvRecord, void, undefined> {
    try {
      for (;;) {
        const item = await next();
        if (item === undefined) return;
        const { record, info } = item;
        yield { cells: record, line: info.lines, ...(gzip || size === 0 ? {} : { fraction: Math.min(1, info.bytes / size) }) };
      }
    } finally {
      parser.destroy();
    }
  }

  const names = new Map(header.map((name, i) => [name, i] as const));
  return {
    path,
    header,
    headerLine,
    records: records(),
    column(name: string, role: string): number {
      const index = names.get(name);
      if (index === undefined) {
        throw new InputError(`no ${role} column '${name}' in the header (columns: ${header.join(', ')})`, {
          file: path,
          row: headerLine,
          column: name,
        });
      }
      return index;
    },
    close: () => parser.destroy(),
  };
}

/** A regular file that can be opened; returns its size. */
async function checkReadable(path: string): Promise<number> {
  const size = await checkRegularFile(path);
  try {
    const handle = await open(path, 'r');
    await handle.close();
  } catch {
    // Reuse the shared wording (file not found / permission denied).
    readFileOrThrow(path);
  }
  return size;
}

/** Passes bytes through, failing with an InputError once more than `max` have gone by. */
function byteLimit(max: number, path: string): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      total += chunk.length;
      if (total > max) {
        callback(new InputError(`decompresses to more than ${formatBytes(max)}, the most a gzipped CSV may hold (size limit)`, { file: path }));
      } else callback(null, chunk);
    },
  });
}

function validateHeader(header: readonly string[], path: string, line: number): void {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new InputError('empty column name in the header', { file: path, row: line, column: i + 1 });
    if (seen.has(name)) throw new InputError('column name appears twice in the header', { file: path, row: line, column: name });
    seen.add(name);
  });
}

function toInputError(err: unknown, path: string, header: readonly string[], maxRecordChars: number): InputError {
  if (err instanceof InputError) return err;
  if (err instanceof CsvError) {
    const row = typeof err.lines === 'number' ? err.lines : undefined;
    const index = typeof err.column === 'number' ? err.column : typeof err.index === 'number' ? err.index : undefined;
    const column = index === undefined ? undefined : (header[index] ?? index + 1);
    return new InputError(describeCsvError(err, header, maxRecordChars), { file: path, row, column }, { cause: err });
  }
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  if (code.startsWith('Z_')) {
    return new InputError(`not a valid gzip file: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  if (err instanceof Error && code !== '') return new InputError(`cannot read file: ${err.message}`, { file: path }, { cause: err });
  return err instanceof Error ? new InputError(err.message, { file: path }, { cause: err }) : new InputError(String(err), { file: path });
}

function describeCsvError(err: CsvError, header: readonly string[], maxRecordChars: number): string {
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = Array.isArray(err.record) ? err.record.length : '?';
      return `expected ${header.length} cells as in the header, got ${got}`;
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted cell is not closed before the end of the file';
    case 'CSV_MAX_RECORD_SIZE':
      return `record too long: more than ${maxRecordChars} characters (a line without its end?)`;
    default:
      // csv-parse's own wording, minus its position (we give ours in front).
      return err.message.replace(/,? (?:at|on) line \d+.*$/, '').replace(/:\s*$/, '');
  }
}
