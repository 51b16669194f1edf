/**
 * Line-by-line reading of a text data file (plain, or gzip when the name ends in `.gz`) without
 * holding it whole: lines longer than `MAX_CSV_RECORD_CHARS` bytes and text beyond a size limit (after
 * decompression) are InputErrors naming the file, found as soon as the limit is passed. Lines come
 * without their `\n` or `\r\n`; one trailing newline ends the last line; a UTF-8 byte-order mark is
 * dropped; an empty file is an InputError.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { checkRegularFileSync, describeFileFailure, InputError, readFileOrThrow } from '../errors/input-error';
import { checkRegularFile, formatBytes, MAX_CSV_RECORD_CHARS } from './file-limits';

export type OnLine = (line: string, rowNumber: number) => void;

/** Bytes read from a plain file at a time. */
const READ_CHUNK = 4 * 1024 * 1024;

/** Cuts pushed bytes into lines; `what` names the kind of file in size-limit messages. */
class LineScanner {
  private carry: Buffer | undefined;
  private rowNumber = 0;
  private total = 0;
  // A first line that is empty is held back: alone, it is an empty file, not an empty line.
  private heldEmptyFirst = false;

  constructor(
    private readonly path: string,
    private readonly onLine: OnLine,
    private readonly maxBytes: number,
    private readonly what: string,
  ) {}

  /** The next bytes of the text; `chunk` may be reused by the caller afterwards. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.total > this.maxBytes) throw sizeError(this.path, this.maxBytes, this.what, true);
    const bytes = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    let start = 0;
    for (let nl = bytes.indexOf(0x0a, start); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
      if (nl - start > MAX_CSV_RECORD_CHARS) throw this.tooLong();
      this.emit(bytes, start, nl);
      start = nl + 1;
    }
    if (bytes.length - start > MAX_CSV_RECORD_CHARS) throw this.tooLong();
    this.carry = start < bytes.length ? Buffer.from(bytes.subarray(start)) : undefined;
  }

  end(): void {
    if (this.carry !== undefined) this.emit(this.carry, 0, this.carry.length);
    this.carry = undefined;
    if (this.rowNumber === 0 || this.heldEmptyFirst) throw new InputError('the file is empty', { file: this.path });
  }

  private emit(bytes: Buffer, from: number, end: number): void {
    let start = from;
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    if (this.rowNumber === 0 && stop - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    this.rowNumber++;
    if (this.rowNumber === 1 && stop === start) {
      this.heldEmptyFirst = true;
      return;
    }
    if (this.heldEmptyFirst) {
      this.heldEmptyFirst = false;
      this.onLine('', 1);
    }
    this.onLine(bytes.toString('utf8', start, stop), this.rowNumber);
  }

  private tooLong(): InputError {
    return new InputError(`record too long: more than ${MAX_CSV_RECORD_CHARS} bytes without a line break`, { file: this.path, row: this.rowNumber + 1 });
  }
}

function sizeError(path: string, maxBytes: number, what: string, decompressed: boolean): InputError {
  const detail = decompressed
    ? `${path.endsWith('.gz') ? 'decompresses to' : 'holds'} more than ${formatBytes(maxBytes)}, the most ${what} may hold (size limit)`
    : `the file is larger than the ${formatBytes(maxBytes)} ${what} may hold (size limit)`;
  return new InputError(detail, { file: path });
}

function gzipError(err: unknown, path: string): InputError {
  if (err instanceof InputError) return err;
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  if (code === 'ERR_BUFFER_TOO_LARGE') return new InputError('decompresses to more than the size limit', { file: path }, { cause: err });
  if (code.startsWith('Z_')) return new InputError(`not a valid gzip file: ${(err as Error).message}`, { file: path }, { cause: err });
  return new InputError(describeFileFailure(err), { file: path }, { cause: err });
}

/**
 * Synchronous reading (for callers that cannot await). A gzip file is decompressed whole, with
 * `maxBytes` as zlib's output limit; a plain file is read in chunks.
 */
export function forEachLineSync(path: string, maxBytes: number, what: string, onLine: OnLine): void {
  const size = checkRegularFileSync(path);
  const scanner = new LineScanner(path, onLine, maxBytes, what);
  if (path.endsWith('.gz')) {
    if (size > maxBytes) throw sizeError(path, maxBytes, what, false);
    let text: Buffer;
    try {
      text = gunzipSync(readFileOrThrow(path), { maxOutputLength: maxBytes });
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? String(err.code) : '';
      throw code === 'ERR_BUFFER_TOO_LARGE' ? sizeError(path, maxBytes, what, true) : gzipError(err, path);
    }
    scanner.push(text);
  } else {
    if (size > maxBytes) throw sizeError(path, maxBytes, what, false);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new InputError(describeFileFailure(err), { file: path }, { cause: err });
    }
    try {
      const chunk = Buffer.alloc(READ_CHUNK);
      for (let n = readSync(fd, chunk, 0, READ_CHUNK, null); n > 0; n = readSync(fd, chunk, 0, READ_CHUNK, null)) scanner.push(chunk.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  scanner.end();
}

/** Streaming reading: a gzip file is decompressed as it is read, and stops at `maxBytes` of text. */
export async function forEachLine(path: string, maxBytes: number, what: string, onLine: OnLine): Promise<void> {
  const size = await checkRegularFile(path);
  const gzip = path.endsWith('.gz');
  if (!gzip && size > maxBytes) throw sizeError(path, maxBytes, what, false);
  const scanner = new LineScanner(path, onLine, maxBytes, what);
  const source = createReadStream(path);
  let stream: Readable = source;
  if (gzip) {
    const gunzip = createGunzip();
    source.on('error', (err) => gunzip.destroy(err));
    stream = source.pipe(gunzip);
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) scanner.push(chunk);
  } catch (err) {
    throw gzipError(err, path);
  } finally {
    source.destroy();
    stream.destroy();
  }
  scanner.end();
}
