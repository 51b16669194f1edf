import type { RowRange } from '../data';

/**
 * The two passes of a linear layer that every QSA iteration makes over the candidate feature matrix:
 * logits = X·θ (predict) and gradient += X̃ᵀ·dz (vjp). The models own the nonlinearity; a kernel owns
 * the features and the arithmetic, so a faster one (WebAssembly SIMD on several threads) can be
 * injected without touching the models. θ is (nFeatures + 1) × nOutputs row-major, row 0 the biases.
 */
export interface LinearKernel {
  readonly nFeatures: number;
  /** K, the columns of logits. */
  readonly nOutputs: number;
  /** logits[i*K + c] = θ[0*K + c] + Σ_j x[row, j]·θ[(j+1)*K + c] for row = range.start + i. */
  forward(theta: Float64Array, range: RowRange, logits: Float64Array): void;
  /** gradient[c] += Σ_i dz[i*K+c]; gradient[(j+1)*K + c] += Σ_i x[row_i, j]·dz[i*K + c]. */
  backward(range: RowRange, dz: Float64Array, gradient: Float64Array): void;
  /**
   * Optional fused paths of the binary models (K = 1: the logistic model; K = 2: the two-class softmax
   * head, whose P(y=1) = σ(ℓ₁ − ℓ₀)). Kernels that run rows on other threads offer them so the exps and
   * the dz run there too, and so the head's structure (one logit difference, opposite gradient columns)
   * costs one column, not two. The models fall back to forward/backward and their own loops when absent,
   * as with the JS kernel, which keeps the golden runs' arithmetic unchanged.
   *
   * forwardSigmoid: probs[i] = 1 / (1 + exp(−ℓ)), ℓ the row's logit (K = 1) or logit₁ − logit₀ (K = 2).
   */
  forwardSigmoid?(theta: Float64Array, range: RowRange, probs: Float64Array): void;
  /**
   * backwardSigmoid: with s_i = dProbs[i]·p_i(1 − p_i), what backward adds for dz = s (K = 1) or
   * dz = (−s, s) per row (K = 2).
   */
  backwardSigmoid?(range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void;
  /**
   * forwardSigmoidLogLoss: forwardSigmoid, and the binary logistic loss of objectives.ts on the range
   * (labels indexed by absolute row): dProbs[i] = d(mean loss)/dp_i (overwritten); returns the mean loss.
   * Offered where the loss's logs are better run on the kernel's threads than after it.
   */
  forwardSigmoidLogLoss?(theta: Float64Array, range: RowRange, labels: Float64Array, probs: Float64Array, dProbs: Float64Array): number;
  /** Optional: the whole QSA iteration of a binary model on the kernel's threads (see FusedQsaPasses). */
  readonly fusedQsa?: FusedQsaPasses;
  /** Releases what the kernel holds (threads, memory); plain JS kernels hold nothing. */
  dispose(): void;
}

export type FeatureMatrix = Float64Array | Float32Array;

/** One base node's per-sample estimator for the fused passes: Z = offset[i] + slope[i]·p on absolute rows rows[i]. */
export interface EstimatorSlot {
  readonly rows: Int32Array;
  readonly offset: Float64Array;
  readonly slope: Float64Array;
}

/**
 * A binary model's candidate-selection iteration with the binary logistic loss, fused into the kernel's
 * two passes so that the per-row work (the loss and its derivative, every base node's estimator, its
 * sums, and the chain rule back through each node's mean and Bessel std) runs on the kernel's threads
 * and the caller does work in the number of base nodes, not of rows. The caller keeps the bound
 * arithmetic (ConstraintBounder.boundFromSums) and passes its result back as per-slot coefficients.
 */
export interface FusedQsaPasses {
  /** How many estimator slots loadEstimators takes at most. */
  readonly maxEstimatorSlots: number;
  /** Replaces the estimator slots (rows of different slots may overlap; one slot's rows are distinct). */
  loadEstimators(slots: readonly EstimatorSlot[]): void;
  /**
   * P = σ(…) as forwardSigmoid on the range, the mean binary logistic loss (returned; labels by absolute
   * row), and per loaded slot e over its rows in the range: sums[2e] = ΣZ, sums[2e + 1] = Σ(Z − shifts[e])².
   * The kernel keeps P and dLoss/dP for the next backwardFused.
   */
  forwardFused(theta: Float64Array, range: RowRange, labels: Float64Array, shifts: Float64Array, sums: Float64Array): number;
  /**
   * Adds to gradient the vjp of dP = dLoss/dP + Σ_e slope·(coef[2e] + coef[2e + 1]·Z_e) (kept rows of slot e)
   * on the range of the last forwardFused.
   */
  backwardFused(range: RowRange, coef: Float64Array, gradient: Float64Array): void;
}

export function checkKernelShape(features: FeatureMatrix, nFeatures: number, nOutputs: number): number {
  if (!Number.isInteger(nFeatures) || nFeatures < 0) throw new RangeError(`nFeatures must be a non-negative integer, got ${nFeatures}`);
  if (!Number.isInteger(nOutputs) || nOutputs < 1) throw new RangeError(`nOutputs must be a positive integer, got ${nOutputs}`);
  const nRows = nFeatures === 0 ? 0 : features.length / nFeatures;
  if (!Number.isInteger(nRows)) throw new RangeError(`${features.length} features do not make rows of ${nFeatures}`);
  return nRows;
}

export function checkRange(range: RowRange, nRows: number): void {
  if (!(range.start >= 0 && range.start <= range.end && range.end <= nRows)) {
    throw new RangeError(`row range [${range.start}, ${range.end}) outside the ${nRows} rows`);
  }
}

/**
 * The models' two constructor forms: an injected kernel as is, or a feature matrix (with its feature and
 * output counts) wrapped in the JS kernel, so `new Model(features, nFeatures, …)` keeps working.
 */
export function kernelFrom(source: LinearKernel | FeatureMatrix, nFeatures?: number, nOutputs?: number): LinearKernel {
  if (!(source instanceof Float64Array || source instanceof Float32Array)) return source;
  if (nFeatures === undefined || nOutputs === undefined) throw new TypeError('a feature matrix needs nFeatures and nOutputs');
  return createJsLinearKernel(source, nFeatures, nOutputs);
}

/**
 * The plain-JS kernel: the reference, and the one the golden tests run. Its arithmetic is, operation for
 * operation, what the models did before kernels existed, so results are bit-identical to the original
 * engine's agreement runs:
 * - K = 1 (the binary logistic model): z sums x_j·θ_{j+1} from 0 in feature order, then θ₀ + z;
 * - K ≥ 2 (softmax models): z_c starts at θ_c and adds x_j·θ_{j+1,c} in feature order;
 * - backward walks rows in order, skipping rows whose dz are all zero, adding dz·x feature by feature.
 */
export function createJsLinearKernel(features: FeatureMatrix, nFeatures: number, nOutputs: number): LinearKernel {
  const nRows = checkKernelShape(features, nFeatures, nOutputs);
  const d = nFeatures, k = nOutputs, x = features;
  const forward = k === 1 ? forwardBinary : forwardMulti;
  return {
    nFeatures,
    nOutputs,
    forward(theta, range, logits) {
      checkRange(range, nRows);
      forward(x, d, k, theta, range, logits);
    },
    backward(range, dz, gradient) {
      checkRange(range, nRows);
      backwardRows(x, d, k, range, dz, gradient);
    },
    dispose() {},
  };
}

function forwardBinary(x: FeatureMatrix, d: number, _k: number, theta: Float64Array, range: RowRange, logits: Float64Array): void {
  for (let row = range.start, i = 0; row < range.end; row++, i++) {
    let z = 0;
    const offset = row * d;
    for (let j = 0; j < d; j++) z += x[offset + j] * theta[j + 1];
    logits[i] = theta[0] + z;
  }
}

function forwardMulti(x: FeatureMatrix, d: number, k: number, theta: Float64Array, range: RowRange, logits: Float64Array): void {
  for (let row = range.start, i = 0; row < range.end; row++, i++) {
    const out = i * k;
    for (let c = 0; c < k; c++) logits[out + c] = theta[c];
    const offset = row * d;
    for (let j = 0; j < d; j++) {
      const xj = x[offset + j];
      const thetaRow = (j + 1) * k;
      for (let c = 0; c < k; c++) logits[out + c] += xj * theta[thetaRow + c];
    }
  }
}

function backwardRows(x: FeatureMatrix, d: number, k: number, range: RowRange, dz: Float64Array, gradient: Float64Array): void {
  for (let row = range.start, i = 0; row < range.end; row++, i++) {
    const at = i * k;
    let any = false;
    for (let c = 0; c < k; c++) if (dz[at + c] !== 0) any = true;
    if (!any) continue;
    for (let c = 0; c < k; c++) gradient[c] += dz[at + c];
    const offset = row * d;
    if (k === 1) {
      const s = dz[at];
      for (let j = 0; j < d; j++) gradient[j + 1] += s * x[offset + j];
      continue;
    }
    for (let j = 0; j < d; j++) {
      const xj = x[offset + j];
      const thetaRow = (j + 1) * k;
      for (let c = 0; c < k; c++) gradient[thetaRow + c] += xj * dz[at + c];
    }
  }
}
