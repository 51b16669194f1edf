/**
 * ONNX Runtime (onnxruntime-node, its CPU kernels with MLAS and intra-op threads) as an executor of
 * Fairbound's own graphs: sessions with the options every caller wants, and batched inference over an
 * image set as the tfjs path does it (same row selection, same [0, 1] scaling, progress and cancel).
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { CancelledError } from '../cancel';
import { resolveRows, validateImageSet, type ImageSet, type RowSelection } from '../images';
import { INPUT_NAME } from './forward';

export interface OnnxSessionOptions {
  /** Intra-op threads; default: every core of the machine. */
  readonly threads?: number;
}

/** The version of onnxruntime-node in use, for run reports. */
export const ONNX_RUNTIME_VERSION: string = ort.env.versions.common ?? 'unknown';

/**
 * A CPU session on an encoded model, fully optimised, one intra-op pool of `threads` whose threads sleep
 * between ops instead of spinning: a training step is hundreds of ops, and spinning workers compete with
 * the thread that has work whenever anything else wants the cores (another process, the UI), which made
 * steps 1.4–1.7× slower on a busy 2-core machine.
 */
export function createCpuSession(model: Uint8Array, options: OnnxSessionOptions = {}): Promise<ort.InferenceSession> {
  const threads = options.threads ?? availableParallelism();
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, [...dims]);
}

/**
 * Writes rows[from .. from+count) of `images` as NCHW floats in [0, 1] into `out` (the stored NHWC bytes
 * divided by 255, as tfjs's BatchReader computes them; with one channel, NCHW and NHWC coincide).
 */
export function fillNchwBatch(images: ImageSet, rows: Int32Array, from: number, count: number, out: Float32Array): void {
  const { pixels, height, width, channels } = images;
  const plane = height * width;
  const size = plane * channels;
  for (let k = 0; k < count; k++) {
    const src = rows[from + k] * size;
    const dst = k * size;
    if (channels === 1) {
      for (let i = 0; i < size; i++) out[dst + i] = pixels[src + i] / 255;
      continue;
    }
    for (let i = 0; i < plane; i++) for (let c = 0; c < channels; c++) out[dst + c * plane + i] = pixels[src + i * channels + c] / 255;
  }
}

export interface OnnxInferenceOptions {
  /** Images per session.run (default 256). */
  readonly batchSize?: number;
  /** Default: every row, in order. Output row k belongs to rows[k]. */
  readonly rows?: RowSelection;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Runs a one-input, one-output session (input `image`, NCHW) over the selected rows; the output is
 * rows × `width` row-major.
 */
export async function mapRowsOnnx(session: ort.InferenceSession, images: ImageSet, width: number, options: OnnxInferenceOptions, where: string): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${where}: batchSize must be a positive integer, got ${batchSize}`);
  validateImageSet(images, undefined, where);
  const rows = resolveRows(options.rows, images.n, where);
  const { height, width: w, channels } = images;
  const size = height * w * channels;
  const result = new Float32Array(rows.length * width);
  const buffer = new Float32Array(batchSize * size);
  const outputName = session.outputNames[0];
  for (let from = 0; from < rows.length; from += batchSize) {
    if (options.signal?.aborted) throw new CancelledError(`${where} cancelled after ${from} of ${rows.length} rows`);
    const count = Math.min(batchSize, rows.length - from);
    fillNchwBatch(images, rows, from, count, buffer);
    const input = floatTensor(buffer.subarray(0, count * size), [count, channels, height, w]);
    const outputs = await session.run({ [INPUT_NAME]: input });
    const output = outputs[outputName];
    try {
      if (output.dims.length !== 2 || output.dims[0] !== count || output.dims[1] !== width) {
        throw new Error(`${where}: the model returned shape ${output.dims.join('×')}, expected ${count}×${width}`);
      }
      result.set(output.data as Float32Array, from * width);
    } finally {
      output.dispose();
    }
    options.onProgress?.(from + count, rows.length);
  }
  return result;
}
