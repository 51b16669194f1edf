import type { RowRange } from '../data';
import { kernelFrom, type FeatureMatrix, type FusedQsaPasses, type LinearKernel } from '../kernels/linear-kernel';
import { Scratch } from '../kernels/scratch';
import type { ClassifierModel } from './model';

/**
 * The engine's binary logistic model: θ = [bias, w1..wd], p = σ(θ₀ + x·θ₁:) (E:models/models.py).
 * The linear part runs in a kernel with K = 1: from a feature matrix (float64 for golden agreement or
 * float32 to halve memory traffic) the JS kernel, whose arithmetic is the original loop's; or any
 * injected kernel, e.g. the WebAssembly SIMD one, whose fused forwardSigmoid/backwardSigmoid it uses
 * when offered. The model does not own an injected kernel.
 */
export class BinaryLogisticModel implements ClassifierModel {
  readonly nOutputs = 1;
  readonly nParams: number;
  private readonly kernel: LinearKernel;
  private readonly dz = new Scratch();

  constructor(kernel: LinearKernel);
  constructor(features: FeatureMatrix, nFeatures: number);
  constructor(source: LinearKernel | FeatureMatrix, nFeatures?: number) {
    this.kernel = kernelFrom(source, nFeatures, 1);
    if (this.kernel.nOutputs !== 1) throw new RangeError(`the binary logistic model needs a kernel with 1 output, got ${this.kernel.nOutputs}`);
    this.nParams = this.kernel.nFeatures + 1;
  }

  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void {
    if (this.kernel.forwardSigmoid) {
      this.kernel.forwardSigmoid(theta, range, probs);
      return;
    }
    // The logits land in probs and are squashed in place: z = θ₀ + x·θ₁: is exactly the old expression.
    this.kernel.forward(theta, range, probs);
    const n = range.end - range.start;
    for (let i = 0; i < n; i++) probs[i] = 1 / (1 + Math.exp(-probs[i]));
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
    const dz = this.dz.get(n);
    for (let i = 0; i < n; i++) {
      const p = probs[i];
      dz[i] = dProbs[i] * p * (1 - p);
    }
    this.kernel.backward(range, dz, gradient);
  }
}
