/**
 * Kernels for training on the wasm backend. Found by training the Tutorial G and J CNNs (conv + ReLU +
 * max-pool + batch norm + dense, Adam, cross-entropy) on tfjs-backend-wasm 4.22:
 * - missing: only Conv2DBackpropFilter. Everything else on that path has a wasm kernel (MaxPoolGrad,
 *   Conv2DBackpropInput, FusedConv2D, FusedBatchNorm, _FusedMatMul, OneHot, Softmax, …) or a gradient
 *   composed of ops in tfjs-core (batch norm, softmax cross-entropy, ReLU via Step);
 * - too slow: Conv2DBackpropInput, a scalar loop that took 42% of a training step; wrapped by an
 *   XNNPACK-backed composition for stride 1 (see conv2d-backprop-input.ts).
 * Other slow spots of a step, left as they are: MaxPoolGrad (~13%) and the Tile inside tfjs-core's batch
 * norm gradient (~10%).
 */
import * as tf from '@tensorflow/tfjs';
import { wasmConv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { wasmConv2dBackpropInputConfig } from './conv2d-backprop-input';

const missingKernels: readonly tf.KernelConfig[] = [wasmConv2dBackpropFilterConfig];

/** Configs of kernels we put in place of the backend's own, so that registering twice changes nothing. */
const replacements = new WeakSet<tf.KernelFunc>();

function replaceKernel(kernelName: string, wrap: (original: tf.KernelConfig) => tf.KernelConfig): boolean {
  const original = tf.getKernel(kernelName, 'wasm');
  if (original === undefined || replacements.has(original.kernelFunc)) return false;
  const config = wrap(original);
  replacements.add(config.kernelFunc);
  // Unregister first: registerKernel would otherwise warn about the duplicate.
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel(config);
  return true;
}

/**
 * Registers the training kernels for backendName 'wasm' and returns the names of those it changed.
 * Idempotent; leaves alone a missing kernel that a later tfjs-backend-wasm provides itself. Works before
 * or after the backend is initialised (setBackend runs the setup functions of registered kernels).
 */
export function registerWasmTrainingKernels(): string[] {
  const changed: string[] = [];
  for (const config of missingKernels) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) continue;
    tf.registerKernel(config);
    changed.push(config.kernelName);
  }
  if (replaceKernel(tf.Conv2DBackpropInput, wasmConv2dBackpropInputConfig)) changed.push(tf.Conv2DBackpropInput);
  return changed;
}
