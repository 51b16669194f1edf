import type { RowRange } from '../data';
import type { ClassifierModel } from './model';

/**
 * The engine's binary logistic model: θ = [bias, w1..wd], p = σ(θ₀ + x·θ₁:) (E:models/models.py).
 * Features are row-major nRows × d, float64 for golden agreement or float32 to halve memory traffic.
 */
export class BinaryLogisticModel implements ClassifierModel {
  readonly nOutputs = 1;
  readonly nParams: number;

  constructor(
    private readonly features: Float64Array | Float32Array,
    private readonly nFeatures: number,
  ) {
    this.nParams = nFeatures + 1;
  }

  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void {
    const d = this.nFeatures;
    const x = this.features;
    for (let row = range.start, i = 0; row < range.end; row++, i++) {
      let z = 0;
      const offset = row * d;
      for (let j = 0; j < d; j++) z += x[offset + j] * theta[j + 1];
      probs[i] = 1 / (1 + Math.exp(-(theta[0] + z)));
    }
  }

  vjp(_theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void {
    const d = this.nFeatures;
    const x = this.features;
    for (let row = range.start, i = 0; row < range.end; row++, i++) {
      const p = probs[i];
      const dz = dProbs[i] * p * (1 - p);
      if (dz === 0) continue;
      gradient[0] += dz;
      const offset = row * d;
      for (let j = 0; j < d; j++) gradient[j + 1] += dz * x[offset + j];
    }
  }
}
