// Invariant: the ONNX forward graph built from a declarative architecture and a tfjs model's weights
// computes what the tfjs model computes (cpu backend, inference mode) — latents, logits and
// probabilities to 1e-5 — for both tutorial networks and for a colour, even-kernel 'same'-padded net,
// with NCHW or NHWC input; and weights that do not fit the architecture are refused by name.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../src-main/data/shuffle';
import { buildModel, type ArchitectureSpec } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { bodyOf } from '../../src-main/deep/inference';
import { buildForwardModel, convKernelFromOnnx, convKernelToOnnx, type ForwardOutput, type InputLayout } from '../../src-main/deep/onnx/forward';
import { onnxShapeOf } from '../../src-main/deep/onnx/tfjs-model';
import { createCpuSession, fillNchwBatch, floatTensor } from '../../src-main/deep/onnx/session';
import { getWeightsByValue, setWeights, type WeightsByValue } from '../../src-main/deep/weights';
import { bandImages } from '../support/band-images';

const COLOUR_NET: ArchitectureSpec = {
  name: 'colour-same',
  description: 'three channels, an even kernel with same padding, relu and softmax dense layers',
  defaultInputShape: [10, 9, 3],
  layers: [
    { kind: 'conv2d', filters: 5, kernelSize: 4, padding: 'same', activation: 'relu' },
    { kind: 'batchNorm' },
    { kind: 'maxPool2d', poolSize: 3 },
    { kind: 'conv2d', filters: 4, kernelSize: 2, padding: 'valid' },
    { kind: 'flatten' },
    { kind: 'dense', units: 7, activation: 'relu' },
    { kind: 'dense', units: 'classes', activation: 'softmax' },
  ],
};

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Batch-norm statistics and scales away from 0/1, so that a swapped or skipped one shows. */
function randomiseBatchNorm(model: tf.LayersModel, seed: number): WeightsByValue {
  const rng = new Xoshiro128(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * (rng.nextUint32() / 2 ** 32);
  const weights = getWeightsByValue(model);
  weights.names.forEach((name, i) => {
    const range = name.endsWith('/gamma') ? [0.5, 1.5] : name.endsWith('/moving_variance') ? [0.3, 2] : name.includes('/beta') || name.includes('/moving_mean') ? [-0.5, 0.5] : null;
    if (range !== null) weights.data[i].forEach((_, j, a) => (a[j] = u(range[0], range[1])));
  });
  setWeights(model, weights);
  return weights;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function onnxOutput(bytes: Uint8Array, images: ReturnType<typeof bandImages>['images'], layout: InputLayout): Promise<Float32Array> {
  const session = await createCpuSession(bytes, { threads: 1 });
  try {
    const { n, height, width, channels } = images;
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const nchw = new Float32Array(images.pixels.length);
    fillNchwBatch(images, rows, 0, n, nchw);
    const input = layout === 'nchw' ? floatTensor(nchw, [n, channels, height, width]) : floatTensor(Float32Array.from(images.pixels, (p) => p / 255), [n, height, width, channels]);
    const out = await session.run({ image: input });
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

const cases: readonly { arch: ArchitectureSpec | 'tutorial-j-cnn' | 'tutorial-g-cnn'; shape: [number, number, number]; classes: number; layout: InputLayout }[] = [
  { arch: 'tutorial-j-cnn', shape: [48, 48, 1], classes: 2, layout: 'nchw' },
  { arch: 'tutorial-g-cnn', shape: [28, 28, 1], classes: 10, layout: 'nchw' },
  { arch: COLOUR_NET, shape: [10, 9, 3], classes: 4, layout: 'nhwc' },
];

describe('ONNX forward graph from the declarative architecture', () => {
  it('transposes conv kernels between tfjs and ONNX layouts and back', () => {
    const k = Float32Array.from({ length: 3 * 2 * 4 * 5 }, (_, i) => i);
    const onnx = convKernelToOnnx(k, 3, 2, 4, 5);
    // tfjs [y=1, x=0, in=2, out=3] is ONNX [out=3, in=2, y=1, x=0].
    expect(onnx[((3 * 4 + 2) * 3 + 1) * 2 + 0]).toBe(k[((1 * 2 + 0) * 4 + 2) * 5 + 3]);
    expect(convKernelFromOnnx(onnx, 3, 2, 4, 5)).toEqual(k);
  });

  for (const c of cases) {
    const label = typeof c.arch === 'string' ? c.arch : c.arch.name;
    it(`${label}: latents, logits and probabilities equal the tfjs cpu forward to 1e-5 (${c.layout} input)`, async () => {
      const model = buildModel(c.arch, { numClasses: c.classes, seed: 11, inputShape: c.shape });
      try {
        const weights = randomiseBatchNorm(model, 5);
        const { images } = bandImages({ n: 5, height: c.shape[0], width: c.shape[1], channels: c.shape[2], numClasses: Math.min(c.classes, c.shape[0]), seed: 3 });
        const x = tf.div(tf.tensor4d(Float32Array.from(images.pixels), [images.n, ...c.shape]), 255);
        const expected: Record<ForwardOutput, Float32Array> = tf.tidy(() => {
          const output = model.apply(x, { training: false }) as tf.Tensor2D;
          const softmaxHead = model.layers.at(-1)?.getConfig().activation === 'softmax';
          const logits = softmaxHead ? tf.log(output) : output;
          return {
            latents: (bodyOf(model).apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array,
            probabilities: (softmaxHead ? output : tf.softmax(output)).dataSync() as Float32Array,
            logits: logits.dataSync() as Float32Array,
          };
        });
        x.dispose();
        const shape = onnxShapeOf(model);
        for (const output of ['latents', 'logits', 'probabilities'] as const) {
          const got = await onnxOutput(buildForwardModel(shape, weights, output, { inputLayout: c.layout }), images, c.layout);
          if (output === 'logits' && model.layers.at(-1)?.getConfig().activation === 'softmax') {
            // A softmax head's logits are known up to a per-row constant: compare their log-softmax.
            const k = c.classes;
            const logSoftmax = tf.tidy(() => tf.logSoftmax(tf.tensor2d(got, [images.n, k])).dataSync() as Float32Array);
            expect(maxAbsDiff(logSoftmax, expected.logits)).toBeLessThan(1e-5);
          } else {
            expect(maxAbsDiff(got, expected[output])).toBeLessThan(1e-5);
          }
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('refuses weights that do not fit the architecture, naming the weight', () => {
    const model = buildModel('tutorial-g-cnn', { numClasses: 3, seed: 1 });
    try {
      const weights = getWeightsByValue(model);
      const shape = { architecture: 'tutorial-g-cnn' as const, inputShape: [28, 28, 1] as const, numClasses: 4 };
      expect(() => buildForwardModel(shape, weights, 'probabilities')).toThrow(/weight 'head\/kernel' has shape 1568×3, the architecture needs 1568×4/);
      const without = { names: weights.names.slice(1), shapes: weights.shapes.slice(1), data: weights.data.slice(1) };
      expect(() => buildForwardModel({ ...shape, numClasses: 3 }, without, 'latents')).toThrow(/no weight 'conv1\/kernel'/);
    } finally {
      model.dispose();
    }
  });
});
