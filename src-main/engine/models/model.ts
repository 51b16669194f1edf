import type { RowRange } from '../data';

/**
 * A differentiable classifier the QSA can optimise. Outputs are probabilities: one column P(y=1) for
 * binary models, K columns of class probabilities for multiclass ones, row-major over the range.
 * `vjp` is the vector-Jacobian product the gradient of every bound needs (spec §4.1): it adds
 * Σ_i Σ_k dProbs[i,k] · ∂P[i,k]/∂θ to `gradient`.
 */
export interface ClassifierModel {
  readonly nParams: number;
  /** 1 for binary (P(y=1)), K for multiclass. */
  readonly nOutputs: number;
  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void;
  vjp(theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void;
}
