/**
 * Run as a child process by test/integration/webgpu-full-run.test.ts (the software Vulkan driver must
 * be in the environment the process starts with): the same full-model run (Tutorial G's CNN is the
 * Seldonian model, a few QSA mini-batches) on `--backend webgpu` and on the CPU (wasm), then a webgpu run
 * cancelled through the run's cancel flag after its first iteration (argument `runs`); or a `qsa-full`
 * experiment trial on webgpu and on wasm (argument `trials`); prints one JSON line with what
 * each run stored and tf.memory() around each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compileConstraint } from '../../src-shared/constraint';
import { qsaFullModelType } from '../../src-main/experiments/models/deep';
import { DEFAULT_QSA_SETTINGS, type ExperimentDataset } from '../../src-main/experiments/types';
import { executeRun } from '../../src-main/runs/pipeline';
import { prepareRun } from '../../src-main/runs/prepare';
import type { RunRequest } from '../../src-main/runs/types';
import { openWorkspace } from '../../src-main/store/database';
import { getRunIterations, getRunWeights, runResultCounts } from '../../src-main/store/run-results';
import { getRun, insertRun, requestRunCancel, type RunInfo } from '../../src-main/store/runs';
import { bandImages } from './band-images';
import { insertSyntheticImageDataset } from './synthetic-image-dataset';

export interface FullRunRecord {
  readonly status: string;
  readonly error: string | null;
  readonly backend: RunInfo['backend'];
  readonly iterations: readonly { readonly f: number; readonly g: readonly number[] }[];
  readonly chosenIndex: number | null;
  readonly thetaInitial: readonly number[];
  readonly thetaCandidate: readonly number[] | null;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly seconds: number;
}

/** One qsa-full experiment trial: the backend it ran on, its solution θ and predictions (or NSF). */
export interface QsaFullTrialRecord {
  readonly backend: string;
  readonly kind: 'solution' | 'nsf';
  readonly reason: string | null;
  readonly theta: readonly number[] | null;
  readonly predictions: readonly number[] | null;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
}

/** `node child.mjs trials`: two qsa-full trials. */
export interface WebgpuQsaFullTrialsReport {
  readonly webgpu: QsaFullTrialRecord;
  readonly wasm: QsaFullTrialRecord;
}

/** `node child.mjs runs`: the full-model runs. */
export interface WebgpuFullRunChildReport {
  readonly request: RunRequest;
  readonly webgpu: FullRunRecord;
  readonly cpu: FullRunRecord;
  readonly cancelled: FullRunRecord & { readonly storedResults: Readonly<Record<string, number>> };
  /** process warnings, e.g. the pipeline's "left N tensor(s) allocated". */
  readonly warnings: readonly string[];
}

/**
 * 30 rows at 28×28: 20 candidate rows in mini-batches of 10 × 2 epochs = 4 iterations, and 10 safety
 * rows, the batches' shape, so the safety test reuses their shaders (SwiftShader compiles each one on the
 * CPU). A loose constraint, feasible at every iteration, so the candidate is the iterate of lowest loss,
 * after at least one step.
 */
const FULL_RUN_REQUEST: RunRequest = {
  dataset: 'bands',
  constraints: [{ source: 'ACC >= 0.2', delta: 0.05 }],
  pipeline: 'full',
  architecture: 'tutorial-g-cnn',
  epochs: 2,
  batchSize: 10,
  learningRate: 0.002,
  fracSafety: 1 / 3,
  seed: 4,
};

/**
 * A `qsa-full` trial (Tutorials G/H in an experiment) on the same kind of data: 20 rows, the first 10
 * in mini-batches of 5 × 2 epochs = 4 iterations, the last 10 the safety rows.
 */
async function qsaFullTrial(backend: 'webgpu' | 'wasm'): Promise<QsaFullTrialRecord> {
  const n = 20;
  const { images, labels } = bandImages({ n, height: 28, width: 28, numClasses: 2, seed: 21 });
  const sensitive = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) sensitive[i * 2 + (i % 3 === 0 ? 0 : 1)] = 1;
  const dataset: ExperimentDataset = {
    nRows: n,
    nClasses: 2,
    labels: Float64Array.from(labels),
    sensitiveColumns: ['A', 'B'],
    sensitive,
    images: { width: 28, height: 28, channels: 1, pixels: images.pixels },
  };
  const compiled = compileConstraint('ACC >= 0.2', { columns: ['A', 'B'], subRegime: 'classification', delta: 0.05 });
  if (!compiled.ok) throw new Error(compiled.error.message);
  const spec = { name: 'qsa-full', type: 'qsa-full', params: { architecture: 'tutorial-g-cnn', initSeed: 3, backend, batchEpochs: { '1': { batchSize: 5, epochs: 2 } } } };
  const type = qsaFullModelType();
  const tensorsBefore = tf.memory().numTensors;
  const model = type.create({
    dataset,
    constraints: [compiled.constraint],
    settings: { fractions: [1], nTrials: 1, models: [{ ...spec, kind: 'seldonian' }], performance: 'accuracy', threshold: 0.5, qsa: { ...DEFAULT_QSA_SETTINGS, fracSafety: 0.5 } },
    spec,
  });
  let record: Omit<QsaFullTrialRecord, 'tensorsBefore' | 'tensorsAfter'>;
  try {
    const fit = await model.fit({ rows: Int32Array.from({ length: n }, (_, i) => i), fraction: 1, fractionIndex: 0, trialIndex: 0, seed: 5 });
    const ranOn = tf.getBackend();
    record =
      fit.kind === 'solution'
        ? { backend: ranOn, kind: 'solution', reason: null, theta: Array.from(fit.theta ?? []), predictions: Array.from(fit.predictor.predict()) }
        : { backend: ranOn, kind: 'nsf', reason: fit.reason, theta: null, predictions: null };
  } finally {
    model.dispose?.();
  }
  return { ...record, tensorsBefore, tensorsAfter: tf.memory().numTensors };
}

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(w.message));

async function fullRuns(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fairbound-webgpu-full-'));
  const db = openWorkspace(join(dir, 'w.db'));
  try {
    insertSyntheticImageDataset(db, { name: 'bands', n: 30, size: 28, numClasses: 2, seed: 21 });

    const run = async (request: RunRequest, cancelAfter?: number): Promise<FullRunRecord & { storedResults: Readonly<Record<string, number>> }> => {
      const runId = insertRun(db, prepareRun(db, request).run);
      const started = performance.now();
      const before = tf.memory();
      const outcome = await executeRun(db, runId, {
        cancelPollMs: 0,
        iterationEventMs: 0,
        onEvent: (e) => {
          if (cancelAfter !== undefined && e.type === 'iteration' && e.iteration === cancelAfter) requestRunCancel(db, runId);
        },
      });
      const after = tf.memory();
      const info = getRun(db, runId)!;
      const candidate = getRunWeights(db, runId, 'theta_candidate');
      return {
        status: outcome.status,
        error: outcome.error,
        backend: info.backend,
        iterations: getRunIterations(db, runId).map((it) => ({ f: it.f, g: it.g })),
        chosenIndex: info.result?.candidateSelection.chosenIndex ?? null,
        thetaInitial: Array.from(getRunWeights(db, runId, 'theta_initial')?.data ?? []),
        thetaCandidate: candidate ? Array.from(candidate.data) : null,
        tensorsBefore: before.numTensors,
        tensorsAfter: after.numTensors,
        bytesBefore: before.numBytes,
        bytesAfter: after.numBytes,
        storedResults: runResultCounts(db, runId),
        seconds: (performance.now() - started) / 1000,
      };
    };

    const webgpu = await run({ ...FULL_RUN_REQUEST, backend: 'webgpu' });
    // TF.js's wasm backend: a CPU one, far quicker than the pure-JS `cpu` on these convolutions.
    const cpu = await run({ ...FULL_RUN_REQUEST, backend: 'wasm' });
    // Many epochs: still in candidate selection when the cancel comes, after iteration 0 (seen in its vjp).
    const cancelled = await run({ ...FULL_RUN_REQUEST, epochs: 200, backend: 'webgpu' }, 0);
    process.stdout.write(`${JSON.stringify({ request: FULL_RUN_REQUEST, webgpu, cpu, cancelled, warnings } satisfies WebgpuFullRunChildReport)}\n`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Two children rather than one, each within about half a minute of CPU (SwiftShader runs the shaders).
if (process.argv[2] === 'trials') {
  const report: WebgpuQsaFullTrialsReport = { webgpu: await qsaFullTrial('webgpu'), wasm: await qsaFullTrial('wasm') };
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else await fullRuns();
