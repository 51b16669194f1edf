// Invariant: latents and probabilities computed by ONNX Runtime (the CPU path of extractLatents and
// predictProbabilities) equal tfjs's to 1e-4, with a row selection, a batch size that does not divide
// the rows, and progress and cancel as on the tfjs path; `auto` picks ONNX Runtime on wasm.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { extractLatents, predictProbabilities, usesOnnx } from '../../src-main/deep/inference';
import { trainClassifier } from '../../src-main/deep/train';
import { bandImages } from '../support/band-images';

beforeAll(async () => {
  await selectBackend('wasm');
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ONNX Runtime as the CPU inference path', () => {
  it('is what auto picks on wasm, and not when asked for tfjs', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(usesOnnx()).toBe(true);
    expect(usesOnnx('tfjs')).toBe(false);
  });

  for (const [arch, size, classes] of [['tutorial-j-cnn', 48, 2], ['tutorial-g-cnn', 28, 10]] as const) {
    it(`${arch}: latents and probabilities of a trained model equal tfjs's to 1e-4`, async () => {
      const { images, labels } = bandImages({ n: 90, height: size, width: size, numClasses: classes, seed: 4 });
      const model = buildModel(arch, { numClasses: classes, seed: 2 });
      try {
        // Two batches of training so that batch norm's moving statistics are not the initial 0/1.
        await trainClassifier(model, images, labels, { start: 0, end: 40 }, { epochs: 1, batchSize: 20, learningRate: 1e-3, seed: 0 });
        const rows = Int32Array.from([7, 88, 3, 3, 50, 61, 12, 0, 45, 19, 33]);
        const progress: number[] = [];
        const onnx = await extractLatents(model, images, { rows, batchSize: 4, engine: 'onnx', onProgress: (done) => progress.push(done) });
        expect(progress).toEqual([4, 8, 11]);
        const tfjs = await extractLatents(model, images, { rows, batchSize: 4, engine: 'tfjs' });
        expect(maxAbsDiff(onnx, tfjs)).toBeLessThan(1e-4);
        expect(onnx.length).toBe(rows.length * (arch === 'tutorial-j-cnn' ? 256 : 1568));
        const pOnnx = await predictProbabilities(model, images, { engine: 'onnx' });
        const pTfjs = await predictProbabilities(model, images, { engine: 'tfjs' });
        expect(pOnnx.length).toBe(90 * classes);
        expect(maxAbsDiff(pOnnx, pTfjs)).toBeLessThan(1e-4);
      } finally {
        model.dispose();
      }
    });
  }

  it('stops between batches when cancelled, and checks the images against the model', async () => {
    const { images } = bandImages({ n: 12, height: 28, width: 28, numClasses: 2, seed: 1 });
    const model = buildModel('tutorial-g-cnn', { numClasses: 2, seed: 1 });
    try {
      const controller = new AbortController();
      const run = extractLatents(model, images, { batchSize: 4, engine: 'onnx', signal: controller.signal, onProgress: () => controller.abort() });
      await expect(run).rejects.toThrow(/cancelled after 4 of 12 rows/);
      const small = bandImages({ n: 2, height: 20, width: 20, numClasses: 2, seed: 1 }).images;
      await expect(extractLatents(model, small, { engine: 'onnx' })).rejects.toThrow(/the model takes 28×28×1 images, got 20×20×1/);
    } finally {
      model.dispose();
    }
  });
});
