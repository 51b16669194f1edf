/**
 * Tutorial J CNN training throughput on ONNX Runtime's CPU kernels (trainClassifierOnCpu), 48×48×1,
 * batch 100, Adam: images/s over --batches batches after one warm-up batch. Small and quick, to compare
 * two builds of the trainer side by side (run them interleaved, the machine's load varies).
 *
 *   npx esbuild bench/onnx-train-speed.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=out/bench/onnx-train-speed.mjs && node out/bench/onnx-train-speed.mjs [--batches 20]
 */
import { parseArgs } from 'node:util';
import { buildModel } from '../src-main/deep/architectures';
import { selectBackend } from '../src-main/deep/backends';
import { trainClassifierOnCpu } from '../src-main/deep/onnx/train';
import { bandImages } from '../test/support/band-images';

const BATCH = 100;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { batches: { type: 'string', default: '20' } } });
  const batches = Number(values.batches);
  await selectBackend('wasm');
  const { images, labels } = bandImages({ n: BATCH * (batches + 1), height: 48, width: 48, numClasses: 2, seed: 1 });
  const model = buildModel('tutorial-j-cnn', { numClasses: 2, seed: 0 });
  const stamps: number[] = [];
  let lastLoss = 0;
  await trainClassifierOnCpu(model, images, labels, { start: 0, end: BATCH * (batches + 1) }, {
    epochs: 1,
    batchSize: BATCH,
    learningRate: 1e-3,
    seed: 0,
    shuffle: false,
    onBatch: (p) => {
      stamps.push(performance.now());
      lastLoss = p.loss;
    },
  });
  model.dispose();
  const seconds = (stamps[stamps.length - 1] - stamps[0]) / 1000;
  console.log(JSON.stringify({ bench: 'onnx-train-speed', batches, imagesPerSecond: (BATCH * batches) / seconds, lastLoss }));
}

await main();
