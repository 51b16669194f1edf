/**
 * Tutorial J's CNN at 48×48, batch 100 (20 on a software adapter), in images per second per backend link that loads here: training
 * (Adam, one update per batch) and inference, after an untimed warm-up batch. webgpu is measured on the
 * adapter Dawn finds; where that is none and chromium's SwiftShader is installed, in a child process with
 * SwiftShader in its environment (the dynamic loader reads it only at start), marked "software". The cpu
 * backend (≈100 s per training batch) is in deep-cnn.ts's table. Each row names the engine that computed
 * it: the TF.js rows train and infer on TF.js's backend itself (no ONNX Runtime route), and the
 * `onnxruntime` row is the chain's ONNX Runtime link (TF.js wasm holding the weights), which a head run
 * takes where the chain reaches the CPU.
 *
 *   node out/bench/backends-throughput.mjs [--backends tensorflow,webgpu,onnxruntime,wasm] [--train-batches 4] [--infer-batches 10] [--batch 100]
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildModel } from '../src-main/deep/architectures';
import { BackendSelectionError, defaultLoaders, selectBackend, type BackendPreference } from '../src-main/deep/backends';
import { predictProbabilities } from '../src-main/deep/inference';
import { withOnnxRuntimeLink } from '../src-main/deep/onnx/link';
import { trainOnChosenEngine } from '../src-main/deep/onnx/route';
import { bandImages } from '../test/support/band-images';
import { hasSwiftShader, SWIFTSHADER_ENV } from '../test/support/swiftshader';

const DEFAULT_BATCH = 100;
const SOFTWARE_BATCH = 20;
/** Set in the SwiftShader child: it measures webgpu only and prints one JSON line. */
const CHILD_FLAG = '--swiftshader-child';

export interface BackendThroughput {
  readonly preference: BackendPreference;
  readonly backend: string;
  readonly detail: string;
  readonly software: boolean;
  readonly batch: number;
  readonly trainImagesPerSecond: number;
  readonly inferImagesPerSecond: number;
  readonly trainBatchesTimed: number;
  readonly inferBatchesTimed: number;
}

async function measure(link: BackendPreference, trainBatches: number, inferBatches: number, batchSize: number): Promise<BackendThroughput> {
  const onnx = link === 'onnxruntime';
  // ONNX Runtime's link stands in front of TF.js wasm, which holds the weights (it throws where ONNX Runtime does not load).
  const selected = await selectBackend(link, defaultLoaders, { syncReads: false });
  const report = onnx ? await withOnnxRuntimeLink(selected) : selected;
  const engine = onnx ? 'onnx' : 'tfjs';
  const software = report.adapter?.software === true;
  // A software adapter runs shaders on the CPU (minutes per batch of 100 on a busy 2-core machine): one
  // small batch says enough.
  const batch = software ? Math.min(SOFTWARE_BATCH, batchSize) : batchSize;
  const train = software ? 1 : trainBatches;
  const infer = software ? 1 : inferBatches;
  const { images, labels } = bandImages({ n: batch * (Math.max(train, infer) + 1), height: 48, width: 48, numClasses: 2, seed: 1 });
  const model = buildModel('tutorial-j-cnn', { numClasses: 2, seed: 0 });
  try {
    const stamps: number[] = [];
    await trainOnChosenEngine(
      model,
      images,
      labels,
      { start: 0, end: batch * (train + 1) },
      { epochs: 1, batchSize: batch, learningRate: 1e-3, seed: 0, shuffle: false, onBatch: () => stamps.push(performance.now()) },
      engine,
    );
    const trainSeconds = (stamps[stamps.length - 1] - stamps[0]) / 1000;
    // The row's own engine: on wasm/cpu, `auto` would otherwise take ONNX Runtime's route (its own row).
    await predictProbabilities(model, images, { batchSize: batch, rows: { start: 0, end: batch }, engine });
    const t0 = performance.now();
    await predictProbabilities(model, images, { batchSize: batch, rows: { start: batch, end: batch * (infer + 1) }, engine });
    const inferSeconds = (performance.now() - t0) / 1000;
    const detail = onnx ? report.attempts.find((a) => a.candidate === 'onnxruntime') : report.attempts.at(-1);
    return {
      preference: link,
      backend: onnx ? 'onnxruntime' : report.name,
      detail: detail?.reason ?? '',
      software,
      batch,
      trainImagesPerSecond: (batch * train) / trainSeconds,
      inferImagesPerSecond: (batch * infer) / inferSeconds,
      trainBatchesTimed: train,
      inferBatchesTimed: infer,
    };
  } finally {
    model.dispose();
  }
}

/** webgpu on SwiftShader, in a child started with it in its environment. */
function measureOnSwiftShader(): BackendThroughput | string {
  const r = spawnSync(process.execPath, [process.argv[1], CHILD_FLAG], { encoding: 'utf8', env: { ...process.env, ...SWIFTSHADER_ENV }, timeout: 900_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return `SwiftShader child failed (exit ${r.status}): ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return JSON.parse(line) as BackendThroughput;
}

/** Measures each link in `preferences` that loads; one line per link that does not, with the reason. */
export async function backendsThroughput(preferences: readonly BackendPreference[], trainBatches: number, inferBatches: number, batchSize = DEFAULT_BATCH): Promise<void> {
  console.log(`\nTutorial J CNN 48×48, images/s per backend link that loads (software: runs on the CPU)`);
  console.log(['preference', 'backend', 'train img/s', 'infer img/s', 'batch', 'batches (train/infer)', 'detail'].join(' | '));
  for (const preference of preferences) {
    let row: BackendThroughput | string;
    try {
      row = await measure(preference, trainBatches, inferBatches, batchSize);
    } catch (error) {
      const reason = error instanceof BackendSelectionError ? error.attempts.map((a) => a.reason).join('; ') : String(error);
      // No hardware adapter: the software one, measured apart.
      row = preference === 'webgpu' && hasSwiftShader() ? measureOnSwiftShader() : `does not load: ${reason}`;
    }
    if (typeof row === 'string') {
      console.log(`${preference} | — | — | — | — | — | ${row}`);
      continue;
    }
    const marker = row.software ? ' (software)' : '';
    console.log(
      `${row.preference} | ${row.backend}${marker} | ${row.trainImagesPerSecond.toFixed(1)} | ${row.inferImagesPerSecond.toFixed(1)} | ${row.batch} | ` +
        `${row.trainBatchesTimed}/${row.inferBatchesTimed} | ${row.detail}`,
    );
  }
}

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'tensorflow,webgpu,onnxruntime,wasm' },
    batch: { type: 'string', default: String(DEFAULT_BATCH) },
    'train-batches': { type: 'string', default: '4' },
    'infer-batches': { type: 'string', default: '10' },
    'swiftshader-child': { type: 'boolean', default: false },
  },
});
if (values['swiftshader-child']) {
  process.stdout.write(`${JSON.stringify(await measure('webgpu', 1, 1, SOFTWARE_BATCH))}\n`);
} else {
  await backendsThroughput(values.backends.split(',') as BackendPreference[], Number(values['train-batches']), Number(values['infer-batches']), Number(values.batch));
}
