// Invariants of body training and inference on the wasm backend: training on a
// separable problem drives the loss down, reads only the chosen rows, can be cancelled between batches,
// and leaks no tensors; latents are the head's input in inference mode (a row's latent does not depend
// on its batch), the cut head applied to them reproduces the model's probabilities, and extraction and
// prediction leak nothing either.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, type ArchitectureSpec } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { cutHead, extractLatents, latentDim, predictProbabilities } from '../../src-main/deep/inference';
import { bandImages } from '../support/band-images';
import { CancelledError, trainClassifier, type BatchProgress } from '../../src-main/deep/train';

const small: ArchitectureSpec = {
  name: 'small-cnn',
  description: 'a Tutorial-J-like block and two dense layers, for 16×16 tests',
  defaultInputShape: [16, 16, 1],
  layers: [
    { kind: 'conv2d', filters: 4, kernelSize: 3, padding: 1, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    { kind: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
    { kind: 'conv2d', filters: 8, kernelSize: 3, padding: 0, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    { kind: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
    { kind: 'flatten' },
    { kind: 'dense', units: 16 },
    { kind: 'dense', units: 8 },
    { kind: 'dense', units: 'classes' },
  ],
};

const { images, labels } = bandImages({ n: 96, height: 16, width: 16, numClasses: 3, seed: 5 });

let model: tf.LayersModel;
let baseline: number;

beforeAll(async () => {
  await selectBackend('wasm');
  baseline = tf.memory().numTensors;
  model = buildModel(small, { numClasses: 3, seed: 1 });
});

afterAll(() => {
  model.dispose();
  expect(tf.memory().numTensors).toBe(baseline);
});

describe('trainClassifier on wasm', () => {
  it('drives the loss down on a separable problem and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const progress: BatchProgress[] = [];
    const result = await trainClassifier(model, images, labels, { start: 0, end: 96 }, {
      epochs: 4,
      batchSize: 16,
      learningRate: 0.01,
      seed: 3,
      onBatch: (p) => progress.push(p),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.batches).toBe(24);
    expect(result.images).toBe(4 * 96);
    expect(progress).toHaveLength(24);
    expect(progress[5]).toMatchObject({ epoch: 0, batch: 5, batchesPerEpoch: 6 });
    expect(progress.every((p) => p.imagesPerSecond > 0 && p.accuracy >= 0 && p.accuracy <= 1)).toBe(true);
    const [first, , , last] = result.epochs;
    expect(last.meanLoss).toBeLessThan(0.5 * first.meanLoss);
    expect(last.accuracy).toBeGreaterThan(0.9);
  });

  it('learns with a softmax head too (Tutorial G at 12×12), on probabilities', async () => {
    const g = bandImages({ n: 60, height: 12, width: 12, numClasses: 3, seed: 9 });
    const net = buildModel('tutorial-g-cnn', { numClasses: 3, seed: 2, inputShape: [12, 12, 1] });
    const result = await trainClassifier(net, g.images, g.labels, { start: 0, end: 60 }, { epochs: 3, batchSize: 20, learningRate: 0.01, seed: 1 });
    expect(result.epochs[2].meanLoss).toBeLessThan(result.epochs[0].meanLoss);
    net.dispose();
  });

  it('reads only the chosen rows (the others may hold anything, even invalid labels)', async () => {
    const net = buildModel(small, { numClasses: 3, seed: 4 });
    const poisoned = Int32Array.from(labels, (y, i) => (i % 2 === 1 ? -1 : y));
    const even = Int32Array.from({ length: 48 }, (_, i) => 2 * i);
    const result = await trainClassifier(net, images, poisoned, even, { epochs: 1, batchSize: 16, learningRate: 0.01, seed: 1 });
    expect(result.images).toBe(48);
    await expect(trainClassifier(net, images, poisoned, { start: 0, end: 2 }, { epochs: 1, batchSize: 16, learningRate: 0.01, seed: 1 })).rejects.toThrow(
      'row 1 has label -1, the head has classes 0..2',
    );
    net.dispose();
  });

  it('stops between batches when cancelled, with a CancelledError and no leaked tensors', async () => {
    const net = buildModel(small, { numClasses: 3, seed: 6 });
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let batches = 0;
    const run = trainClassifier(net, images, labels, { start: 0, end: 96 }, {
      epochs: 3,
      batchSize: 16,
      learningRate: 0.01,
      seed: 1,
      signal: controller.signal,
      onBatch: () => {
        batches++;
        if (batches === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(batches).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it('rejects images of the wrong size', async () => {
    const wrong = bandImages({ n: 4, height: 12, width: 12, numClasses: 2, seed: 1 });
    await expect(trainClassifier(model, wrong.images, wrong.labels, { start: 0, end: 4 }, { epochs: 1, batchSize: 2, learningRate: 0.01, seed: 1 })).rejects.toThrow(
      'the model takes 16×16×1 images, got 12×12×1',
    );
  });
});

describe('latents and probabilities (after training above)', () => {
  it('latents are n × d, the head input, the same for every batch size (inference-mode batch norm)', async () => {
    const before = tf.memory().numTensors;
    expect(latentDim(model)).toBe(8);
    const all = await extractLatents(model, images, { batchSize: 64 });
    expect(all).toHaveLength(96 * 8);
    const again = await extractLatents(model, images, { batchSize: 64 });
    expect(Array.from(again)).toEqual(Array.from(all));
    const oneByOne = await extractLatents(model, images, { batchSize: 1 });
    oneByOne.forEach((v, i) => expect(v).toBeCloseTo(all[i], 4));
    const some = await extractLatents(model, images, { rows: Int32Array.from([50, 3]) });
    some.subarray(0, 8).forEach((v, i) => expect(v).toBeCloseTo(all[50 * 8 + i], 4));
    some.subarray(8).forEach((v, i) => expect(v).toBeCloseTo(all[3 * 8 + i], 4));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('differ from a training-mode pass (which would normalise with the batch statistics)', async () => {
    const latents = await extractLatents(model, images, { rows: { start: 0, end: 8 } });
    const body = cutHead(model).body;
    const training = tf.tidy(() => {
      const x = tf.div(tf.tensor4d(Float32Array.from(images.pixels.subarray(0, 8 * 256)), [8, 16, 16, 1]), 255);
      return (body.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array;
    });
    expect(Math.max(...training.map((v, i) => Math.abs(v - latents[i])))).toBeGreaterThan(1e-3);
  });

  it('the cut head applied to the latents reproduces predictProbabilities; probabilities sum to 1', async () => {
    const before = tf.memory().numTensors;
    const { headWeights } = cutHead(model);
    expect(headWeights).toMatchObject({ inputDim: 8, units: 3, activation: 'linear' });
    const latents = await extractLatents(model, images);
    const probs = await predictProbabilities(model, images, { batchSize: 40 });
    expect(probs).toHaveLength(96 * 3);
    let correct = 0;
    for (let r = 0; r < 96; r++) {
      const logits = [0, 1, 2].map((k) => {
        let s = headWeights.bias[k];
        for (let i = 0; i < 8; i++) s += latents[r * 8 + i] * headWeights.kernel[i * 3 + k];
        return s;
      });
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const z = e.reduce((a, b) => a + b, 0);
      e.forEach((v, k) => expect(probs[r * 3 + k]).toBeCloseTo(v / z, 5));
      expect(probs[r * 3] + probs[r * 3 + 1] + probs[r * 3 + 2]).toBeCloseTo(1, 5);
      const predicted = [0, 1, 2].reduce((best, k) => (probs[r * 3 + k] > probs[r * 3 + best] ? k : best), 0);
      if (predicted === labels[r]) correct++;
    }
    expect(correct / 96).toBeGreaterThan(0.9);
    expect(tf.memory().numTensors).toBe(before);
  });
});
