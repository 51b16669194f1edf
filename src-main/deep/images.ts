/**
 * Image sets as the importers store them (one Uint8Array, NHWC, 0–255) and their conversion to model
 * input one batch at a time. The float copy of a dataset is never built whole: 70,000 28×28 images are
 * 55 MB as bytes but would be 220 MB as float32 (and 645 MB at 48×48); a batch is converted inside the
 * caller's tf.tidy and freed with it.
 */
import * as tf from '@tensorflow/tfjs';

export interface ImageSet {
  /** n × height × width × channels bytes, row-major (NHWC). */
  readonly pixels: Uint8Array;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Which rows to use: explicit row indices (any order; repeats allowed) or the half-open range [start, end). */
export type RowSelection = Int32Array | { readonly start: number; readonly end: number };

export function validateImageSet(images: ImageSet, expected: readonly [number, number, number] | undefined, where: string): void {
  const { n, height, width, channels, pixels } = images;
  for (const [key, v] of Object.entries({ n, height, width, channels })) {
    if (!Number.isInteger(v) || v < (key === 'n' ? 0 : 1)) throw new RangeError(`${where}: images.${key} must be a ${key === 'n' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  if (pixels.length !== n * height * width * channels) {
    throw new RangeError(`${where}: images.pixels has ${pixels.length} bytes, ${n}×${height}×${width}×${channels} needs ${n * height * width * channels}`);
  }
  if (expected !== undefined && (expected[0] !== height || expected[1] !== width || expected[2] !== channels)) {
    throw new RangeError(`${where}: the model takes ${expected.join('×')} images, got ${height}×${width}×${channels}`);
  }
}

/** The selected row indices, checked against n; a range becomes start, start+1, …, end−1. */
export function resolveRows(rows: RowSelection | undefined, n: number, where: string): Int32Array {
  if (rows === undefined) return Int32Array.from({ length: n }, (_, i) => i);
  if (rows instanceof Int32Array) {
    for (const r of rows) if (r < 0 || r >= n) throw new RangeError(`${where}: row ${r} is outside 0..${n - 1}`);
    return rows;
  }
  const { start, end } = rows;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new RangeError(`${where}: row range [${start}, ${end}) is not within [0, ${n})`);
  }
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

/**
 * Copies rows into reusable float storage and makes normalised batches from it. Must be called inside
 * a tf.tidy: the raw tensor (which on the cpu backend aliases the reusable buffer) dies with the tidy.
 */
export class BatchReader {
  private readonly buffer: Float32Array;
  private readonly imageSize: number;

  constructor(
    private readonly images: ImageSet,
    maxBatch: number,
  ) {
    this.imageSize = images.height * images.width * images.channels;
    this.buffer = new Float32Array(maxBatch * this.imageSize);
  }

  /** Pixels of rows[from .. from+count) as a [count, h, w, c] float32 tensor scaled to [0, 1]. */
  batch(rows: Int32Array, from: number, count: number): tf.Tensor4D {
    const { pixels, height, width, channels } = this.images;
    const size = this.imageSize;
    for (let k = 0; k < count; k++) {
      const src = rows[from + k] * size;
      this.buffer.set(pixels.subarray(src, src + size), k * size);
    }
    const raw = tf.tensor4d(this.buffer.subarray(0, count * size), [count, height, width, channels], 'float32');
    return tf.div(raw, 255);
  }
}
