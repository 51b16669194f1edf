// Invariant: on the wasm backend, with our kernels registered (Conv2DBackpropFilter, which wasm lacks, and
// the XNNPACK-backed Conv2DBackpropInput), the gradients that training takes (of conv filters and inputs,
// and of every weight of a conv → ReLU → max-pool → batch-norm → dense net) equal the cpu backend's
// reference gradients to ~1e-4 relative, for odd sizes, every padding form the tutorial CNNs use (same,
// valid, PyTorch-style numbers, explicit), both compositions of the filter kernel, and strides > 1 (where
// the input gradient falls back to the backend's own kernel).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/deep/backends';
import { conv2dBackpropFilter, type BackpropFilterStrategy } from '../../src-main/deep/wasm-kernels/conv2d-backprop-filter';
import { registerWasmTrainingKernels } from '../../src-main/deep/wasm-kernels/register';

/** Deterministic uniform(−1, 1) values (an LCG: the test needs variety, not quality). */
function randomArray(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** max |a − b| / max |b|: the error relative to the gradient's scale. */
function relativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

type Pad = tf.Conv2DBackpropFilterAttrs['pad'];

interface ConvCase {
  readonly label: string;
  readonly x: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly strides: number | [number, number];
  readonly pad: Pad;
}

const cases: readonly ConvCase[] = [
  { label: '1 channel, 3×3 same (input layer of Tutorial J)', x: [3, 7, 9, 1], filter: [3, 3, 1, 4], strides: 1, pad: 'same' },
  { label: '5 channels, 3×3 valid', x: [2, 11, 7, 5], filter: [3, 3, 5, 6], strides: 1, pad: 'valid' },
  { label: '3 channels, 5×5 padding 2 (Tutorial G)', x: [2, 9, 9, 3], filter: [5, 5, 3, 4], strides: 1, pad: 2 },
  {
    label: 'explicit asymmetric padding',
    x: [3, 8, 10, 2],
    filter: [3, 3, 2, 3],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { label: '16 channels, 3×3 same (conv composition by default)', x: [2, 10, 9, 16], filter: [3, 3, 16, 8], strides: 1, pad: 'same' },
  { label: 'even 2×4 filter, same', x: [2, 7, 9, 3], filter: [2, 4, 3, 2], strides: 1, pad: 'same' },
  { label: 'stride 2, same, odd size', x: [2, 9, 11, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { label: 'strides [2, 3], valid (trailing rows dropped)', x: [2, 10, 11, 2], filter: [3, 2, 2, 3], strides: [2, 3], pad: 'valid' },
];

/** dL/dW of L = Σ conv2d(x, W) ⊙ r on the current backend, through tf.grad (the registered kernel). */
function filterGradient(c: ConvCase, seed: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(c.x.reduce((a, b) => a * b, 1), seed), c.x);
    const w = tf.tensor4d(randomArray(c.filter.reduce((a, b) => a * b, 1), seed + 1), c.filter);
    const y = tf.conv2d(x, w, c.strides, c.pad);
    const r = tf.tensor(randomArray(y.size, seed + 2), y.shape);
    const g = tf.grad((filter: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, c.strides, c.pad), r)))(w);
    return g.dataSync() as Float32Array;
  });
}

/** dL/dx of the same loss: Conv2DBackpropInput. */
function inputGradient(c: ConvCase, seed: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(c.x.reduce((a, b) => a * b, 1), seed), c.x);
    const w = tf.tensor4d(randomArray(c.filter.reduce((a, b) => a * b, 1), seed + 1), c.filter);
    const y = tf.conv2d(x, w, c.strides, c.pad);
    const r = tf.tensor(randomArray(y.size, seed + 2), y.shape);
    const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, w, c.strides, c.pad), r)))(x);
    return g.dataSync() as Float32Array;
  });
}

/** The same gradient straight from our composition with a forced strategy. */
function composedGradient(c: ConvCase, seed: number, strategy: BackpropFilterStrategy): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(c.x.reduce((a, b) => a * b, 1), seed), c.x);
    const w = tf.tensor4d(randomArray(c.filter.reduce((a, b) => a * b, 1), seed + 1), c.filter);
    const y = tf.conv2d(x, w, c.strides, c.pad);
    const dy = tf.tensor(randomArray(y.size, seed + 2), y.shape) as tf.Tensor4D;
    return conv2dBackpropFilter({ x, dy, filterShape: c.filter, strides: c.strides, pad: c.pad }, strategy).dataSync() as Float32Array;
  });
}

async function onBackend<T>(name: 'cpu' | 'wasm', f: () => T): Promise<T> {
  expect(await tf.setBackend(name)).toBe(true);
  return f();
}

beforeAll(async () => {
  await selectBackend('cpu'); // initialised through the chain, which keeps tfjs's tfjs-node banner off stderr
  await selectBackend('wasm');
});

describe('Conv2DBackpropFilter on wasm', () => {
  it('is registered for wasm, once', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(registerWasmTrainingKernels()).toEqual([]);
  });

  cases.forEach((c, index) => {
    it(`matches the cpu gradient: ${c.label}`, async () => {
      const seed = 1000 + 10 * index;
      const reference = await onBackend('cpu', () => filterGradient(c, seed));
      const viaGrad = await onBackend('wasm', () => filterGradient(c, seed));
      expect(relativeError(viaGrad, reference)).toBeLessThan(1e-4);
      for (const strategy of ['conv', 'im2col'] as const) {
        const composed = await onBackend('wasm', () => composedGradient(c, seed, strategy));
        expect(relativeError(composed, reference), strategy).toBeLessThan(1e-4);
      }
      const inputReference = await onBackend('cpu', () => inputGradient(c, seed));
      const input = await onBackend('wasm', () => inputGradient(c, seed));
      expect(relativeError(input, inputReference), 'input gradient').toBeLessThan(1e-4);
    });
  });

  it('refuses NCHW, which the wasm conv2d does not support', async () => {
    await onBackend('wasm', () => {
      const x = tf.zeros([1, 4, 4, 1]);
      const dy = tf.zeros([1, 4, 4, 2]);
      expect(() =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 1, 2] }),
      ).toThrow(/only NHWC/);
      tf.dispose([x, dy]);
    });
  });

  it('leaves no tensors and keeps its inputs alive', async () => {
    await onBackend('wasm', () => {
      const x = tf.tensor4d(randomArray(2 * 6 * 6 * 2, 5), [2, 6, 6, 2]);
      const dy = tf.tensor4d(randomArray(2 * 6 * 6 * 3, 6), [2, 6, 6, 3]);
      const before = tf.memory().numTensors;
      const beforeBuffers = tf.memory().numDataBuffers;
      for (let i = 0; i < 3; i++) {
        const g = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] }) as tf.Tensor;
        g.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.memory().numDataBuffers).toBe(beforeBuffers);
      expect(x.dataSync()[0]).toBe(randomArray(1, 5)[0]); // the input's data was not freed or moved
      tf.dispose([x, dy]);
    });
  });
});

describe('the other kernels of CNN training on wasm', () => {
  /** Every weight gradient of a small Tutorial-J-like network, in training mode, on the current backend. */
  function networkGradients(): Float32Array[] {
    return tf.tidy(() => {
      const vars = {
        w1: tf.variable(tf.tensor4d(randomArray(3 * 3 * 1 * 4, 11), [3, 3, 1, 4])),
        b1: tf.variable(tf.tensor1d(randomArray(4, 12))),
        gamma: tf.variable(tf.tensor1d(randomArray(4, 13).map((v) => 1 + 0.2 * v))),
        beta: tf.variable(tf.tensor1d(randomArray(4, 14))),
        w2: tf.variable(tf.tensor4d(randomArray(3 * 3 * 4 * 6, 15), [3, 3, 4, 6])),
        dense: tf.variable(tf.tensor2d(randomArray(2 * 2 * 6 * 3, 16), [2 * 2 * 6, 3])),
      };
      const x = tf.tensor4d(randomArray(5 * 13 * 13, 17).map((v) => (v + 1) / 2), [5, 13, 13, 1]);
      const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3);
      const loss = (): tf.Scalar => {
        let h: tf.Tensor4D = tf.fused.conv2d({ x, filter: vars.w1, strides: 1, pad: 'same', bias: vars.b1, activation: 'relu' });
        h = tf.maxPool(h, 2, 2, 'valid'); // 6×6
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        h = tf.batchNorm4d(h, mean as tf.Tensor1D, variance as tf.Tensor1D, vars.beta, vars.gamma, 1e-5);
        h = tf.relu(tf.conv2d(h, vars.w2, 1, 'valid')); // 4×4
        h = tf.maxPool(h, 2, 2, 'valid'); // 2×2
        const logits = tf.matMul(tf.reshape(h, [5, 2 * 2 * 6]), vars.dense);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      };
      const { grads } = tf.variableGrads(loss, Object.values(vars));
      const out = Object.values(vars).map((v) => grads[v.name].dataSync() as Float32Array);
      Object.values(vars).forEach((v) => v.dispose());
      return out;
    });
  }

  it('match the cpu backend (conv, fused conv + ReLU, max-pool, batch norm, dense, softmax cross-entropy)', async () => {
    const reference = await onBackend('cpu', networkGradients);
    const wasm = await onBackend('wasm', networkGradients);
    reference.forEach((ref, i) => expect(relativeError(wasm[i], ref), `weight ${i}`).toBeLessThan(1e-4));
  });
});
