// Invariants of the CNN definitions: the tutorial networks have the anchor's layers and shapes (Tutorial J:
// ../shared/anchors/pytorch_tutorial_j_body.py; Tutorial G's MNIST CNN), the head is the last dense layer,
// too-small inputs fail with the layer that breaks, the same seed gives the same initial weights (on one
// backend and across backends, since the draws happen in JS), and weights round-trip by value.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildModel,
  headActivation,
  numClassesOf,
  planLayers,
  TUTORIAL_G_CNN,
  TUTORIAL_J_CNN,
  type ArchitectureSpec,
} from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { getWeightsByValue, setWeights } from '../../src-main/deep/weights';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('tutorial-j-cnn', () => {
  it('has the anchor network: 4 conv/ReLU/pool/BN blocks, only the first padded, fc 128 → 256 → K logits', () => {
    const plan = planLayers(TUTORIAL_J_CNN, [48, 48, 1], 2);
    expect(plan.map((p) => `${p.name}:${p.outputShape.join('x')}`)).toEqual([
      'conv1:48x48x16',
      'pool1:24x24x16',
      'bn1:24x24x16',
      'conv2:22x22x32',
      'pool2:11x11x32',
      'bn2:11x11x32',
      'conv3:9x9x64',
      'pool3:4x4x64',
      'bn3:4x4x64',
      'conv4:2x2x128',
      'pool4:1x1x128',
      'bn4:1x1x128',
      'flatten1:128',
      'dense1:128',
      'dense2:256',
      'head:2',
    ]);
    const model = buildModel('tutorial-j-cnn', { numClasses: 2, seed: 0 });
    expect(model.outputs[0].shape).toEqual([null, 2]);
    expect(headActivation(model)).toBe('linear');
    // PyTorch's parameter count for CNNModelNoSoftmax (conv, BN affine, fc): the anchor reports the same.
    const trainable = model.trainableWeights.reduce((n, w) => n + w.read().size, 0);
    expect(trainable).toBe(160 + 4640 + 18496 + 73856 + 2 * (16 + 32 + 64 + 128) + 16512 + 33024 + 514);
    const bn = model.getLayer('bn1').getConfig();
    expect(bn.epsilon).toBe(1e-5);
    expect(bn.momentum).toBe(0.9);
    model.dispose();
  });

  it('takes the input size and class count as parameters, and rejects an input that pools to nothing', () => {
    const model = buildModel(TUTORIAL_J_CNN, { numClasses: 5, seed: 1, inputShape: [60, 52, 1] });
    expect(model.inputs[0].shape).toEqual([null, 60, 52, 1]);
    expect(numClassesOf(model)).toBe(5);
    model.dispose();
    expect(() => planLayers(TUTORIAL_J_CNN, [40, 40, 1], 2)).toThrow("input 40×40×1 is too small: layer 'pool4' (maxPool2d) would output 0×0×128 from 1×1×128");
  });
});

describe('tutorial-g-cnn', () => {
  it('is two 5×5 padding-2 conv blocks and a softmax head', () => {
    const plan = planLayers(TUTORIAL_G_CNN, [28, 28, 1], 10);
    expect(plan.map((p) => `${p.name}:${p.outputShape.join('x')}`)).toEqual(['conv1:28x28x16', 'pool1:14x14x16', 'conv2:14x14x32', 'pool2:7x7x32', 'flatten1:1568', 'head:10']);
    const model = buildModel('tutorial-g-cnn', { numClasses: 10, seed: 0, inputShape: [12, 12, 1] });
    expect(model.outputs[0].shape).toEqual([null, 10]);
    expect(headActivation(model)).toBe('softmax');
    model.dispose();
  });
});

describe('layer specs', () => {
  it('pads explicitly when a numeric padding is not Keras "same"', () => {
    const arch: ArchitectureSpec = {
      name: 'odd-pad',
      description: 'test',
      defaultInputShape: [9, 9, 1],
      layers: [{ kind: 'conv2d', filters: 2, kernelSize: 3, padding: 2 }, { kind: 'flatten' }, { kind: 'dense', units: 'classes' }],
    };
    expect(planLayers(arch, [9, 9, 1], 3)[0].outputShape).toEqual([11, 11, 2]);
    const model = buildModel(arch, { numClasses: 3, seed: 0 });
    expect(model.layers.map((l) => l.name)).toEqual(['image', 'conv1_pad', 'conv1', 'flatten1', 'head']);
    expect(model.getLayer('conv1').outputShape).toEqual([null, 11, 11, 2]);
    model.dispose();
  });

  it('requires a dense head and a flatten before dense layers', () => {
    const base = { name: 'bad', description: 'test', defaultInputShape: [8, 8, 1] as const };
    expect(() => planLayers({ ...base, layers: [{ kind: 'flatten' }] }, [8, 8, 1], 2)).toThrow('the last layer must be the dense head');
    expect(() => planLayers({ ...base, layers: [{ kind: 'dense', units: 'classes' }] }, [8, 8, 1], 2)).toThrow('needs a flatten before it');
  });
});

describe('seeded initial weights', () => {
  const small: ArchitectureSpec = {
    name: 'small',
    description: 'test',
    defaultInputShape: [12, 12, 1],
    layers: [
      { kind: 'conv2d', filters: 4, kernelSize: 3, padding: 1, activation: 'relu' },
      { kind: 'maxPool2d', poolSize: 2 },
      { kind: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
      { kind: 'flatten' },
      { kind: 'dense', units: 8 },
      { kind: 'dense', units: 'classes' },
    ],
  };

  function initialWeights(seed: number): ReturnType<typeof getWeightsByValue> {
    const model = buildModel(small, { numClasses: 3, seed });
    const w = getWeightsByValue(model);
    model.dispose();
    return w;
  }

  it('the same seed gives the same weights, another seed different ones', () => {
    const a = initialWeights(42);
    const b = initialWeights(42);
    expect(a.names).toEqual(b.names);
    a.data.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(b.data[i])));
    const c = initialWeights(43);
    expect(Array.from(c.data[0])).not.toEqual(Array.from(a.data[0]));
  });

  it('gives the same weights on the cpu backend', async () => {
    const wasm = initialWeights(7);
    await selectBackend('cpu');
    try {
      const cpu = initialWeights(7);
      wasm.data.forEach((d, i) => expect(Array.from(cpu.data[i])).toEqual(Array.from(d)));
    } finally {
      await selectBackend('wasm');
    }
  });

  it("follows PyTorch's default init: kernels and biases within ±1/√fanIn, batch norm at 1 and 0", () => {
    const w = initialWeights(3);
    const byName = new Map(w.names.map((n, i) => [n, w.data[i]]));
    expect(w.names).toEqual([
      'conv1/kernel',
      'conv1/bias',
      'bn1/gamma',
      'bn1/beta',
      'dense1/kernel',
      'dense1/bias',
      'head/kernel',
      'head/bias',
      'bn1/moving_mean', // model.weights lists trainable weights first
      'bn1/moving_variance',
    ]);
    const within = (name: string, fanIn: number) => {
      const values = byName.get(name) as Float32Array;
      const bound = 1 / Math.sqrt(fanIn);
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.5 * bound); // uniform over the whole range
    };
    within('conv1/kernel', 9);
    within('conv1/bias', 9);
    within('dense1/kernel', 6 * 6 * 4);
    within('head/kernel', 8);
    expect(Array.from(byName.get('bn1/gamma') as Float32Array)).toEqual([1, 1, 1, 1]);
    expect(Array.from(byName.get('bn1/moving_variance') as Float32Array)).toEqual([1, 1, 1, 1]);
  });

  it('restores weights by value into a fresh model (by name), and rejects mismatches', () => {
    const stored = initialWeights(11);
    const model = buildModel(small, { numClasses: 3, seed: 99 });
    const reversed = { names: [...stored.names].reverse(), shapes: [...stored.shapes].reverse(), data: [...stored.data].reverse() };
    const before = tf.memory().numTensors;
    setWeights(model, reversed);
    expect(tf.memory().numTensors).toBe(before);
    const restored = getWeightsByValue(model);
    expect(restored.names).toEqual(stored.names);
    restored.data.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(stored.data[i])));
    expect(() => setWeights(model, { ...stored, names: stored.names.map((n) => (n === 'head/bias' ? 'head/b' : n)) })).toThrow('setWeights: no value for head/bias');
    const wrongShape = { ...stored, shapes: stored.shapes.map((s, i) => (i === 0 ? [3, 3, 1, 5] : s)) };
    expect(() => setWeights(model, wrongShape)).toThrow('setWeights: conv1/kernel has shape 3×3×1×5, the model expects 3×3×1×4');
    model.dispose();
  });
});
