import { availableParallelism } from 'node:os';
import type { RowRange } from '../data';
import { checkKernelShape, checkRange, type FeatureMatrix, type FusedQsaPasses, type LinearKernel } from './linear-kernel';
import { backwardChunkRows, simdLayout, type SimdLayout } from './simd-layout';
import { instantiateLinearSimd, sharedMemory, simdSupported, type LinearSimdExports } from './simd-support';
import { WorkerTeam } from './simd-team';
import { OP } from './simd-worker';
import type { WasmMemory } from './wasm-api';

export interface SimdKernelOptions {
  /** Threads sharing each call, the calling one included; default os.availableParallelism(). */
  readonly threads?: number;
  /**
   * Ranges of fewer than twice this many rows run on the calling thread alone: waking a worker costs
   * tens of microseconds, more than a few rows of work. Tests lower it to reach the workers with small data.
   */
  readonly minRowsPerThread?: number;
  /** Rows claimed at a time (default about 128 KiB of features); tests use small odd chunks. */
  readonly chunkRows?: number;
}

export interface SimdLinearKernel extends LinearKernel {
  readonly threads: number;
  /** Always offered (K = 1 or 2; RangeError otherwise): the exps run on the threads with the dot products. */
  forwardSigmoid(theta: Float64Array, range: RowRange, probs: Float64Array): void;
  /** Always offered (K = 1 or 2; RangeError otherwise); for K = 2 at the cost of one column. */
  backwardSigmoid(range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void;
  /** Always offered (K = 1 or 2; RangeError otherwise): the logs run on the threads with the dot products. */
  forwardSigmoidLogLoss(theta: Float64Array, range: RowRange, labels: Float64Array, probs: Float64Array, dProbs: Float64Array): number;
  /** Resolves once every worker has exited after dispose(). */
  readonly exited: Promise<void>;
  /** Rows each thread (0 = the calling one) has done over all calls: how the work was shared. */
  readonly rowsByThread: readonly number[];
}

export { liveSimdWorkers } from './simd-team';

let heapBase: number | null = null;
function moduleHeapBase(): number {
  heapBase ??= instantiateLinearSimd(sharedMemory(1)).heapBase();
  return heapBase;
}

/** A kernel never disposed still ends its workers when it is collected. */
const orphans = new FinalizationRegistry<() => void>((stop) => stop());

/**
 * The linear kernel in WebAssembly SIMD on several threads, or null where that cannot run (no SIMD or
 * shared memory, float64 features, more than wasm32's 4 GiB): callers fall back to the JS kernel.
 *
 * The float32 features are copied once into a shared WebAssembly.Memory; in every call the calling thread
 * and the workers (inline source, unref'd) claim chunks of the range's rows from a shared counter until
 * none are left, and the call blocks in Atomics.wait until all are done, so the API stays synchronous.
 * Sums are f64 as in the JS kernel but in another order (f64x2 lanes, unrolled accumulators, per-chunk
 * partial sums added in chunk order at the end), so results agree to rounding, not bit for bit: the
 * golden agreement runs keep the JS kernel. Chunks are fixed by the range alone and every partial sum
 * belongs to a chunk, not to a thread, so results do not depend on which thread did what: a run is
 * deterministic, whatever the timing or the thread count.
 *
 * Float64 features are not supported (null): the case for this kernel is float32 latent features, and
 * rounding float64 ones to float32 would change results silently.
 */
export function createSimdLinearKernel(features: FeatureMatrix, nFeatures: number, nOutputs: number, options: SimdKernelOptions = {}): SimdLinearKernel | null {
  const nRows = checkKernelShape(features, nFeatures, nOutputs);
  if (!(features instanceof Float32Array) || !simdSupported()) return null;
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const chunkRows = options.chunkRows === undefined ? undefined : Math.max(1, Math.floor(options.chunkRows));
  const layout = simdLayout(moduleHeapBase(), nRows, nFeatures, nOutputs, threads, chunkRows);
  if (layout === null) return null;
  let memory: WasmMemory;
  try {
    memory = sharedMemory(layout.pages);
  } catch {
    return null; // the runtime refused that much memory
  }
  return new SimdKernel(features, nFeatures, nOutputs, nRows, threads, Math.max(1, options.minRowsPerThread ?? 256), layout, memory);
}

class SimdKernel implements SimdLinearKernel {
  readonly exited: Promise<void>;
  private readonly kernel: LinearSimdExports;
  private readonly f64: Float64Array;
  private readonly team: WorkerTeam;
  /** The counter as an i64 (see claim() in simd/linear.ts), rows this thread did, the last solo job's number. */
  private readonly counter: BigInt64Array;
  private ownRows = 0;
  private soloSeq = 0;
  private labelsLoaded: Float64Array | null = null;
  readonly fusedQsa?: FusedQsaPasses;
  /** Estimator slots loaded for the fused passes, and the range of the last forwardFused (what backwardFused continues). */
  private nSlots = 0;
  private fusedRange: RowRange | null = null;
  private disposed = false;

  /** Each worker counts its own rows in its control block; this thread's are counted here. */
  get rowsByThread(): readonly number[] {
    return [this.ownRows, ...Array.from({ length: this.threads - 1 }, (_, t) => this.team.rows(t + 1))];
  }

  constructor(
    features: Float32Array,
    readonly nFeatures: number,
    readonly nOutputs: number,
    private readonly nRows: number,
    readonly threads: number,
    private readonly minRowsPerThread: number,
    private readonly layout: SimdLayout,
    memory: WasmMemory,
  ) {
    this.f64 = new Float64Array(memory.buffer);
    this.copyFeatures(features, new Float32Array(memory.buffer));
    this.kernel = instantiateLinearSimd(memory);
    const { features: x, dp, thetaT, bias, counter, lossSums, gradientStride, logits, estimators, rowsStride, shifts, coef, estimatorSums } = layout;
    this.team = new WorkerTeam(memory, layout.control, threads - 1, {
      features: x, dp, thetaT, bias, counter, lossSums, gradientStride, logits, estimators, rowsStride, shifts, coef, estimatorSums,
    });
    if (layout.maxSlots > 0) this.fusedQsa = this.makeFusedPasses();
    this.counter = new BigInt64Array(memory.buffer);
    this.exited = this.team.exited;
    orphans.register(this, this.team.terminator(), this);
  }

  forward(theta: Float64Array, range: RowRange, logits: Float64Array): void {
    if (!this.begin(range)) return;
    const k = this.nOutputs;
    for (let c = 0; c < k; c++) this.setColumn(c, (j) => theta[j * k + c]);
    this.run(OP.forward, 0, k, range, this.layout.logits, this.layout.chunkRows);
    this.copyOut(this.layout.logits, (range.end - range.start) * k, logits);
  }

  /**
   * K = 1: σ of the logit. K = 2: σ(ℓ₁ − ℓ₀) = σ(x̃·(θ₁ − θ₀)), one dot product a row with the columns'
   * difference rather than two and a subtraction: the same value up to rounding, half the work.
   */
  forwardSigmoid(theta: Float64Array, range: RowRange, probs: Float64Array): void {
    const k = this.binaryK('forwardSigmoid');
    if (!this.begin(range)) return;
    this.setColumn(0, k === 1 ? (j) => theta[j] : (j) => theta[2 * j + 1] - theta[2 * j]);
    this.run(OP.forward, 1, 1, range, this.layout.logits, this.layout.chunkRows);
    this.copyOut(this.layout.logits, range.end - range.start, probs);
  }

  /**
   * forwardSigmoid, and with it the binary logistic loss of objectives.ts on the range (labels indexed by
   * absolute row, 0/1): writes probs and dProbs[i] = d(mean loss)/dp_i (overwriting), returns the mean
   * loss. The logs and divisions run on every thread with the dot products instead of after them on
   * this one. The loss is summed per chunk in row order and the chunks in order: not numpy's pairwise
   * order, so it agrees with the JS objective to rounding.
   */
  forwardSigmoidLogLoss(theta: Float64Array, range: RowRange, labels: Float64Array, probs: Float64Array, dProbs: Float64Array): number {
    const k = this.binaryK('forwardSigmoidLogLoss');
    if (!this.begin(range)) return Number.NaN; // the mean of nothing, as pairwiseSum/0 gives
    if (labels.length < this.nRows) throw new RangeError(`${labels.length} labels for ${this.nRows} rows`);
    this.loadLabels(labels);
    this.setColumn(0, k === 1 ? (j) => theta[j] : (j) => theta[2 * j + 1] - theta[2 * j]);
    const n = range.end - range.start, chunk = this.layout.chunkRows;
    this.run(OP.forward, 2, 1, range, this.layout.logits, chunk, this.layout.labels, this.layout.dz);
    this.copyOut(this.layout.logits, n, probs);
    this.copyOut(this.layout.dz, n, dProbs);
    const sums = this.layout.lossSums / 8;
    let sum = 0;
    for (let c = 0, chunks = Math.ceil(n / chunk); c < chunks; c++) sum += this.f64[sums + c];
    return sum / n;
  }

  backward(range: RowRange, dz: Float64Array, gradient: Float64Array): void {
    if (!this.begin(range)) return;
    const k = this.nOutputs;
    this.f64.set(dz.subarray(0, (range.end - range.start) * k), this.layout.dz / 8);
    const sums = this.reduceSlots(this.runBackward(k, range), k), f64 = this.f64, d = this.nFeatures, dp = this.layout.dp;
    for (let c = 0; c < k; c++) {
      gradient[c] += f64[sums + k * dp + c];
      for (let j = 0; j < d; j++) gradient[(j + 1) * k + c] += f64[sums + c * dp + j];
    }
  }

  /**
   * With s_i = dProbs[i]·p_i(1 − p_i): K = 1, backward with dz = s; K = 2, backward with dz = (−s, s),
   * whose two gradient columns are opposite, so one column's pass serves both.
   */
  backwardSigmoid(range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void {
    const k = this.binaryK('backwardSigmoid');
    if (!this.begin(range)) return;
    const n = range.end - range.start, f64 = this.f64, at = this.layout.dz / 8;
    for (let i = 0; i < n; i++) {
      const p = probs[i];
      f64[at + i] = dProbs[i] * p * (1 - p);
    }
    this.addColumn(this.runBackward(1, range), k, gradient);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    orphans.unregister(this);
    this.team.stop();
  }

  /** Checks the range; false when it is empty (nothing to do). */
  private begin(range: RowRange): boolean {
    if (this.disposed) throw new Error('SIMD linear kernel used after dispose()');
    checkRange(range, this.nRows);
    // Any call reuses the memory that backwardFused continues from.
    this.fusedRange = null;
    return range.end > range.start;
  }

  private binaryK(method: string): number {
    if (this.nOutputs > 2) throw new RangeError(`${method} needs K = 1 or 2, not ${this.nOutputs}`);
    return this.nOutputs;
  }

  /** Writes one column of θ for the module: its bias (row 0) and its feature rows 1..d transposed. */
  private setColumn(c: number, row: (j: number) => number): void {
    const f64 = this.f64, column = this.layout.thetaT / 8 + c * this.layout.dp;
    f64[this.layout.bias / 8 + c] = row(0);
    for (let j = 0; j < this.nFeatures; j++) f64[column + j] = row(j + 1);
  }

  private copyOut(from: number, length: number, to: Float64Array): void {
    to.set(this.f64.subarray(from / 8, from / 8 + length));
  }

  /**
   * The fused passes (K = 1 or 2, as the sigmoid paths): forwardFused is forwardSigmoidLogLoss that
   * keeps P and dLoss/dP in the kernel's memory and also sums each estimator slot per chunk; backwardFused
   * turns them into dz on the threads (fusedDz in the AssemblyScript) and runs backward. Neither copies a
   * per-row array in or out: the calling thread's work is in the number of slots and of features.
   */
  private makeFusedPasses(): FusedQsaPasses {
    const layout = this.layout;
    return {
      maxEstimatorSlots: layout.maxSlots,
      loadEstimators: (slots) => {
        if (slots.length > layout.maxSlots) throw new RangeError(`${slots.length} estimator slots, the kernel holds ${layout.maxSlots}`);
        const f64 = this.f64, stride = layout.rowsStride / 8;
        slots.forEach((slot, e) => {
          const a = layout.estimators / 8 + 3 * e * stride, b = a + stride, keep = b + stride;
          f64.fill(0, a, a + 3 * stride);
          for (let i = 0; i < slot.rows.length; i++) {
            const row = slot.rows[i];
            if (!(row >= 0 && row < this.nRows)) throw new RangeError(`estimator row ${row} outside the ${this.nRows} rows`);
            f64[a + row] = slot.offset[i];
            f64[b + row] = slot.slope[i];
            f64[keep + row] = 1;
          }
        });
        this.nSlots = slots.length;
      },
      forwardFused: (theta, range, labels, shifts, sums) => {
        const k = this.binaryK('forwardFused');
        this.fusedRange = null;
        const n = range.end - range.start, nSlots = this.nSlots;
        sums.fill(0, 0, 2 * nSlots);
        if (!this.begin(range)) return Number.NaN;
        if (labels.length < this.nRows) throw new RangeError(`${labels.length} labels for ${this.nRows} rows`);
        this.loadLabels(labels);
        this.setColumn(0, k === 1 ? (j) => theta[j] : (j) => theta[2 * j + 1] - theta[2 * j]);
        const f64 = this.f64, chunk = layout.chunkRows;
        f64.set(shifts.subarray(0, nSlots), layout.shifts / 8);
        this.run(OP.forward, 2, 1, range, layout.logits, chunk, layout.labels, layout.dz, nSlots);
        this.fusedRange = { start: range.start, end: range.end };
        const chunks = Math.ceil(n / chunk), lossSums = layout.lossSums / 8, estimatorSums = layout.estimatorSums / 8;
        let loss = 0;
        for (let c = 0; c < chunks; c++) {
          loss += f64[lossSums + c];
          for (let i = 0; i < 2 * nSlots; i++) sums[i] += f64[estimatorSums + c * 2 * nSlots + i];
        }
        return loss / n;
      },
      backwardFused: (range, coef, gradient) => {
        const k = this.binaryK('backwardFused');
        const last = this.fusedRange;
        if (last === null || last.start !== range.start || last.end !== range.end) throw new Error('backwardFused needs a forwardFused on the same range first');
        this.fusedRange = null; // dz overwrites dLoss/dP in place: one backward per forward
        if (!this.begin(range)) return;
        this.f64.set(coef.subarray(0, 2 * this.nSlots), layout.coef / 8);
        const n = range.end - range.start, chunk = backwardChunkRows(n, layout.chunkRows);
        this.run(OP.backward, 1, 1, range, layout.dz, chunk, 0, 0, this.nSlots);
        this.addColumn(Math.ceil(n / chunk), k, gradient);
      },
    };
  }

  /** Adds the one-column gradient in the first `used` slots to gradient: as is (K = 1) or as opposite columns (K = 2). */
  private addColumn(used: number, k: number, gradient: Float64Array): void {
    const sums = this.reduceSlots(used, 1), f64 = this.f64, d = this.nFeatures, bias = f64[sums + this.layout.dp];
    if (k === 1) {
      gradient[0] += bias;
      for (let j = 0; j < d; j++) gradient[j + 1] += f64[sums + j];
    } else {
      gradient[1] += bias;
      gradient[0] -= bias;
      for (let j = 0; j < d; j++) {
        gradient[2 * j + 3] += f64[sums + j];
        gradient[2 * j + 2] -= f64[sums + j];
      }
    }
  }

  /**
   * Labels are copied in once per label array: the data's labels do not change while a QSA runs, and
   * copying them every iteration would cost as much as the loss.
   */
  private loadLabels(labels: Float64Array): void {
    if (this.labelsLoaded === labels) return;
    this.f64.set(labels.subarray(0, this.nRows), this.layout.labels / 8);
    this.labelsLoaded = labels;
  }

  /** Backward over the range in backward chunks (one gradient slot each); returns the slots used. */
  private runBackward(k: number, range: RowRange): number {
    const n = range.end - range.start, chunk = backwardChunkRows(n, this.layout.chunkRows);
    this.run(OP.backward, 0, k, range, this.layout.dz, chunk);
    return Math.ceil(n / chunk);
  }

  /**
   * Adds the first `used` gradient slots of a job of K = k (in chunk order, in the module) and returns their
   * sum's offset in f64: column c's feature j at + c·dp + j, its bias sum at + k·dp + c.
   */
  private reduceSlots(used: number, k: number): number {
    const { gradients, gradientStride, dp, reduced } = this.layout;
    this.kernel.reduceSlots(gradients, gradientStride, used, k * dp + k, reduced);
    return reduced / 8;
  }

  private copyFeatures(features: Float32Array, f32: Float32Array): void {
    const d = this.nFeatures, dp = this.layout.dp, base = this.layout.features / 4;
    if (d === dp) {
      f32.set(features, base);
      return;
    }
    for (let row = 0; row < this.nRows; row++) f32.set(features.subarray(row * d, (row + 1) * d), base + row * dp);
  }

  /**
   * Runs `op` (with `squash` for forward) for K = k over the range in chunks of `chunk` rows on the
   * threads, this one included. The chunks go out from a shared counter, so a worker that wakes late or
   * runs on a busier core takes fewer, or none; each chunk's sums land in its own slot (see the class
   * comment). Ranges too small to share (minRowsPerThread) run on this thread alone.
   */
  private run(op: number, squash: number, k: number, range: RowRange, pointer: number, chunk: number, labels = 0, dOut = 0, nSlots = 0): void {
    const n = range.end - range.start, chunks = Math.ceil(n / chunk);
    const shared = this.threads > 1 && n >= 2 * this.minRowsPerThread;
    const { features, dp, thetaT, bias, gradients, gradientStride, counter, lossSums, logits, estimators, rowsStride, shifts, coef, estimatorSums } = this.layout;
    const seq = shared
      ? this.team.publish({ op, squash, k, rangeStart: range.start, rangeEnd: range.end, pointer, gradient: gradients, chunk, labels, dOut, nSlots })
      : this.soloJob();
    this.ownRows +=
      op === OP.backward
        ? this.kernel.backward(features, dp, k, pointer, range.start, range.end, gradients, counter, chunk, gradientStride, squash, logits, estimators, rowsStride, nSlots, coef, seq)
        : this.kernel.forward(features, dp, k, thetaT, bias, range.start, range.end, pointer, squash, counter, chunk, labels, dOut, lossSums, estimators, rowsStride, nSlots, shifts, estimatorSums, seq);
    if (shared) this.team.finish(chunks);
  }

  /**
   * A job for this thread alone: the counter gets a sequence number no worker is told about (negative,
   * while published ones count up from 1), so the workers, polling the published one, stay out of it.
   */
  private soloJob(): number {
    this.soloSeq = this.soloSeq === -0x7fffffff ? -1 : this.soloSeq - 1;
    Atomics.store(this.counter, this.layout.counter / 8, BigInt(this.soloSeq) << 32n);
    return this.soloSeq;
  }
}
