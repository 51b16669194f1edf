/**
 * IDX files (LeCun's MNIST format, also Fashion-MNIST): a 4-byte magic (0, 0, data type, number of
 * dimensions), one big-endian uint32 per dimension, then the data. Images are unsigned bytes with 3
 * dimensions (count × rows × columns), labels unsigned bytes with 1. Gzip is detected by its magic
 * bytes, whatever the file name. Items are read in chunks from a stream, never the whole file.
 *
 * The header is not trusted: the dimensions are checked against `MAX_IDX_SIDE` and the announced
 * items against the bytes the file holds (its size, or for gzip a count of its decompressed bytes
 * that stops once it passes what the header announces) before any item is read.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError, readFileOrThrow } from '../errors/input-error';
import { checkRegularFile, MAX_IDX_ITEMS, MAX_IDX_SIDE } from './file-limits';

export type IdxKind = 'images' | 'labels';

const DATA_TYPES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };

export interface IdxFile {
  readonly path: string;
  readonly kind: IdxKind;
  readonly count: number;
  /** Images: rows × columns; labels: 1. */
  readonly rows: number;
  readonly columns: number;
  readonly itemBytes: number;
  /**
   * The next `n` items (n × itemBytes bytes), fewer only at the end of the announced items. A file
   * shorter than its header announces is an InputError naming how many items it holds.
   */
  read(n: number): Promise<Buffer>;
  /** Checks that nothing follows the last announced item, then closes the file. */
  finish(): Promise<void>;
  close(): void;
}

export interface OpenIdxOptions {
  /**
   * Check the announced items against the file's bytes (default true). A gzip file is decompressed
   * once more for it; a caller that has already checked the file (and still meets a short read as an
   * InputError) may skip it.
   */
  readonly checkSize?: boolean;
}

/** Opens an IDX file of the expected kind and validates its header against limits and the file's size. */
export async function openIdx(path: string, kind: IdxKind, options: OpenIdxOptions = {}): Promise<IdxFile> {
  const fileSize = await checkReadable(path);
  const { stream, gzip } = await openMaybeGzip(path);
  const reader = new ByteReader(stream, path);
  try {
    const magic = await reader.read(4);
    const expected = kind === 'images' ? '0x00000803' : '0x00000801';
    if (magic.length < 4 || magic[0] !== 0 || magic[1] !== 0) {
      const got = magic.length < 4 ? `only ${magic.length} bytes` : `magic number 0x${magic.readUInt32BE(0).toString(16).padStart(8, '0')}`;
      throw new InputError(`not an IDX file (${got}; expected magic ${expected} for ${kind})`, { file: path });
    }
    const dataType = magic[2];
    if (dataType !== 0x08) {
      const name = DATA_TYPES[dataType] ?? 'unknown';
      throw new InputError(`IDX data type 0x${dataType.toString(16).padStart(2, '0')} (${name}) is not supported; expected 0x08 (unsigned byte)`, {
        file: path,
      });
    }
    const nDims = magic[3];
    const wantDims = kind === 'images' ? 3 : 1;
    if (nDims !== wantDims) {
      const hint = kind === 'images' && nDims === 1 ? ' (is this a labels file?)' : kind === 'labels' && nDims === 3 ? ' (is this an images file?)' : '';
      throw new InputError(`expected an IDX ${kind} file with ${wantDims} dimension${wantDims === 1 ? '' : 's'}, got ${nDims}${hint}`, { file: path });
    }
    const dimBytes = await reader.read(4 * nDims);
    if (dimBytes.length < 4 * nDims) throw new InputError('truncated IDX header', { file: path });
    const dims = Array.from({ length: nDims }, (_, i) => dimBytes.readUInt32BE(4 * i));
    const [count, rows, columns] = kind === 'images' ? dims : [dims[0], 1, 1];
    if (kind === 'images' && (rows === 0 || columns === 0)) throw new InputError(`IDX images of ${rows}×${columns} pixels`, { file: path });
    if (rows > MAX_IDX_SIDE || columns > MAX_IDX_SIDE) {
      throw new InputError(`image dimensions ${rows}×${columns} in the IDX header are too large (at most ${MAX_IDX_SIDE}×${MAX_IDX_SIDE})`, { file: path });
    }
    const itemBytes = rows * columns;
    let itemsRead = 0;
    const itemName = kind === 'images' ? `images of ${rows}×${columns}` : 'labels';
    const headerBytes = 4 + 4 * nDims;
    if (options.checkSize !== false) {
      const expected = headerBytes + count * itemBytes;
      const holds = gzip ? await decompressedSize(path, expected + 1) : fileSize;
      if (holds !== expected) {
        const noun = kind === 'images' ? 'images' : 'labels';
        const size = holds > expected && gzip ? `more than ${expected} bytes uncompressed` : `${holds} bytes${gzip ? ' uncompressed' : ''}`;
        throw new InputError(
          `the header announces ${count} ${noun}, the file holds ${size} (${count} ${itemName} take ${expected} bytes with the ${headerBytes}-byte header)`,
          { file: path },
        );
      }
    }
    if (count > MAX_IDX_ITEMS) throw new InputError(`the header announces ${count} ${kind}, more than the ${MAX_IDX_ITEMS} an import takes`, { file: path });
    return {
      path,
      kind,
      count,
      rows,
      columns,
      itemBytes,
      async read(n: number): Promise<Buffer> {
        const want = Math.min(n, count - itemsRead);
        const bytes = await reader.read(want * itemBytes);
        if (bytes.length < want * itemBytes) {
          const whole = itemsRead + Math.floor(bytes.length / itemBytes);
          throw new InputError(`truncated: the header announces ${count} ${itemName}, the file holds ${whole} whole ones`, { file: path });
        }
        itemsRead += want;
        return bytes;
      },
      async finish(): Promise<void> {
        const extra = await reader.drain();
        reader.close();
        if (extra > 0) {
          throw new InputError(`${extra} unexpected bytes after the ${count} ${itemName} announced by the header`, { file: path });
        }
      },
      close: () => reader.close(),
    };
  } catch (err) {
    reader.close();
    throw err;
  }
}

/** A regular file that can be opened; returns its size. */
async function checkReadable(path: string): Promise<number> {
  const size = await checkRegularFile(path);
  try {
    const handle = await open(path, 'r');
    await handle.close();
  } catch {
    readFileOrThrow(path); // throws the shared "file not found / permission denied" InputError
  }
  return size;
}

/** Bytes a gzip file decompresses to, counted as they stream by; stops once the count reaches `cap`. */
async function decompressedSize(path: string, cap: number): Promise<number> {
  const source = createReadStream(path);
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  let total = 0;
  try {
    for await (const chunk of source.pipe(gunzip) as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total >= cap) break;
    }
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    const detail = code.startsWith('Z_') ? 'not a valid gzip file' : 'cannot read file';
    throw new InputError(`${detail}: ${err instanceof Error ? err.message : String(err)}`, { file: path }, { cause: err });
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  return total;
}

async function openMaybeGzip(path: string): Promise<{ stream: Readable; gzip: boolean }> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(2);
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const source = createReadStream(path);
  if (head[0] !== 0x1f || head[1] !== 0x8b) return { stream: source, gzip: false };
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  return { stream: source.pipe(gunzip), gzip: true };
}

/** Exact-size reads over a stream's chunks; errors (bad gzip, I/O) become InputErrors naming the file. */
class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(
    private readonly stream: Readable,
    private readonly path: string,
  ) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Up to `n` bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.pendingBytes < n && !this.ended) await this.pull();
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const take = Math.min(n, all.length);
    const out = all.subarray(0, take);
    const rest = all.subarray(take);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }

  /** Reads to the end; returns how many bytes were left. */
  async drain(): Promise<number> {
    let extra = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    while (!this.ended) {
      await this.pull();
      extra += this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
    }
    return extra;
  }

  close(): void {
    this.stream.destroy();
  }

  private async pull(): Promise<void> {
    let next: IteratorResult<Buffer>;
    try {
      next = await this.iterator.next();
    } catch (err) {
      this.ended = true;
      const code = err instanceof Error && 'code' in err ? String(err.code) : '';
      const detail = code.startsWith('Z_') ? 'not a valid gzip file' : 'cannot read file';
      throw new InputError(`${detail}: ${err instanceof Error ? err.message : String(err)}`, { file: this.path }, { cause: err });
    }
    if (next.done) {
      this.ended = true;
      return;
    }
    this.pending.push(next.value);
    this.pendingBytes += next.value.length;
  }
}
