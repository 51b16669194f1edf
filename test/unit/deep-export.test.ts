// Invariant: a trained model exported as a TF.js layers folder (model.json + weights.bin) loads back
// with the same weights (trainable and batch-norm statistics), the same metadata, and identical
// predictions; loading refuses folders that are not such a model and weight paths outside the folder.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, type ArchitectureSpec, type ModelMetadata } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { loadModel, saveModel } from '../../src-main/deep/export';
import { extractLatents, predictProbabilities } from '../../src-main/deep/inference';
import { bandImages } from '../support/band-images';
import { trainClassifier } from '../../src-main/deep/train';
import { getWeightsByValue } from '../../src-main/deep/weights';

const arch: ArchitectureSpec = {
  name: 'export-cnn',
  description: 'small CNN with batch norm, for the export round trip',
  defaultInputShape: [12, 12, 1],
  layers: [
    { kind: 'conv2d', filters: 4, kernelSize: 3, padding: 1, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    { kind: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
    { kind: 'flatten' },
    { kind: 'dense', units: 6 },
    { kind: 'dense', units: 'classes' },
  ],
};

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fairbound-deep-export-'));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  await selectBackend('wasm');
});

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('saveModel / loadModel', () => {
  it('round-trips a trained model: same weights, metadata, latents and probabilities', async () => {
    const { images, labels } = bandImages({ n: 40, height: 12, width: 12, numClasses: 2, seed: 3 });
    const model = buildModel(arch, { numClasses: 2, seed: 8 });
    // Training moves the batch-norm statistics away from 0/1, so the round trip must carry them.
    await trainClassifier(model, images, labels, { start: 0, end: 40 }, { epochs: 2, batchSize: 10, learningRate: 0.01, seed: 2 });
    const dir = join(tempDir(), 'model');
    const files = await saveModel(model, dir);
    expect(files.weightBytes).toBe(getWeightsByValue(model).data.reduce((n, d) => n + 4 * d.length, 0));
    const json = JSON.parse(readFileSync(files.modelJson, 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);

    const before = tf.memory().numTensors;
    const loaded = await loadModel(dir);
    const original = getWeightsByValue(model);
    const restored = getWeightsByValue(loaded);
    expect(restored.names).toEqual(original.names);
    restored.data.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(original.data[i])));
    expect(Array.from(restored.data[original.names.indexOf('bn1/moving_variance')])).not.toEqual([1, 1, 1, 1]);
    const metadata = (loaded.getUserDefinedMetadata() as { fairbound: ModelMetadata }).fairbound;
    expect(metadata).toMatchObject({ architecture: 'export-cnn', numClasses: 2, seed: 8, init: 'pytorch', inputShape: [12, 12, 1] });

    expect(Array.from(await predictProbabilities(loaded, images))).toEqual(Array.from(await predictProbabilities(model, images)));
    expect(Array.from(await extractLatents(loaded, images))).toEqual(Array.from(await extractLatents(model, images)));
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses a folder without a model and a weights path that leaves the folder', async () => {
    const dir = tempDir();
    await expect(loadModel(join(dir, 'absent'))).rejects.toThrow(/loadModel: cannot read .*model\.json/);
    const model = buildModel(arch, { numClasses: 2, seed: 1 });
    const files = await saveModel(model, dir);
    model.dispose();
    const json = JSON.parse(readFileSync(files.modelJson, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    json.weightsManifest[0].paths = ['../elsewhere/weights.bin'];
    writeFileSync(files.modelJson, JSON.stringify(json));
    await expect(loadModel(dir)).rejects.toThrow("weight file '../elsewhere/weights.bin'");
    writeFileSync(files.modelJson, '{"hello": 1}');
    await expect(loadModel(dir)).rejects.toThrow('is not a TF.js layers model');
  });
});
