/**
 * CNN throughput per TensorFlow.js backend and on ONNX Runtime's CPU kernels (`onnx`: the route runs and
 * experiments take where tfjs would compute on the CPU, deep/onnx/route.ts): Tutorial J's CNN at 48×48,
 * batch 100, training (Adam, one update per batch) and inference (predictProbabilities) in images per
 * second, after a warm-up batch; and the peak RSS of training + latent extraction on 70,000 28×28 images
 * (Tutorial G's CNN).
 *
 *   npx esbuild bench/deep-cnn.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=out/bench/deep-cnn.mjs && node out/bench/deep-cnn.mjs [--backends onnx,wasm,cpu]
 *     [--train-batches 8] [--infer-batches 20] [--cpu-train-batches 2] [--cpu-infer-batches 2] [--no-memory]
 *
 * The cpu backend needs about 100 s per training batch of 100 here, hence its separate, small counts.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src-main/deep/architectures';
import { selectBackend, type BackendPreference } from '../src-main/deep/backends';
import { extractLatents, predictProbabilities } from '../src-main/deep/inference';
import { bandImages } from '../test/support/band-images';
import { trainClassifier, type TrainOptions, type TrainResult } from '../src-main/deep/train';
import type { ImageSet, RowSelection } from '../src-main/deep/images';
import { trainClassifierOnCpu } from '../src-main/deep/onnx/train';
import { ONNX_RUNTIME_VERSION } from '../src-main/deep/onnx/session';
import { availableParallelism } from 'node:os';

const BATCH = 100;

interface Throughput {
  readonly backend: string;
  readonly detail: string;
  readonly trainImagesPerSecond: number;
  readonly trainBatchesTimed: number;
  readonly inferImagesPerSecond: number;
  readonly inferBatchesTimed: number;
}

type Trainer = (model: tf.LayersModel, images: ImageSet, labels: Int32Array, rows: RowSelection, options: TrainOptions) => Promise<TrainResult>;

/** `onnx`: ONNX Runtime for training and inference (tfjs on wasm only builds the model). */
async function measure(name: BackendPreference | 'onnx', trainBatches: number, inferBatches: number): Promise<Throughput> {
  const onnx = name === 'onnx';
  const report = await selectBackend(onnx ? 'wasm' : name);
  const detail = onnx ? `onnxruntime-node ${ONNX_RUNTIME_VERSION}, CPU kernels, ${availableParallelism()} intra-op threads` : (report.attempts.at(-1)?.reason ?? '');
  const train: Trainer = onnx ? trainClassifierOnCpu : trainClassifier;
  const engine = onnx ? 'onnx' : 'tfjs';
  // +1 batch each: the first batch (kernel set-up, XNNPACK packing, variable creation) is not timed.
  const { images, labels } = bandImages({ n: BATCH * (Math.max(trainBatches, inferBatches) + 1), height: 48, width: 48, numClasses: 2, seed: 1 });
  const model = buildModel('tutorial-j-cnn', { numClasses: 2, seed: 0 });
  const stamps: number[] = [];
  await train(model, images, labels, { start: 0, end: BATCH * (trainBatches + 1) }, {
    epochs: 1,
    batchSize: BATCH,
    learningRate: 1e-3,
    seed: 0,
    shuffle: false,
    onBatch: () => stamps.push(performance.now()),
  });
  const trainSeconds = (stamps[stamps.length - 1] - stamps[0]) / 1000;
  await predictProbabilities(model, images, { batchSize: BATCH, rows: { start: 0, end: BATCH }, engine });
  const t0 = performance.now();
  await predictProbabilities(model, images, { batchSize: BATCH, rows: { start: BATCH, end: BATCH * (inferBatches + 1) }, engine });
  const inferSeconds = (performance.now() - t0) / 1000;
  model.dispose();
  return {
    backend: onnx ? 'onnx' : report.name,
    detail,
    trainImagesPerSecond: (BATCH * trainBatches) / trainSeconds,
    trainBatchesTimed: trainBatches,
    inferImagesPerSecond: (BATCH * inferBatches) / inferSeconds,
    inferBatchesTimed: inferBatches,
  };
}

/** 70,000 Fashion-MNIST-sized images: a few training batches and latents for every row, on wasm. */
async function memory(): Promise<Record<string, number>> {
  await selectBackend('wasm');
  const n = 70_000;
  const { images, labels } = bandImages({ n, height: 28, width: 28, numClasses: 10, seed: 2 });
  const model = buildModel('tutorial-g-cnn', { numClasses: 10, seed: 0 });
  const controller = new AbortController();
  let batches = 0;
  const t0 = performance.now();
  await trainClassifier(model, images, labels, { start: 0, end: n }, {
    epochs: 1,
    batchSize: BATCH,
    learningRate: 1e-3,
    seed: 0,
    signal: controller.signal,
    onBatch: () => {
      if (++batches === 50) controller.abort();
    },
  }).catch((e: unknown) => {
    if (!(e instanceof Error && e.name === 'CancelledError')) throw e;
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const rssAfterTrain = process.memoryUsage().rss;
  const t1 = performance.now();
  const latents = await extractLatents(model, images, { batchSize: 500 });
  const extractSeconds = (performance.now() - t1) / 1000;
  model.dispose();
  return {
    rows: n,
    latentDim: latents.length / n,
    pixelBytesMB: images.pixels.byteLength / 2 ** 20,
    latentBytesMB: latents.byteLength / 2 ** 20,
    trainBatches: batches,
    trainImagesPerSecond: (batches * BATCH) / trainSeconds,
    extractImagesPerSecond: n / extractSeconds,
    rssAfterTrainMB: rssAfterTrain / 2 ** 20,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    tensorsLeft: tf.memory().numTensors,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backends: { type: 'string', default: 'onnx,wasm,cpu' },
      'train-batches': { type: 'string', default: '8' },
      'infer-batches': { type: 'string', default: '20' },
      'cpu-train-batches': { type: 'string', default: '2' },
      'cpu-infer-batches': { type: 'string', default: '2' },
      'no-memory': { type: 'boolean', default: false },
    },
  });
  const results: Throughput[] = [];
  for (const name of values.backends.split(',')) {
    const cpu = name === 'cpu';
    const trainBatches = Number(cpu ? values['cpu-train-batches'] : values['train-batches']);
    const inferBatches = Number(cpu ? values['cpu-infer-batches'] : values['infer-batches']);
    const r = await measure(name as BackendPreference | 'onnx', trainBatches, inferBatches);
    results.push(r);
    console.log(JSON.stringify({ bench: 'tutorial-j-cnn 48x48 batch 100', ...r }));
  }
  console.log('\nTutorial J CNN, 48×48×1, batch 100 (images/s, after one warm-up batch)');
  for (const r of results) {
    console.log(
      `  ${r.backend.padEnd(10)} train ${r.trainImagesPerSecond.toFixed(1).padStart(8)} (${r.trainBatchesTimed} batches)` +
        `   infer ${r.inferImagesPerSecond.toFixed(0).padStart(6)} (${r.inferBatchesTimed} batches)   ${r.detail}`,
    );
  }
  if (!values['no-memory']) {
    const m = await memory();
    console.log(JSON.stringify({ bench: 'tutorial-g-cnn 70,000 x 28x28 on wasm', ...m }));
  }
}

await main();
