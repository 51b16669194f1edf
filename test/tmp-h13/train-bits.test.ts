import { test } from 'vitest';
import { createHash } from 'node:crypto';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { trainClassifierOnCpu } from '../../src-main/deep/onnx/train';
import { getWeightsByValue } from '../../src-main/deep/weights';
import { bandImages } from '../support/band-images';
test('bits', async () => {
  await selectBackend('cpu');
  for (const [arch, size] of [['tutorial-j-cnn', 48], ['tutorial-g-cnn', 28]] as const) {
    const { images, labels } = bandImages({ n: 8, height: size, width: size, numClasses: 2, seed: 6 });
    const m = buildModel(arch, { numClasses: 2, seed: 9 });
    await trainClassifierOnCpu(m, images, labels, { start: 0, end: 8 }, { epochs: 1, batchSize: 4, learningRate: 1e-3, seed: 1, shuffle: false }, { threads: 1 });
    const h = createHash('sha256');
    for (const d of getWeightsByValue(m).data) h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    console.log('BITS', arch, h.digest('hex'));
  }
}, 60000);
