import type { RowRange } from '../data';
import { kernelFrom, type FeatureMatrix, type FusedQsaPasses, type LinearKernel } from '../kernels/linear-kernel';
import { Scratch } from '../kernels/scratch';
import type { ClassifierModel } from './model';

/**
 * The engine's multiclass logistic model: θ is (d+1) × K row-major, row 0 the biases,
 * P = softmax(θ[0] + x·θ[1:]) (E:models/models.py). The linear part runs in a kernel with K outputs
 * (see BinaryLogisticModel for the two ways to build one).
 */
export class SoftmaxLinearModel implements ClassifierModel {
  readonly nParams: number;
  readonly nOutputs: number;
  private readonly kernel: LinearKernel;
  private readonly dz = new Scratch();

  constructor(kernel: LinearKernel);
  constructor(features: FeatureMatrix, nFeatures: number, nOutputs: number);
  constructor(source: LinearKernel | FeatureMatrix, nFeatures?: number, nOutputs?: number) {
    this.kernel = kernelFrom(source, nFeatures, nOutputs);
    this.nOutputs = this.kernel.nOutputs;
    this.nParams = (this.kernel.nFeatures + 1) * this.nOutputs;
  }

  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void {
    const k = this.nOutputs, n = range.end - range.start;
    // Logits in probs, then the softmax in place, with the old arithmetic: shift by the max, exp, divide.
    this.kernel.forward(theta, range, probs);
    for (let i = 0; i < n; i++) {
      const row = i * k;
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (probs[row + c] > max) max = probs[row + c];
      let sum = 0;
      for (let c = 0; c < k; c++) {
        probs[row + c] = Math.exp(probs[row + c] - max);
        sum += probs[row + c];
      }
      for (let c = 0; c < k; c++) probs[row + c] = probs[row + c] / sum;
    }
  }

  vjp(_theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void {
    const k = this.nOutputs, n = range.end - range.start;
    const dz = this.dz.get(n * k);
    for (let i = 0; i < n; i++) {
      const row = i * k;
      // dz_j = P_j (dP_j − Σ_c dP_c P_c): the softmax Jacobian applied to dP. Rows with dP = 0 get dz = 0,
      // which the kernel skips as the old loop did.
      let weighted = 0;
      let any = false;
      for (let c = 0; c < k; c++) {
        weighted += dProbs[row + c] * probs[row + c];
        if (dProbs[row + c] !== 0) any = true;
      }
      for (let c = 0; c < k; c++) dz[row + c] = any ? probs[row + c] * (dProbs[row + c] - weighted) : 0;
    }
    this.kernel.backward(range, dz, gradient);
  }
}

/**
 * Tutorial J's head: a dense layer d → 2 and a softmax, the engine seeing one output P(y=1) = column 1.
 * θ is (d+1) × 2 row-major (row 0 the biases), the kernel's K = 2. The two-class softmax's column 1 is
 * p = σ(z₁ − z₀) = 1 / (1 + exp(z₀ − z₁)), computed so (one exp per row, no overflow either way);
 * ∂p/∂z₁ = p(1−p) = −∂p/∂z₀, so dz₁ = dP·p(1−p) and dz₀ = −dz₁. A kernel offering the fused
 * forwardSigmoid/backwardSigmoid (the SIMD one) computes exactly these with one column's work.
 */
export class SoftmaxBinaryHeadModel implements ClassifierModel {
  readonly nOutputs = 1;
  readonly nParams: number;
  private readonly kernel: LinearKernel;
  private readonly logits = new Scratch();
  private readonly dz = new Scratch();

  constructor(kernel: LinearKernel);
  constructor(features: FeatureMatrix, nFeatures: number);
  constructor(source: LinearKernel | FeatureMatrix, nFeatures?: number) {
    this.kernel = kernelFrom(source, nFeatures, 2);
    if (this.kernel.nOutputs !== 2) throw new RangeError(`the softmax head needs a kernel with 2 outputs, got ${this.kernel.nOutputs}`);
    this.nParams = (this.kernel.nFeatures + 1) * 2;
  }

  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void {
    if (this.kernel.forwardSigmoid) {
      this.kernel.forwardSigmoid(theta, range, probs);
      return;
    }
    const n = range.end - range.start;
    const z = this.logits.get(2 * n);
    this.kernel.forward(theta, range, z);
    for (let i = 0; i < n; i++) probs[i] = 1 / (1 + Math.exp(-(z[2 * i + 1] - z[2 * i])));
  }

  /** The kernel's fused candidate-selection passes, where it has them (θ's layout is the kernel's). */
  get fusedQsa(): FusedQsaPasses | undefined {
    return this.kernel.fusedQsa;
  }

  predictWithBinaryLogLoss(theta: Float64Array, range: RowRange, labels: Float64Array, probs: Float64Array, dProbs: Float64Array): number | null {
    return this.kernel.forwardSigmoidLogLoss ? this.kernel.forwardSigmoidLogLoss(theta, range, labels, probs, dProbs) : null;
  }

  vjp(_theta: Float64Array, range: RowRange, probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void {
    if (this.kernel.backwardSigmoid) {
      this.kernel.backwardSigmoid(range, probs, dProbs, gradient);
      return;
    }
    const n = range.end - range.start;
    const dz = this.dz.get(2 * n);
    for (let i = 0; i < n; i++) {
      const p = probs[i];
      const dz1 = dProbs[i] * p * (1 - p);
      dz[2 * i] = -dz1;
      dz[2 * i + 1] = dz1;
    }
    this.kernel.backward(range, dz, gradient);
  }
}
