import type { RowRange } from '../data';
import type { ClassifierModel } from './model';

/**
 * The engine's multiclass logistic model: θ is (d+1) × K row-major, row 0 the biases,
 * P = softmax(θ[0] + x·θ[1:]) (E:models/models.py). Also the Tutorial J head (a dense layer + softmax).
 */
export class SoftmaxLinearModel implements ClassifierModel {
  readonly nParams: number;
  private readonly logits: Float64Array;

  constructor(
    private readonly features: Float64Array | Float32Array,
    private readonly nFeatures: number,
    readonly nOutputs: number,
  ) {
    this.nParams = (nFeatures + 1) * nOutputs;
    this.logits = new Float64Array(nOutputs);
  }

  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void {
    const d = this.nFeatures, k = this.nOutputs, x = this.features, z = this.logits;
    for (let row = range.start, i = 0; row < range.end; row++, i++) {
      for (let c = 0; c < k; c++) z[c] = theta[c];
      const offset = row * d;
      for (let j = 0; j < d; j++) {
        const xj = x[offset + j];
        const thetaRow = (j + 1) * k;
        for (let c = 0; c < k; c++) z[c] += xj * theta[thetaRow + c];
      }
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (z[c] > max) max = z[c];
      let sum = 0;
      for (let c = 0; c < k; c++) {
        z[c] = Math.exp(z[c] - max);
        sum += z[c];
      }
      for (let c = 0; c < k; c++) probs[i * k + c] = z[c] / sum;
    }
  }

  vjp(_theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void {
    const d = this.nFeatures, k = this.nOutputs, x = this.features, dz = this.logits;
    for (let row = range.start, i = 0; row < range.end; row++, i++) {
      // dz_j = P_j (dP_j − Σ_c dP_c P_c): the softmax Jacobian applied to dP.
      let weighted = 0;
      let any = false;
      for (let c = 0; c < k; c++) {
        weighted += dProbs[i * k + c] * probs[i * k + c];
        if (dProbs[i * k + c] !== 0) any = true;
      }
      if (!any) continue;
      for (let c = 0; c < k; c++) {
        dz[c] = probs[i * k + c] * (dProbs[i * k + c] - weighted);
        gradient[c] += dz[c];
      }
      const offset = row * d;
      for (let j = 0; j < d; j++) {
        const xj = x[offset + j];
        const thetaRow = (j + 1) * k;
        for (let c = 0; c < k; c++) gradient[thetaRow + c] += xj * dz[c];
      }
    }
  }
}
