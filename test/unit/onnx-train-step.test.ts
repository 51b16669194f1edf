// Invariant: training on ONNX Runtime (the hand-built forward + backward + Adam step graph) takes the
// very steps tfjs takes on its cpu backend: after Adam steps on a tiny batch every weight, batch-norm
// statistic, the loss and the accuracy agree to ~1e-4, for both tutorial CNNs; the weights did move.
// Adam's early steps are lr·g/(|g| + 1e-8): an element whose gradient is within rounding noise of 0 moves
// by up to ±lr on that noise's sign, in any implementation. So: at most 0.2% of a tensor's elements may
// differ by more than 1e-4, and none by more than 2·lr per step — except a conv bias followed by ReLU →
// pool → batch norm, whose gradient is exactly 0 in every channel whose pooled outputs are all positive
// (batch norm removes the channel's mean): those are held to the 2·lr bound only.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../src-main/data/shuffle';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { trainClassifierOnCpu } from '../../src-main/deep/onnx/train';
import { trainClassifier, type BatchProgress } from '../../src-main/deep/train';
import { getWeightsByValue, setWeights } from '../../src-main/deep/weights';
import { bandImages } from '../support/band-images';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Moving statistics away from 0/1 so that their update is checked on real values. */
function twins(arch: 'tutorial-j-cnn' | 'tutorial-g-cnn', classes: number): [tf.LayersModel, tf.LayersModel] {
  const a = buildModel(arch, { numClasses: classes, seed: 9 });
  const b = buildModel(arch, { numClasses: classes, seed: 9 });
  const rng = new Xoshiro128(3);
  const weights = getWeightsByValue(a);
  weights.names.forEach((name, i) => {
    if (name.endsWith('/moving_mean')) weights.data[i].forEach((_, j, d) => (d[j] = rng.nextUint32() / 2 ** 32 - 0.5));
    if (name.endsWith('/moving_variance')) weights.data[i].forEach((_, j, d) => (d[j] = 0.5 + rng.nextUint32() / 2 ** 32));
  });
  setWeights(a, weights);
  setWeights(b, weights);
  return [a, b];
}

describe('training step on ONNX Runtime', () => {
  // tfjs's cpu backend needs about a second per 48×48 training image: Tutorial J takes one step of 4
  // (batch norm over fewer rows than 4 at 1×1 would pass no gradient at all).
  for (const [arch, size, classes, steps] of [['tutorial-j-cnn', 48, 2, 1], ['tutorial-g-cnn', 28, 10, 2]] as const) {
    it(`${arch}: Adam steps equal tfjs cpu's to ~1e-4`, async () => {
      const { images, labels } = bandImages({ n: 4 * steps, height: size, width: size, numClasses: classes, seed: 6 });
      const [reference, candidate] = twins(arch, classes);
      try {
        const before = getWeightsByValue(reference);
        const options = { epochs: 1, batchSize: 4, learningRate: 1e-3, seed: 1, shuffle: false };
        const tfjsBatches: BatchProgress[] = [];
        const onnxBatches: BatchProgress[] = [];
        await trainClassifier(reference, images, labels, { start: 0, end: 4 * steps }, { ...options, onBatch: (b) => tfjsBatches.push(b) });
        const result = await trainClassifierOnCpu(candidate, images, labels, { start: 0, end: 4 * steps }, { ...options, onBatch: (b) => onnxBatches.push(b) }, { threads: 1 });
        expect(result.batches).toBe(steps);
        onnxBatches.forEach((b, i) => {
          expect(b.loss).toBeCloseTo(tfjsBatches[i].loss, 4);
          expect(b.accuracy).toBe(tfjsBatches[i].accuracy);
        });
        const want = getWeightsByValue(reference);
        const got = getWeightsByValue(candidate);
        expect(got.names).toEqual(want.names);
        let moved = 0;
        const off: string[] = [];
        want.names.forEach((name, i) => {
          let worst = 0;
          let outside = 0;
          want.data[i].forEach((v, j) => {
            const diff = Math.abs(v - got.data[i][j]);
            worst = Math.max(worst, diff);
            if (!(diff < 1e-4)) outside++;
            if (Math.abs(v - before.data[i][j]) > 1e-3) moved++;
          });
          const noiseOnly = /^conv\d+\/bias$/.test(name) && arch === 'tutorial-j-cnn';
          const allowed = noiseOnly ? want.data[i].length : Math.floor(0.002 * want.data[i].length);
          if (outside > allowed || !(worst <= 2 * options.learningRate * steps + 1e-6)) off.push(`${name}: ${outside} elements off by > 1e-4, worst ${worst}`);
        });
        expect(off).toEqual([]);
        expect(moved).toBeGreaterThan(100);
      } finally {
        reference.dispose();
        candidate.dispose();
      }
    }, 120_000);
  }
});
