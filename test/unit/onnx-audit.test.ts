/**
 * The ONNX audit's model half (src-main/audit/onnx/): small CNNs written with onnx-proto
 * (test/support/onnx-models.ts) run by ONNX Runtime give the same probabilities as the same maths in
 * TypeScript to 1e-5, for every pre-processing option: NCHW and NHWC (detected or stated), per-channel
 * normalisation, grey → RGB replication and RGB → luma, logits or probabilities, one sigmoid output, a
 * positive class of a multiclass model, a fixed batch size, a row selection and a resize.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OnnxPreprocessing } from '../../src-shared/contract/schemas';
import type { ImageSet } from '../../src-main/deep/images';
import { resizeImages } from '../../src-main/deep/resize';
import { predictOnnx } from '../../src-main/audit/onnx/predict';
import { buildOnnxCnn, type OnnxCnnSpec, type OnnxLayer } from '../support/onnx-models';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-onnx-audit-');

function randomImages(n: number, h: number, w: number, c: number, seed: number): ImageSet {
  const pixels = new Uint8Array(n * h * w * c);
  let s = seed >>> 0;
  for (let i = 0; i < pixels.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    pixels[i] = s >>> 24;
  }
  return { pixels, n, height: h, width: w, channels: c };
}

/** The reference input: NHWC bytes → the model's layout and channels, scaled and normalised in float64. */
function referenceInput(images: ImageSet, opts: { nchw: boolean; channels: number; normalize?: readonly { mean: number; std: number }[] }): Float32Array {
  const { n, height: h, width: w, channels: c } = images;
  const C = opts.channels;
  const out = new Float32Array(n * h * w * C);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < C; k++) {
    const at = ((i * h + y) * w + x) * c;
    const byte = c === C ? images.pixels[at + k] : c === 1 ? images.pixels[at] : 0.2989 * images.pixels[at] + 0.587 * images.pixels[at + 1] + 0.114 * images.pixels[at + 2];
    const norm = opts.normalize ? opts.normalize[opts.normalize.length === 1 ? 0 : k] : { mean: 0, std: 1 };
    const value = (byte / 255 - norm.mean) / norm.std;
    out[opts.nchw ? ((i * C + k) * h + y) * w + x : ((i * h + y) * w + x) * C + k] = value;
  }
  return out;
}

function softmaxRows(x: Float64Array, k: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length / k; i++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, x[i * k + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[i * k + j] = Math.exp(x[i * k + j] - max);
    for (let j = 0; j < k; j++) out[i * k + j] /= sum;
  }
  return out;
}

function writeModel(spec: OnnxCnnSpec, name = 'model.onnx'): { path: string; cnn: ReturnType<typeof buildOnnxCnn> } {
  const cnn = buildOnnxCnn(spec);
  const path = join(tempDir(), name);
  writeFileSync(path, cnn.encode());
  return { path, cnn };
}

function expectClose(actual: Float64Array, expected: Float64Array, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

const body = (classes: number, ...tail: OnnxLayer[]): OnnxLayer[] => [
  { kind: 'conv', filters: 4, kernel: 3, pad: 1 },
  { kind: 'relu' },
  { kind: 'maxpool' },
  { kind: 'conv', filters: 6, kernel: 3, pad: 0 },
  { kind: 'relu' },
  { kind: 'flatten' },
  { kind: 'gemm', units: 10 },
  { kind: 'relu' },
  { kind: 'gemm', units: classes },
  ...tail,
];

const run = (path: string, images: ImageSet, nClasses: number, preprocessing: OnnxPreprocessing = {}, extra: { rows?: Int32Array; resize?: number; batchSize?: number } = {}) =>
  predictOnnx(path, images, extra.rows, nClasses, 'd', { preprocessing, resize: extra.resize ?? null, ...(extra.batchSize ? { batchSize: extra.batchSize } : {}) });

describe('ONNX audit inference matches the same maths in TypeScript (1e-5)', () => {
  it('NCHW grey CNN ending in Softmax, multiclass, layout detected, in batches with progress', async () => {
    const { path, cnn } = writeModel({ image: [1, 10, 10], layers: body(3, { kind: 'softmax' }), seed: 1 });
    const images = randomImages(37, 10, 10, 1, 7);
    const seen: number[] = [];
    const got = await predictOnnx(path, images, undefined, 3, 'd', { preprocessing: {}, resize: null, batchSize: 8, onProgress: (done) => seen.push(done) });
    expect(seen).toEqual([8, 16, 24, 32, 37]);
    expect(got.nOutputs).toBe(3);
    expectClose(got.probs, cnn.forward(referenceInput(images, { nchw: true, channels: 1 }), 37));
    expect(got.record).toMatchObject({ input: 'image [N, 1, 10, 10]', layout: 'NCHW', layoutFrom: 'input shape', output: 'probabilities', outputFrom: 'graph', outputs: 3, channelConversion: 'none', normalize: null, positiveClass: null });
    expect(got.backendText).toMatch(/^onnxruntime (cpu|cuda|dml|coreml) \(onnxruntime-node \d+\.\d+\.\d+/);
  });

  it('NHWC RGB (a Transpose first), per-channel normalisation, logits → softmax; a row selection', async () => {
    const { path, cnn } = writeModel({ image: [3, 8, 8], nhwc: true, layers: body(4), seed: 2 });
    const images = randomImages(20, 8, 8, 3, 8);
    const normalize = [{ mean: 0.485, std: 0.229 }, { mean: 0.456, std: 0.224 }, { mean: 0.406, std: 0.225 }];
    const rows = Int32Array.from([19, 3, 3, 0, 11]);
    const got = await run(path, images, 4, { normalize }, { rows });
    const picked = resizeImages(images, 8, 8, rows);
    expectClose(got.probs, softmaxRows(cnn.forward(referenceInput(picked, { nchw: false, channels: 3, normalize }), rows.length), 4));
    expect(got.record).toMatchObject({ layout: 'NHWC', output: 'logits', outputFrom: 'graph', normalize });
  });

  it('a binary model: two logits give P(y=1) = softmax column 1; one sigmoid output gives itself', async () => {
    const images = randomImages(15, 6, 6, 1, 9);
    const input = referenceInput(images, { nchw: true, channels: 1, normalize: [{ mean: 0.286, std: 0.353 }] });
    const two = writeModel({ image: [1, 6, 6], layers: body(2), seed: 3 }, 'two.onnx');
    const gotTwo = await run(two.path, images, 2, { normalize: [{ mean: 0.286, std: 0.353 }] });
    const soft = softmaxRows(two.cnn.forward(input, 15), 2);
    expectClose(gotTwo.probs, Float64Array.from({ length: 15 }, (_, i) => soft[i * 2 + 1]));
    const one = writeModel({ image: [1, 6, 6], layers: body(1, { kind: 'sigmoid' }), seed: 4 }, 'one.onnx');
    const gotOne = await run(one.path, images, 2, { normalize: [{ mean: 0.286, std: 0.353 }] });
    expect(gotOne.nOutputs).toBe(1);
    expectClose(gotOne.probs, one.cnn.forward(input, 15));
    // The same one output declared as logits by the user: sigmoid applied here.
    const logit = writeModel({ image: [1, 6, 6], layers: body(1), seed: 4 }, 'logit.onnx');
    const gotLogit = await run(logit.path, images, 2);
    expectClose(gotLogit.probs, logit.cnn.forward(referenceInput(images, { nchw: true, channels: 1 }), 15).map((v) => 1 / (1 + Math.exp(-v))));
  });

  it('--positive-class K of a multiclass model on a binary dataset; --output stated', async () => {
    const { path, cnn } = writeModel({ image: [1, 6, 6], layers: body(5, { kind: 'softmax' }), seed: 5 });
    const images = randomImages(9, 6, 6, 1, 10);
    const got = await run(path, images, 2, { positiveClass: 3, output: 'probabilities' });
    const p = cnn.forward(referenceInput(images, { nchw: true, channels: 1 }), 9);
    expectClose(got.probs, Float64Array.from({ length: 9 }, (_, i) => p[i * 5 + 3]));
    expect(got.record).toMatchObject({ positiveClass: 3, outputFrom: 'option', outputs: 5 });
  });

  it('grey images replicated into RGB (--channels 3), RGB images as luma (--channels 1)', async () => {
    const rgb = writeModel({ image: [3, 6, 6], layers: body(2), seed: 6 }, 'rgb.onnx');
    const grey = randomImages(7, 6, 6, 1, 11);
    const gotRgb = await run(rgb.path, grey, 2, { channels: 3 });
    const s1 = softmaxRows(rgb.cnn.forward(referenceInput(grey, { nchw: true, channels: 3 }), 7), 2);
    expectClose(gotRgb.probs, Float64Array.from({ length: 7 }, (_, i) => s1[i * 2 + 1]));
    expect(gotRgb.record.channelConversion).toBe('grey to RGB (replicated)');
    const g = writeModel({ image: [1, 6, 6], layers: body(2), seed: 7 }, 'grey.onnx');
    const colour = randomImages(7, 6, 6, 3, 12);
    const gotGrey = await run(g.path, colour, 2, { channels: 1 });
    const s2 = softmaxRows(g.cnn.forward(referenceInput(colour, { nchw: true, channels: 1 }), 7), 2);
    expectClose(gotGrey.probs, Float64Array.from({ length: 7 }, (_, i) => s2[i * 2 + 1]));
  });

  it('a fixed batch dimension is fed whole (the last batch padded); dynamic H, W take the images’ size after --resize', async () => {
    const fixed = writeModel({ image: [1, 6, 6], layers: body(3, { kind: 'softmax' }), inputDims: [4, 1, 6, 6], seed: 8 }, 'fixed.onnx');
    const images = randomImages(10, 6, 6, 1, 13);
    const got = await run(fixed.path, images, 3);
    expectClose(got.probs, fixed.cnn.forward(referenceInput(images, { nchw: true, channels: 1 }), 10));
    const dynamic = writeModel({ image: [1, 8, 8], layers: body(3, { kind: 'softmax' }), inputDims: ['N', 1, 'H', 'W'], seed: 9 }, 'dynamic.onnx');
    const small = randomImages(6, 5, 5, 1, 14);
    const resized = await run(dynamic.path, small, 3, {}, { resize: 8 });
    expectClose(resized.probs, dynamic.cnn.forward(referenceInput(resizeImages(small, 8, 8), { nchw: true, channels: 1 }), 6));
    expect(resized.record).toMatchObject({ height: 8, width: 8, resize: 8 });
  });
});
