/**
 * Streaming reader for headered CSV files (quoting, CRLF, BOM; gzip when the name ends in `.gz`)
 * on top of csv-parse. Every malformed-file error becomes an InputError naming the file, the 1-based
 * line and, where known, the column; records carry their line so row checks can name it too.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvError, parse, type Info } from 'csv-parse';
import { InputError, readFileOrThrow } from '../errors/input-error';

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

/** Opens `path` and reads its header; the body is read lazily through `records`. */
export async function openHeaderedCsv(path: string): Promise<HeaderedCsv> {
  await checkReadable(path);
  const size = (await stat(path)).size;
  const gzip = path.endsWith('.gz');
  // With skip_records_with_error, csv-parse reports a malformed record through 'skip' and goes on, so
  // the good records before it are still delivered: we raise its error when the reader reaches it,
  // and errors come out in file order (a stream error would discard the records buffered before it).
  const parser = parse({ bom: true, info: true, skip_empty_lines: true, trim: true, skip_records_with_error: true });
  const skipped: { error: unknown; after: number }[] = [];
  parser.on('skip', (error: unknown) => skipped.push({ error, after: parser.info.records }));
  const source = createReadStream(path);
  // pipeline forwards a failure of any stage (read error, bad gzip) to the parser we iterate, and
  // destroys every stage when iteration stops early.
  if (gzip) pipeline(source, createGunzip(), parser, () => undefined);
  else pipeline(source, parser, () => undefined);

  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: Info }>;
  let header: string[] = [];
  let consumed = 0;
  const fail = (err: unknown): never => {
    throw toInputError(err, path, header);
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

async function checkReadable(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    await handle.close();
  } catch {
    // Reuse the shared wording (file not found / is a directory / permission denied).
    readFileOrThrow(path);
  }
  if ((await stat(path)).isDirectory()) throw new InputError('is a directory, expected a file', { file: path });
}

function validateHeader(header: readonly string[], path: string, line: number): void {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new InputError('empty column name in the header', { file: path, row: line, column: i + 1 });
    if (seen.has(name)) throw new InputError('column name appears twice in the header', { file: path, row: line, column: name });
    seen.add(name);
  });
}

function toInputError(err: unknown, path: string, header: readonly string[]): InputError {
  if (err instanceof InputError) return err;
  if (err instanceof CsvError) {
    const row = typeof err.lines === 'number' ? err.lines : undefined;
    const index = typeof err.column === 'number' ? err.column : typeof err.index === 'number' ? err.index : undefined;
    const column = index === undefined ? undefined : (header[index] ?? index + 1);
    return new InputError(describeCsvError(err, header), { file: path, row, column }, { cause: err });
  }
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  if (code.startsWith('Z_')) {
    return new InputError(`not a valid gzip file: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  if (err instanceof Error && code !== '') return new InputError(`cannot read file: ${err.message}`, { file: path }, { cause: err });
  return err instanceof Error ? new InputError(err.message, { file: path }, { cause: err }) : new InputError(String(err), { file: path });
}

function describeCsvError(err: CsvError, header: readonly string[]): string {
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = Array.isArray(err.record) ? err.record.length : '?';
      return `expected ${header.length} cells as in the header, got ${got}`;
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted cell is not closed before the end of the file';
    default:
      // csv-parse's own wording, minus its position (we give ours in front).
      return err.message.replace(/,? (?:at|on) line \d+.*$/, '').replace(/:\s*$/, '');
  }
}
