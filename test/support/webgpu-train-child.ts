/**
 * Run as a child process by test/integration/webgpu-swiftshader.test.ts (the software Vulkan driver must
 * be in the environment the process starts with): trains each CNN architecture for a few batches on
 * webgpu (the adapter the process finds, software included) and, from the same initial weights and
 * batches, on the cpu backend; prints one JSON line with both weight sets' differences and tf.memory()
 * before and after the webgpu training.
 */
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURE_NAMES } from '../../src-shared/domain/architectures';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { trainClassifier } from '../../src-main/deep/train';
import { getWeightsByValueAsync, type WeightsByValue } from '../../src-main/deep/weights';
import { bandImages } from './band-images';
import { CHILD_ROWS, CHILD_TRAIN_OPTIONS } from './swiftshader';

export interface WebgpuTrainChildReport {
  readonly adapter: string;
  readonly architectures: readonly {
    readonly architecture: string;
    readonly size: number;
    /** Largest |webgpu − cpu| over every weight, and the largest |cpu| for scale. */
    readonly maxAbsDiff: number;
    readonly worst: { readonly name: string; readonly diff: number; readonly shareOver1e5: number };
    readonly maxAbsCpu: number;
    /** Largest |trained − initial| on cpu: how far training moved the weights. */
    readonly maxMoved: number;
    readonly lossWebgpu: number;
    readonly lossCpu: number;
    readonly tensorsBefore: number;
    readonly tensorsAfter: number;
    readonly bytesBefore: number;
    readonly bytesAfter: number;
  }[];
}

/** Tutorial G's CNN at 28×28 (MNIST's size); Tutorial J's needs at least 44×44, so its own 48×48. */
const SIZES: Readonly<Record<(typeof ARCHITECTURE_NAMES)[number], number>> = { 'tutorial-g-cnn': 28, 'tutorial-j-cnn': 48 };

async function train(architecture: (typeof ARCHITECTURE_NAMES)[number]): Promise<{ initial: WeightsByValue; trained: WeightsByValue; loss: number }> {
  const size = SIZES[architecture];
  const { images, labels } = bandImages({ n: CHILD_ROWS, height: size, width: size, numClasses: 2, seed: 3 });
  const model = buildModel(architecture, { numClasses: 2, seed: 17, inputShape: [size, size, 1] });
  try {
    const initial = await getWeightsByValueAsync(model);
    const result = await trainClassifier(model, images, labels, { start: 0, end: images.n }, CHILD_TRAIN_OPTIONS);
    return { initial, trained: await getWeightsByValueAsync(model), loss: result.epochs[0].meanLoss };
  } finally {
    model.dispose();
  }
}

/** The weight with the largest |a − b|, and the share of all values that differ by more than 1e-5. */
function worst(a: WeightsByValue, b: WeightsByValue): { name: string; diff: number; shareOver1e5: number } {
  let name = '';
  let diff = 0;
  let over = 0;
  let total = 0;
  a.data.forEach((values, w) => {
    for (let i = 0; i < values.length; i++) {
      const d = Math.abs(values[i] - b.data[w][i]);
      if (d > diff) [diff, name] = [d, a.names[w]];
      if (d > 1e-5) over++;
      total++;
    }
  });
  return { name, diff, shareOver1e5: over / total };
}

function maxAbs(a: WeightsByValue, b?: WeightsByValue): number {
  let max = 0;
  a.data.forEach((values, w) => {
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] - (b === undefined ? 0 : b.data[w][i])));
  });
  return max;
}

const report: WebgpuTrainChildReport['architectures'][number][] = [];
let adapter = '';
for (const architecture of ARCHITECTURE_NAMES) {
  const chosen = await selectBackend('webgpu', undefined, { syncReads: false });
  adapter = chosen.adapter?.description ?? '';
  const before = tf.memory();
  const gpu = await train(architecture);
  const after = tf.memory();
  await selectBackend('cpu');
  const cpu = await train(architecture);
  report.push({
    architecture,
    size: SIZES[architecture],
    maxAbsDiff: maxAbs(gpu.trained, cpu.trained),
    worst: worst(gpu.trained, cpu.trained),
    maxAbsCpu: maxAbs(cpu.trained),
    maxMoved: maxAbs(cpu.trained, cpu.initial),
    lossWebgpu: gpu.loss,
    lossCpu: cpu.loss,
    tensorsBefore: before.numTensors,
    tensorsAfter: after.numTensors,
    bytesBefore: before.numBytes,
    bytesAfter: after.numBytes,
  });
}
process.stdout.write(`${JSON.stringify({ adapter, architectures: report } satisfies WebgpuTrainChildReport)}\n`);
