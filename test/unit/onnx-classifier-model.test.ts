// Invariant: the full-model QSA's model on ONNX Runtime (OnnxClassifierModel: weights as graph inputs,
// the training step's own backward in inference mode) gives the predictions and vector-Jacobian
// products TfjsClassifierModel computes on tfjs's cpu backend, to ~1e-5 relative, for both tutorial CNNs
// (Tutorial J's batch norm with moving statistics away from 0/1), binary and multiclass, at a θ away from
// the initial one and with rows spread over several chunks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../src-main/data/shuffle';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { OnnxClassifierModel } from '../../src-main/deep/onnx/classifier-model';
import { TfjsClassifierModel, thetaFromWeights } from '../../src-main/deep/tfjs-model';
import { getWeightsByValue, setWeights } from '../../src-main/deep/weights';
import { bandImages } from '../support/band-images';

beforeAll(async () => {
  await selectBackend('cpu');
});

function uniform(rng: Xoshiro128): number {
  return rng.nextUint32() / 2 ** 32 - 0.5;
}

/** ‖a − b‖∞ / ‖b‖∞: the tolerance is relative to the values' scale, not to each (maybe ~0) element. */
function relativeError(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

describe('OnnxClassifierModel', () => {
  for (const [arch, size, classes, nOutputs] of [
    ['tutorial-g-cnn', 28, 2, 1],
    ['tutorial-g-cnn', 28, 4, 4],
    ['tutorial-j-cnn', 48, 2, 1],
    ['tutorial-j-cnn', 48, 3, 3],
  ] as const) {
    it(`${arch}, ${classes} classes, ${nOutputs} output(s): predict and vjp equal tfjs cpu's`, async () => {
      const n = 5;
      const { images } = bandImages({ n, height: size, width: size, numClasses: classes, seed: 4 });
      const model = buildModel(arch, { numClasses: classes, seed: 3 });
      const rng = new Xoshiro128(8);
      const weights = getWeightsByValue(model);
      weights.names.forEach((name, i) => {
        if (name.endsWith('/moving_mean')) weights.data[i].forEach((_, j, d) => (d[j] = uniform(rng)));
        if (name.endsWith('/moving_variance')) weights.data[i].forEach((_, j, d) => (d[j] = 0.5 + uniform(rng) + 0.5));
      });
      setWeights(model, weights);
      const reference = new TfjsClassifierModel(model, images, { nOutputs, chunkSize: 2 });
      const candidate = new OnnxClassifierModel(model, images, { nOutputs, chunkSize: 2, threads: 1 });
      try {
        expect(candidate.layout).toEqual(reference.layout);
        const theta = thetaFromWeights(reference.layout, weights).map((v) => v * (1 + 0.2 * uniform(rng)) + 0.01 * uniform(rng));
        const range = { start: 0, end: n };
        const want = new Float64Array(n * nOutputs);
        const got = new Float64Array(n * nOutputs);
        reference.predict(theta, range, want);
        await candidate.predictAsync(theta, range, got);
        expect(relativeError(got, want)).toBeLessThan(1e-5);
        // Not all on one class: the gradient has something to carry.
        expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(1e-4);

        const dProbs = Float64Array.from({ length: n * nOutputs }, () => uniform(rng));
        dProbs.fill(0, 0, 2 * nOutputs); // a chunk with no cotangent is skipped by both
        const gradWant = new Float64Array(reference.nParams).fill(0.5);
        const gradGot = new Float64Array(candidate.nParams).fill(0.5);
        reference.vjp(theta, range, want, dProbs, gradWant);
        await candidate.vjpAsync(theta, range, got, dProbs, gradGot);
        let offset = 0;
        const off: string[] = [];
        reference.layout.names.forEach((name, i) => {
          const size = reference.layout.sizes[i];
          const error = relativeError(gradGot.subarray(offset, offset + size).map((v) => v - 0.5), gradWant.subarray(offset, offset + size).map((v) => v - 0.5));
          if (!(error < 1e-5)) off.push(`${name}: ${error}`);
          offset += size;
        });
        expect(off).toEqual([]);
      } finally {
        await candidate.dispose();
        model.dispose();
      }
    }, 60_000);
  }

  it('refuses synchronous calls and calls after dispose, naming the way to drive it', async () => {
    const { images } = bandImages({ n: 2, height: 28, width: 28, numClasses: 2, seed: 1 });
    const model = buildModel('tutorial-g-cnn', { numClasses: 2, seed: 1 });
    const candidate = new OnnxClassifierModel(model, images, { nOutputs: 1 });
    const theta = new Float64Array(candidate.nParams);
    expect(() => candidate.predict()).toThrow(/runQsaAsync/);
    await candidate.predictAsync(theta, { start: 0, end: 2 }, new Float64Array(2));
    await candidate.dispose();
    await expect(candidate.predictAsync(theta, { start: 0, end: 1 }, new Float64Array(1))).rejects.toThrow(/after dispose/);
    model.dispose();
    expect(tf.getBackend()).toBe('cpu');
  });
});
