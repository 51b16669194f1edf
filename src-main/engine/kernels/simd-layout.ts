import { CONTROL_BLOCK_BYTES } from './simd-worker';

const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB at most. */
const MAX_PAGES = 65536;
/** Every region starts on a cache line so threads writing neighbouring regions never share one. */
const ALIGN = 64;

/** Byte offsets of the SIMD kernel's regions in its shared memory (see kernels/simd/linear.ts). */
export interface SimdLayout {
  /** nFeatures rounded up to a multiple of 8: the row stride in floats, zero-padded. */
  readonly dp: number;
  /** threads × CONTROL_BLOCK_BYTES: block t > 0 is worker t's; block 0 is the calling thread's. */
  readonly control: number;
  /** The i32 chunk counter the threads claim rows from: the first slot of block 0. */
  readonly counter: number;
  /** Rows a thread claims at a time: by default about 128 KiB of features, a multiple of 4. */
  readonly chunkRows: number;
  readonly features: number;
  /** K columns of dp f64. */
  readonly thetaT: number;
  /** K f64. */
  readonly bias: number;
  /** nRows × K f64: forward output for the whole range of a call. */
  readonly logits: number;
  /** nRows × K f64: backward input. */
  readonly dz: number;
  /**
   * MAX_BACKWARD_CHUNKS gradient slots of gradientStride bytes, one a chunk of a backward call: K
   * columns of dp f64, K bias sums, K zeros of scratch.
   */
  readonly gradients: number;
  readonly gradientStride: number;
  /** nRows f64: the labels, for the fused logistic loss. */
  readonly labels: number;
  /** One f64 a forward chunk: the fused loss's partial sums. */
  readonly lossSums: number;
  /** Estimator slots the fused passes can hold (0 for K > 2, which has none). */
  readonly maxSlots: number;
  /** maxSlots tables of three f64 arrays by row (offset, slope, keep), each rowsStride bytes. */
  readonly estimators: number;
  readonly rowsStride: number;
  /** maxSlots f64 shifts, 2·maxSlots f64 backward coefficients. */
  readonly shifts: number;
  readonly coef: number;
  /** 2·maxSlots f64 a forward chunk: each slot's partial sums. */
  readonly estimatorSums: number;
  /** gradientStride bytes: the gradient slots added up (reduceSlots). */
  readonly reduced: number;
  readonly pages: number;
}

/**
 * Backward chunks per call at most: each has its own gradient slot, which the calling thread adds up in
 * chunk order (deterministic sums), so fewer chunks mean less to add; 32 still lets a thread that is
 * slowed by other work hand its share to the others.
 */
export const MAX_BACKWARD_CHUNKS = 32;

/** Base nodes over all constraints that the fused passes take (a few MB of tables for 24k rows); more fall back to JS. */
export const MAX_ESTIMATOR_SLOTS = 8;

/** The backward chunk for a range of n rows: a multiple of the forward chunk, at most MAX_BACKWARD_CHUNKS of them. */
export function backwardChunkRows(n: number, chunkRows: number): number {
  return chunkRows * Math.max(1, Math.ceil(n / (chunkRows * MAX_BACKWARD_CHUNKS)));
}

function align(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/** The layout for a matrix of nRows × nFeatures and K outputs, or null past wasm32's 4 GiB. */
export function simdLayout(heapBase: number, nRows: number, nFeatures: number, k: number, threads: number, chunkRows?: number): SimdLayout | null {
  const dp = Math.ceil(nFeatures / 8) * 8;
  const control = align(heapBase);
  const features = align(control + threads * CONTROL_BLOCK_BYTES);
  const thetaT = align(features + nRows * dp * 4);
  const bias = align(thetaT + k * dp * 8);
  const logits = align(bias + k * 8);
  const dz = align(logits + nRows * k * 8);
  const gradients = align(dz + nRows * k * 8);
  const gradientStride = align((k * dp + 2 * k) * 8);
  const chunk = chunkRows ?? Math.max(4, Math.floor(32768 / Math.max(dp, 8) / 4) * 4);
  const labels = align(gradients + MAX_BACKWARD_CHUNKS * gradientStride);
  const forwardChunks = Math.ceil(nRows / chunk) + 1;
  const lossSums = align(labels + nRows * 8);
  const maxSlots = k <= 2 ? MAX_ESTIMATOR_SLOTS : 0;
  const rowsStride = align(nRows * 8);
  const estimators = align(lossSums + forwardChunks * 8);
  const shifts = align(estimators + maxSlots * 3 * rowsStride);
  const coef = align(shifts + maxSlots * 8);
  const estimatorSums = align(coef + maxSlots * 16);
  const reduced = align(estimatorSums + forwardChunks * maxSlots * 16);
  const pages = Math.ceil((reduced + gradientStride) / PAGE_BYTES);
  return pages <= MAX_PAGES
    ? {
        dp, control, counter: control, chunkRows: chunk, features, thetaT, bias, logits, dz, gradients, gradientStride, labels, lossSums,
        maxSlots, estimators, rowsStride, shifts, coef, estimatorSums, reduced, pages,
      }
    : null;
}
