/**
 * The pieces `fairbound audit --model` is built from: reading a model's output as class probabilities
 * (logits, softmax, one sigmoid unit), fitting the dataset's images to its input shape (with the shapes
 * named when they do not fit), and row selection.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClassCount, imagesForModel, loadAuditModel, modelInputShape, modelOutputForm, modelPredictions, selectRows } from '../../src-main/audit/model-source';
import { InputError } from '../../src-main/errors/input-error';
import { selectBackend } from '../../src-main/deep/backends';
import { bandImages } from '../support/band-images';

let dir: string;
beforeAll(async () => {
  await selectBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'fairbound-audit-source-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model(units: number, activation: 'linear' | 'softmax' | 'sigmoid' | 'relu', softmaxLayer = false): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
  m.add(tf.layers.dense({ units, activation, kernelInitializer: 'glorotUniform' }));
  if (softmaxLayer) m.add(tf.layers.softmax());
  return m;
}

describe('modelOutputForm', () => {
  it('reads logits, softmax (activation or layer) and one sigmoid unit; refuses other endings', () => {
    expect(modelOutputForm(model(3, 'linear'), 'm')).toMatchObject({ kind: 'logits', classes: 3 });
    expect(modelOutputForm(model(3, 'softmax'), 'm')).toMatchObject({ kind: 'probabilities', classes: 3 });
    expect(modelOutputForm(model(2, 'linear', true), 'm')).toMatchObject({ kind: 'probabilities', classes: 2 });
    expect(modelOutputForm(model(1, 'sigmoid'), 'm')).toMatchObject({ kind: 'sigmoid', classes: 2 });
    expect(() => modelOutputForm(model(1, 'linear'), 'm')).toThrow(/one output unit with activation 'linear'/);
    expect(() => modelOutputForm(model(3, 'relu'), 'm')).toThrow(InputError);
    expect(() => checkClassCount(modelOutputForm(model(3, 'linear'), 'model x'), 2, 'model x', 'd')).toThrow(/model x outputs shape \[null, 3\] \(3 classes\) but dataset 'd' has 2 classes/);
  });

  it('gives P(y=1) for binary models and every class otherwise', async () => {
    const { images } = bandImages({ n: 7, height: 4, width: 4, numClasses: 2, seed: 1 });
    const x = tf.div(tf.tensor4d(Float32Array.from(images.pixels), [7, 4, 4, 1]), 255);
    const sigmoid = model(1, 'sigmoid');
    const expected = (sigmoid.predict(x) as tf.Tensor).dataSync();
    const p = await modelPredictions(sigmoid, images, modelOutputForm(sigmoid, 'm'), { batchSize: 3 });
    expect(p.nOutputs).toBe(1);
    expect(Array.from(p.probs)).toEqual(Array.from(expected));

    const logits = model(2, 'linear');
    const softmax = tf.softmax(logits.predict(x) as tf.Tensor2D).dataSync();
    const q = await modelPredictions(logits, images, modelOutputForm(logits, 'm'));
    expect(q.nOutputs).toBe(1);
    expect(Array.from(q.probs)).toEqual(Array.from({ length: 7 }, (_, i) => softmax[i * 2 + 1]));

    const three = model(3, 'softmax');
    const r = await modelPredictions(three, images, modelOutputForm(three, 'm'), { batchSize: 2 });
    expect(r.nOutputs).toBe(3);
    expect(r.probs).toHaveLength(21);
    for (let i = 0; i < 7; i++) expect(r.probs[i * 3] + r.probs[i * 3 + 1] + r.probs[i * 3 + 2]).toBeCloseTo(1, 5);
    x.dispose();
  });
});

describe('imagesForModel', () => {
  const { images } = bandImages({ n: 5, height: 6, width: 6, numClasses: 2, seed: 2 });
  const where = { source: 'model m', dataset: 'd', resize: null };

  it('passes images of the right shape through and selects rows', () => {
    expect(imagesForModel(images, [6, 6, 1], where)).toBe(images);
    const picked = imagesForModel(images, [6, 6, 1], { ...where, rows: Int32Array.of(4, 0) });
    expect(picked.n).toBe(2);
    expect(Array.from(picked.pixels.subarray(0, 36))).toEqual(Array.from(images.pixels.subarray(4 * 36, 5 * 36)));
  });

  it('names both shapes when they do not fit, and resizes when asked', () => {
    expect(() => imagesForModel(images, [8, 8, 1], where)).toThrow(/model m expects input shape 8×8×1 \(height×width×channels\) but dataset 'd' gives 6×6×1 \(give --resize 8/);
    expect(() => imagesForModel(images, [6, 6, 3], where)).toThrow(/the channel counts differ: 3 expected, the dataset's images have 1/);
    expect(imagesForModel(images, [8, 8, 1], { ...where, resize: 8 })).toMatchObject({ n: 5, height: 8, width: 8, channels: 1 });
    expect(() => imagesForModel(images, [8, 8, 1], { ...where, resize: 9 })).toThrow(/gives 9×9×1 \(its 6×6×1 images resized with --resize 9\)/);
    expect(modelInputShape(model(2, 'linear'), 'm')).toEqual([4, 4, 1]);
  });
});

describe('selectRows and loadAuditModel', () => {
  it('selects labels and sensitive rows in the given order', () => {
    const data = { nRows: 3, labels: Float64Array.of(0, 1, 1), nClasses: 2, sensitiveColumns: ['A', 'B'], sensitive: Uint8Array.of(1, 0, 0, 1, 1, 0) };
    const s = selectRows(data, Int32Array.of(2, 0));
    expect(Array.from(s.labels)).toEqual([1, 0]);
    expect(Array.from(s.sensitive)).toEqual([1, 0, 1, 0]);
    expect(s.nRows).toBe(2);
  });

  it('loads from the folder or model.json and says what is wrong otherwise', async () => {
    await expect(loadAuditModel(join(dir, 'missing'))).rejects.toThrow(/no such model/);
    writeFileSync(join(dir, 'other.json'), '{}');
    await expect(loadAuditModel(join(dir, 'other.json'))).rejects.toThrow(/a file named model.json/);
    writeFileSync(join(dir, 'model.json'), '{"nope": 1}');
    await expect(loadAuditModel(join(dir, 'model.json'))).rejects.toThrow(InputError);
  });
});
