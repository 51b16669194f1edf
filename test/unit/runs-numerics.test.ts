/**
 * The numerical pieces of training runs, each against an independent reference:
 * - bilinear resizing agrees with PyTorch's F.interpolate(mode='bilinear', align_corners=False) values
 *   worked out by hand;
 * - the head's θ₀ is the logistic form [b₁ − b₀, w₁ − w₀] of a Linear(d, 2) draw from U(±1/√d) (and the
 *   softmax layout for K > 2), and both give the same probabilities as the two-logit layer;
 * - the full-model ClassifierModel's vjp (tf.grad of Σ P ⊙ dP) matches central finite differences of its
 *   own predictions, its asynchronous reads (webgpu's way) give the synchronous ones' values exactly, and
 *   predict/vjp leave no tensors behind.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, type ArchitectureSpec } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { predictProbabilities } from '../../src-main/deep/inference';
import { bandImages } from '../support/band-images';
import { BinaryLogisticModel } from '../../src-main/engine/models/logistic';
import { SoftmaxLinearModel } from '../../src-main/engine/models/softmax';
import { headThetaAsDense } from '../../src-main/runs/export';
import { binaryHeadTheta, drawLinear, initialHeadTheta, softmaxHeadTheta } from '../../src-main/deep/head-init';
import { resizeImages } from '../../src-main/deep/resize';
import { parameterLayout, TfjsClassifierModel, thetaFromWeights } from '../../src-main/deep/tfjs-model';
import { getWeightsByValue } from '../../src-main/deep/weights';

const thetaOf = (model: tf.LayersModel): Float64Array => thetaFromWeights(parameterLayout(model), getWeightsByValue(model));

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('resizeImages', () => {
  it('upsamples 2×2 → 4×4 like PyTorch bilinear (align_corners=False)', () => {
    // Source coords (o + 0.5)/2 − 0.5 = −0.25→0, 0.25, 0.75, 1.25→1 (the last clamps to the edge).
    const out = resizeImages({ pixels: Uint8Array.of(0, 100, 200, 255), n: 1, height: 2, width: 2, channels: 1 }, 4, 4);
    expect([...out.pixels.subarray(0, 4)]).toEqual([0, 25, 75, 100]);
    // Row 1 sits at y = 0.25: a quarter of the way to the second row, e.g. 75 + (241.25 − 75)/4 = 116.56 → 117.
    expect([...out.pixels.subarray(4, 8)]).toEqual([50, 72, 117, 139]);
    expect([...out.pixels.subarray(12, 16)]).toEqual([200, 214, 241, 255]);
  });

  it('keeps constant images constant, handles channels, and selects rows', () => {
    const pixels = new Uint8Array(3 * 5 * 7 * 3);
    for (let i = 0; i < 3; i++) pixels.fill(40 * (i + 1), i * 105, (i + 1) * 105);
    const out = resizeImages({ pixels, n: 3, height: 5, width: 7, channels: 3 }, 9, 4, Int32Array.of(2, 0));
    expect(out).toMatchObject({ n: 2, height: 9, width: 4, channels: 3 });
    expect(out.pixels.subarray(0, 108).every((v) => v === 120)).toBe(true);
    expect(out.pixels.subarray(108).every((v) => v === 40)).toBe(true);
  });

  it('returns the input untouched when nothing changes, and copies the rows otherwise', () => {
    const set = { pixels: Uint8Array.of(1, 2, 3, 4), n: 4, height: 1, width: 1, channels: 1 };
    expect(resizeImages(set, 1, 1)).toBe(set);
    expect([...resizeImages(set, 1, 1, Int32Array.of(3, 1)).pixels]).toEqual([4, 2]);
  });
});

describe('the head initialisation', () => {
  const d = 64;

  it('binary: θ₀ = [b₁ − b₀, w₁ − w₀] of a Linear(d, 2) draw within ±1/√d', () => {
    const draw = drawLinear(d, 2, 5);
    const bound = 1 / Math.sqrt(d);
    expect([...draw.weight, ...draw.bias].every((v) => v >= -bound && v < bound)).toBe(true);
    // Uniform: the draws spread over the interval (mean near 0, std near bound/√3).
    const mean = draw.weight.reduce((a, b) => a + b, 0) / draw.weight.length;
    expect(Math.abs(mean)).toBeLessThan(0.3 * bound);
    const theta = binaryHeadTheta(draw, d);
    expect(theta[0]).toBe(draw.bias[1] - draw.bias[0]);
    expect(theta[5]).toBe(draw.weight[d + 4] - draw.weight[4]);
    expect(initialHeadTheta(d, 2, 5)).toEqual(theta);
    expect(initialHeadTheta(d, 2, 6)).not.toEqual(theta);
  });

  it('gives the probabilities of the two-logit layer, for the logistic and the softmax layouts alike', () => {
    const draw = drawLinear(d, 2, 9);
    const x = Float64Array.from({ length: 3 * d }, (_, i) => Math.sin(i));
    const logistic = new Float64Array(3);
    new BinaryLogisticModel(x, d).predict(binaryHeadTheta(draw, d), { start: 0, end: 3 }, logistic);
    const softmax = new Float64Array(6);
    new SoftmaxLinearModel(x, d, 2).predict(softmaxHeadTheta(draw, d), { start: 0, end: 3 }, softmax);
    for (let i = 0; i < 3; i++) {
      let z0 = draw.bias[0], z1 = draw.bias[1];
      for (let j = 0; j < d; j++) {
        z0 += draw.weight[j] * x[i * d + j];
        z1 += draw.weight[d + j] * x[i * d + j];
      }
      const p1 = Math.exp(z1) / (Math.exp(z0) + Math.exp(z1));
      expect(logistic[i]).toBeCloseTo(p1, 14);
      expect(softmax[2 * i + 1]).toBeCloseTo(p1, 14);
    }
  });

  it('multiclass: (d+1) × K with the biases in row 0, and the exported dense layer is the same model', () => {
    const draw = drawLinear(d, 3, 2);
    const theta = softmaxHeadTheta(draw, d);
    expect(theta.length).toBe((d + 1) * 3);
    expect(theta[1]).toBe(draw.bias[1]);
    expect(theta[(1 + 7) * 3 + 2]).toBe(draw.weight[2 * d + 7]);
    const dense = headThetaAsDense(theta, d, 3);
    expect(dense.bias[2]).toBeCloseTo(draw.bias[2], 6);
    expect(dense.kernel[7 * 3 + 2]).toBeCloseTo(draw.weight[2 * d + 7], 6);
    // Binary: kernel column 0 is zero and column 1 the logistic weights.
    const binary = headThetaAsDense(binaryHeadTheta(drawLinear(d, 2, 1), d), d, 2);
    expect(binary.kernel.filter((_, i) => i % 2 === 0).every((v) => v === 0)).toBe(true);
    expect(binary.bias[0]).toBe(0);
  });
});

const tiny: ArchitectureSpec = {
  name: 'tiny-cnn',
  description: 'one conv block with batch norm and a linear head, for gradient checks',
  defaultInputShape: [8, 8, 1],
  layers: [
    { kind: 'conv2d', filters: 3, kernelSize: 3, padding: 1, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    { kind: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
    { kind: 'flatten' },
    { kind: 'dense', units: 5 },
    { kind: 'dense', units: 'classes' },
  ],
};

describe('TfjsClassifierModel (full-model QSA)', () => {
  it('predicts the model’s probabilities: binary P(y=1) = softmax column 1, multiclass every column', async () => {
    const { images } = bandImages({ n: 10, height: 8, width: 8, numClasses: 3, seed: 3 });
    for (const k of [2, 3]) {
      const model = buildModel(tiny, { numClasses: k, seed: 4 });
      const wrapped = new TfjsClassifierModel(model, images, { nOutputs: k === 2 ? 1 : k, chunkSize: 4 });
      const probs = new Float64Array(10 * (k === 2 ? 1 : k));
      wrapped.predict(thetaOf(model), { start: 0, end: 10 }, probs);
      const reference = await predictProbabilities(model, images);
      for (let i = 0; i < 10; i++) {
        if (k === 2) expect(probs[i]).toBeCloseTo(reference[2 * i + 1], 6);
        else for (let c = 0; c < 3; c++) expect(probs[i * 3 + c]).toBeCloseTo(reference[i * 3 + c], 6);
      }
      model.dispose();
    }
  });

  it('vjp = the gradient of Σ P ⊙ dP: matches central differences along random directions, leaks nothing', () => {
    const { images } = bandImages({ n: 12, height: 8, width: 8, numClasses: 3, seed: 8 });
    const model = buildModel(tiny, { numClasses: 3, seed: 6 });
    const before = tf.memory().numTensors;
    const wrapped = new TfjsClassifierModel(model, images, { nOutputs: 3, chunkSize: 5 });
    const theta = thetaOf(model);
    const range = { start: 2, end: 11 };
    const n = 9;
    const dP = Float64Array.from({ length: n * 3 }, (_, i) => Math.cos(1.7 * i));
    const probs = new Float64Array(n * 3);
    wrapped.predict(theta, range, probs);
    const gradient = new Float64Array(wrapped.nParams);
    wrapped.vjp(theta, range, probs, dP, gradient);
    const objective = (t: Float64Array): number => {
      const p = new Float64Array(n * 3);
      wrapped.predict(t, range, p);
      return p.reduce((a, v, i) => a + v * dP[i], 0);
    };
    for (let trial = 0; trial < 3; trial++) {
      const direction = Float64Array.from({ length: theta.length }, (_, i) => Math.sin(i * (trial + 1.3)));
      const h = 1e-2; // float32 model: a step large enough to rise above rounding, small enough to stay linear
      const plus = Float64Array.from(theta, (v, i) => v + h * direction[i]);
      const minus = Float64Array.from(theta, (v, i) => v - h * direction[i]);
      const numeric = (objective(plus) - objective(minus)) / (2 * h);
      const analytic = gradient.reduce((a, g, i) => a + g * direction[i], 0);
      expect(Math.abs(numeric - analytic)).toBeLessThan(2e-2 * Math.max(1, Math.abs(analytic)));
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('predictAsync/vjpAsync read the same passes asynchronously: the same values, bit for bit, no tensors left', async () => {
    const { images } = bandImages({ n: 12, height: 8, width: 8, numClasses: 2, seed: 5 });
    const model = buildModel(tiny, { numClasses: 2, seed: 9 });
    const before = tf.memory().numTensors;
    const theta = thetaOf(model);
    const range = { start: 1, end: 12 };
    const dP = Float64Array.from({ length: 11 }, (_, i) => Math.sin(0.9 * i + 0.2));
    const results = [];
    for (const wrapped of [0, 1].map(() => new TfjsClassifierModel(model, images, { nOutputs: 1, chunkSize: 4 }))) {
      const probs = new Float64Array(11), gradient = new Float64Array(wrapped.nParams);
      if (results.length === 0) {
        wrapped.predict(theta, range, probs);
        wrapped.vjp(theta, range, probs, dP, gradient);
      } else {
        await wrapped.predictAsync(theta, range, probs);
        await wrapped.vjpAsync(theta, range, probs, dP, gradient);
      }
      results.push({ probs, gradient });
    }
    expect(results[1].probs).toEqual(results[0].probs);
    expect(results[1].gradient).toEqual(results[0].gradient);
    expect(results[0].gradient.some((g) => g !== 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
