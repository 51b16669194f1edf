/**
 * Limits on what the readers of user files accept, and the check every reader makes before it opens
 * a path. Files come from anywhere, so no size a file's header or content claims is trusted before it
 * is checked against these limits and against the bytes the file really holds: memory is spent on
 * what the file contains, never on what it announces.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { checkFileStats, describeFileFailure, InputError } from '../errors/input-error';

/**
 * Longest CSV record (a line, or several lines inside quotes), in characters. A 512×512 grayscale
 * pixel string ("255 " per pixel) fits, and a row of thousands of float features; a file without line
 * breaks is refused after this much is read instead of being buffered whole (csv-parse takes a
 * noticeable time per megabyte of one field, so the limit is also what keeps that refusal quick).
 */
export const MAX_CSV_RECORD_CHARS = 1024 * 1024;

/**
 * Most bytes a gzipped CSV may decompress to (the streaming readers never hold them all; this bounds
 * the time a gzip bomb can take). Plain files are read as they are: their size is real.
 */
export const MAX_CSV_DECOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024;

/**
 * Most bytes of a Seldonian CSV (after decompression). It is parsed into memory whole (the QSA needs
 * every row), so this also bounds the parser's input buffer.
 */
export const MAX_TABULAR_BYTES = 1024 * 1024 * 1024;

/** Most numbers a Seldonian CSV may hold: 64 Mi float64 values are 512 MiB. */
export const MAX_TABULAR_CELLS = 64 * 1024 * 1024;

/** Largest metadata or spec JSON read. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

/**
 * Largest class id a label may have (every importer and the Seldonian reader): K = max id + 1 sizes
 * the model, so a larger id would make it absurdly large.
 */
export const MAX_CLASS_ID = 65535;

/** Largest side of an IDX image: 4096×4096 is 16 MiB per image, far above any IDX dataset. */
export const MAX_IDX_SIDE = 4096;

/** Most items (images or labels) an IDX file may announce, once its size has confirmed them. */
export const MAX_IDX_ITEMS = 100_000_000;

/**
 * Most pixels of an image given to the image-folder importer, checked by sharp from the image's header
 * before decoding (sharp's own default is 268 MP, 805 MB decoded per RGB image). 50 MP covers the
 * largest camera photos (8688×5792) and decodes to at most 150 MB of RGB.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;

/** Largest image file read: a 50 MP PNG that compresses badly is about this size. */
export const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;

/** `1073741824` → `1 GiB`, `16777216` → `16 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}

/**
 * Checks, before anything opens it, that `path` is a regular file (following links); returns its size.
 * A missing path, a directory, a FIFO or a device is an InputError naming the file.
 */
export async function checkRegularFile(path: string): Promise<number> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (err) {
    throw new InputError(describeFileFailure(err), { file: path }, { cause: err });
  }
  return checkFileStats(stats, path);
}
