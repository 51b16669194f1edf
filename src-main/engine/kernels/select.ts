import { availableParallelism } from 'node:os';
import { createJsLinearKernel, type FeatureMatrix, type LinearKernel } from './linear-kernel';
import { createSimdLinearKernel, type SimdKernelOptions } from './simd-linear-kernel';
import type { QsaKernelName, QsaKernelOptions } from './kernel-info';

export type { QsaKernelInfo, QsaKernelName, QsaKernelOptions } from './kernel-info';

/**
 * The fastest kernel that can run here: WebAssembly SIMD on all cores for float32 features, else the JS
 * kernel. Not for golden agreement runs, which need the JS kernel's exact summation order.
 */
export function createFastLinearKernel(features: FeatureMatrix, nFeatures: number, nOutputs: number, options: SimdKernelOptions = {}): LinearKernel {
  return createSimdLinearKernel(features, nFeatures, nOutputs, options) ?? createJsLinearKernel(features, nFeatures, nOutputs);
}

/**
 * Feature matrices of at least this many values get the SIMD kernel in a QSA (≈ 4 MB of float32):
 * there an iteration costs milliseconds in JS. Smaller ones, the golden fixtures among them (at most a few
 * tens of thousands of values), keep the JS kernel, the reference whose arithmetic the golden agreement
 * runs check to 1e-9, and which is fast enough there.
 */
export const SIMD_QSA_MIN_VALUES = 1 << 20;

/**
 * The kernel a QSA on these features runs, chosen the same way wherever a QSA runs on a feature matrix
 * (`fairbound qsa` through runQsaCase, the runs' head QSA, experiments' qsa-features and qsa-head trials,
 * `audit --retrain-head`), so that a run's exported latents reproduce the run exactly: the SIMD kernel's
 * results do not depend on the machine's thread count. SIMD needs a large matrix (SIMD_QSA_MIN_VALUES),
 * values that are exactly float32 (latents are; a float64 matrix read from CSV is checked value by
 * value, since rounding others to float32 would change results silently) and a runtime with WebAssembly
 * SIMD; otherwise the JS kernel on the matrix as given. The caller owns the kernel: dispose() it when
 * the QSA and its predictions are done, or its worker threads live on until it is collected.
 */
export function createQsaKernel(
  features: FeatureMatrix,
  nFeatures: number,
  nOutputs: number,
  options: QsaKernelOptions = {},
): { kernel: LinearKernel; name: QsaKernelName; threads: number } {
  if (options.kernel !== 'js' && features.length >= SIMD_QSA_MIN_VALUES) {
    const float32 = exactFloat32(features);
    const simd = float32 === null ? null : createSimdLinearKernel(float32, nFeatures, nOutputs, options.threads === undefined ? {} : { threads: options.threads });
    if (simd !== null) return { kernel: simd, name: 'simd', threads: simd.threads };
  }
  return { kernel: createJsLinearKernel(features, nFeatures, nOutputs), name: 'js', threads: 1 };
}

/**
 * SIMD kernel threads for each of `parallel` QSAs running at once: max(1, ⌊cores / parallel⌋), so that
 * they do not oversubscribe the cores (each thread spins while it waits for the others' chunks).
 */
export function kernelThreadsFor(parallel: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, parallel)));
}

/** The features as float32 if every value is exactly a float32 (the JS kernel then computes the same on either), else null. */
function exactFloat32(features: FeatureMatrix): Float32Array | null {
  if (features instanceof Float32Array) return features;
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++) {
    out[i] = features[i];
    if (out[i] !== features[i] && !(Number.isNaN(out[i]) && Number.isNaN(features[i]))) return null;
  }
  return out;
}
