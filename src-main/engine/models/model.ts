import type { RowRange } from '../data';
import type { FusedQsaPasses } from '../kernels/linear-kernel';

/**
 * A differentiable classifier the QSA can optimise. Outputs are probabilities: one column P(y=1) for
 * binary models, K columns of class probabilities for multiclass ones, row-major over the range.
 * `vjp` is the vector-Jacobian product that carries the gradient of every bound, taken with respect to
 * the outputs, back to θ: it adds
 * Σ_i Σ_k dProbs[i,k] · ∂P[i,k]/∂θ to `gradient`.
 */
export interface ClassifierModel {
  readonly nParams: number;
  /** 1 for binary (P(y=1)), K for multiclass. */
  readonly nOutputs: number;
  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void;
  vjp(theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void;
  /**
   * Optional, binary models: predict, plus the binary logistic loss (mean over the range, returned) and
   * its d/dP written into dProbs (overwriting), in one pass where the kernel can fuse them; null where it
   * cannot, and the caller evaluates the objective itself.
   */
  /** Optional, binary models on a kernel that offers it: the fused candidate-selection passes (see FusedQsaPasses). */
  readonly fusedQsa?: FusedQsaPasses;
  predictWithBinaryLogLoss?(theta: Float64Array, range: RowRange, labels: Float64Array, probs: Float64Array, dProbs: Float64Array): number | null;
  /**
   * Optional: predict and vjp for a device that can be read only asynchronously (TF.js on webgpu in
   * Node). The engine's asynchronous driver (runQsaAsync) awaits them where present; same results.
   */
  predictAsync?(theta: Float64Array, range: RowRange, probs: Float64Array): Promise<void>;
  vjpAsync?(theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): Promise<void>;
}
