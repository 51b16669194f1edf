import { createJsLinearKernel, type FeatureMatrix, type LinearKernel } from './linear-kernel';
import { createSimdLinearKernel, type SimdKernelOptions } from './simd-linear-kernel';

/**
 * The fastest kernel that can run here: WebAssembly SIMD on all cores for float32 features, else the JS
 * kernel. Not for golden agreement runs, which need the JS kernel's exact summation order.
 */
export function createFastLinearKernel(features: FeatureMatrix, nFeatures: number, nOutputs: number, options: SimdKernelOptions = {}): LinearKernel {
  return createSimdLinearKernel(features, nFeatures, nOutputs, options) ?? createJsLinearKernel(features, nFeatures, nOutputs);
}
