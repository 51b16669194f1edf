/**
 * Experiment bench: the engine-only cost of a Seldonian experiment's trials on Tutorial J's head problem
 * (a generated 23,700 × 256 float32 latent-feature case, the accuracy-ratio constraint, 1200 iterations,
 * α = 0.01, frac_safety 0.5, random initial head), `qsa-features` only, 3 trials × 6 data fractions. Each trial (resample
 * prefix → QSA → ground-truth scoring) is timed on this thread; then the same trials run in worker
 * threads (one per core) for the wall time per trial an experiment sees. No database: trials run
 * through the experiment library's TrialExecutor and worker pool directly.
 *
 * The kernel is the experiments' own choice (createQsaKernel): SIMD where a trial's feature matrix has
 * ≥ 2^20 values (here φ ≥ 0.25), on every core on this thread and on ⌊cores / workers⌋ in each worker,
 * as the runner shares them; JS below. `--kernel js` forces the JS kernel everywhere, for comparison.
 *
 *   npx esbuild bench/experiment.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=out/bench/experiment.mjs && node out/bench/experiment.mjs [--trials 3] [--iterations 1200] [--workers N] [--kernel auto|js]
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { kernelThreadsFor } from '../src-main/engine/kernels/select';
import { compileExperimentConstraints } from '../src-main/experiments/constraints';
import { bootstrapIndices, deriveExperimentSeed, SEED_STREAM, trialRows } from '../src-main/experiments/resample';
import { TrialExecutor } from '../src-main/experiments/trial-executor';
import { DEFAULT_QSA_SETTINGS, type ExperimentDataset, type ExperimentSettings, type TrialResult, type TrialTask } from '../src-main/experiments/types';
import type { TrialSlot } from '../src-main/experiments/trial-slot';
import { startWorkerSlot } from '../src-main/jobs/trial-threads/pool';
import { TRIAL_WORKER_MARKER } from '../src-main/jobs/trial-threads/protocol';
import { serveTrialWorker } from '../src-main/jobs/trial-threads/serve';
import { makeSyntheticHead } from './synthetic-head';

if (!isMainThread && parentPort && workerData === TRIAL_WORKER_MARKER) {
  // This file is also the bench's worker entry.
  void serveTrialWorker(parentPort);
} else {
  await main();
}

function shared<T extends Float64Array | Float32Array | Uint8Array>(array: T): T {
  const Constructor = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Constructor(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

/** Which kernel a trial's QSA ran on, e.g. `SIMD ×2 threads` or `JS`. */
function kernelName(r: TrialResult | undefined): string {
  const k = r?.kernel;
  if (!k) return 'no kernel reported';
  return k.name === 'simd' ? `SIMD ×${k.threads} thread${k.threads === 1 ? '' : 's'}` : 'JS';
}

function minutes(seconds: number): string {
  return `${(seconds / 60).toFixed(3)} min`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '23700' },
      features: { type: 'string', default: '256' },
      trials: { type: 'string', default: '3' },
      iterations: { type: 'string', default: '1200' },
      fractions: { type: 'string', default: '0.001,0.004,0.016,0.063,0.25,1' },
      workers: { type: 'string', default: String(availableParallelism()) },
      seed: { type: 'string', default: '1' },
      kernel: { type: 'string', default: 'auto' },
    },
  });
  if (values.kernel !== 'auto' && values.kernel !== 'js') throw new Error(`--kernel is auto or js, got '${values.kernel}'`);
  const kernelChoice: 'auto' | 'js' = values.kernel === 'js' ? 'js' : 'auto';
  const nRows = Number(values.rows), nFeatures = Number(values.features), nTrials = Number(values.trials);
  const fractions = values.fractions.split(',').map(Number);
  const workers = Number(values.workers);
  const head = makeSyntheticHead(nRows, nFeatures, Number(values.seed));
  const dataset: ExperimentDataset = {
    nRows,
    nClasses: 2,
    labels: shared(head.labels),
    sensitiveColumns: ['M', 'F'],
    sensitive: shared(head.sensitive),
    features: shared(head.features),
    nFeatures,
  };
  const constraints = compileExperimentConstraints([{ source: 'min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8', delta: 0.05 }], dataset);
  const settings: ExperimentSettings = {
    fractions,
    nTrials,
    models: [{ name: 'qsa-features', type: 'qsa-features', kind: 'seldonian', params: {} }],
    performance: 'accuracy',
    threshold: 0.5,
    qsa: { ...DEFAULT_QSA_SETTINGS, iterations: Number(values.iterations), alphaTheta: 0.01, alphaLambda: 0.01, fracSafety: 0.5, thetaInit: 'random' },
  };
  const seed = 12345;
  const tasks: TrialTask[] = [];
  for (let trialIndex = 0; trialIndex < nTrials; trialIndex++) {
    const resample = bootstrapIndices(nRows, deriveExperimentSeed(seed, SEED_STREAM.resample, trialIndex));
    fractions.forEach((fraction, fractionIndex) => tasks.push({ model: 'qsa-features', fractionIndex, fraction, trialIndex, rows: trialRows(resample, fraction) }));
  }
  console.log(
    `experiment bench: ${nRows} × ${nFeatures} float32 features, ${nTrials} trials × ${fractions.length} fractions (${fractions.join(', ')}), ` +
      `qsa-features, ${settings.qsa.iterations} iterations, kernel ${kernelChoice === 'js' ? 'JS (forced)' : 'auto (SIMD for ≥ 2^20 values, JS below)'}`,
  );

  // 1. Engine-only cost per trial, one at a time on this thread.
  const executor = new TrialExecutor({ dataset, constraints, settings, seed, kernel: { kernel: kernelChoice } });
  const serial: TrialResult[] = [];
  const started = performance.now();
  for (const task of tasks) {
    const r = await executor.run(task);
    serial.push(r);
    console.log(
      `  trial ${r.trialIndex} φ=${r.fraction} (${r.nRows} rows): ${r.passed ? `passed, accuracy ${r.performance.toFixed(4)}` : 'NSF'} in ${r.durationSeconds.toFixed(2)} s ` +
        `on ${kernelName(r)}`,
    );
  }
  const serialSeconds = (performance.now() - started) / 1000;
  executor.dispose();
  const perFraction = fractions.map((f) => {
    const at = serial.filter((r) => r.fraction === f);
    return { fraction: f, seconds: at.reduce((s, r) => s + r.durationSeconds, 0) / at.length, passed: at.filter((r) => r.passed).length, kernel: kernelName(at[0]) };
  });
  console.log('per fraction (mean over trials):');
  for (const p of perFraction) console.log(`  φ=${p.fraction}: ${p.seconds.toFixed(2)} s per trial, ${p.passed}/${nTrials} passed, ${p.kernel}`);
  const perTrial = serialSeconds / tasks.length;
  console.log(`engine-only, one trial at a time on this thread: ${serialSeconds.toFixed(1)} s for ${tasks.length} trials = ${minutes(perTrial)} per trial (${perTrial.toFixed(2)} s)`);
  console.log(`  a full sweep (all ${fractions.length} fractions of one trial): ${minutes(perFraction.reduce((s, p) => s + p.seconds, 0))}`);

  // 2. The same trials in worker threads: wall time per trial as an experiment runs them.
  if (workers > 1) {
    const entry = { filename: fileURLToPath(import.meta.url) };
    // Each worker's kernels get its share of the cores, as the experiment runner gives them.
    const init = { type: 'init' as const, dataset, constraints, settings, seed, kernel: { kernel: kernelChoice, threads: kernelThreadsFor(workers) } };
    const parallelStart = performance.now();
    const slots: TrialSlot[] = await Promise.all(Array.from({ length: workers }, () => startWorkerSlot(entry, init)));
    const queue = [...tasks];
    const parallel: TrialResult[] = [];
    await Promise.all(
      slots.map(async (slot) => {
        for (let task = queue.shift(); task; task = queue.shift()) parallel.push(await slot.run(task));
      }),
    );
    await Promise.all(slots.map((s) => s.close()));
    const parallelSeconds = (performance.now() - parallelStart) / 1000;
    const same = parallel.every((p) => {
      const s = serial.find((r) => r.fraction === p.fraction && r.trialIndex === p.trialIndex)!;
      return s.passed === p.passed && (Object.is(s.performance, p.performance) || s.performance === p.performance);
    });
    const kernels = [...new Set(parallel.map(kernelName))].join(', ');
    console.log(
      `${workers} worker threads (kernels: ${kernels}): ${parallelSeconds.toFixed(1)} s wall = ${minutes(parallelSeconds / tasks.length)} per trial ` +
        `(${(serialSeconds / parallelSeconds).toFixed(2)}× one at a time), results identical: ${same}`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
