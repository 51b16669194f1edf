/**
 * Run as a child process by test/integration/webgpu-experiment.test.ts (the software Vulkan driver must be
 * in the environment the process starts with): the same qsa-head experiment (same seed, rows and
 * settings) once with `--backend webgpu` and once with `--backend cpu`, in-process as `fairbound
 * experiment run` runs deep trials; prints one JSON line with each run's stored trials and tf.memory()
 * before and after the webgpu run.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendPreference } from '../../src-shared/domain/backends';
import type { TrialResult } from '../../src-shared/domain/experiments';
import { registerDeepExperimentModels } from '../../src-main/experiments/models/deep';
import { runExperiment } from '../../src-main/experiments/runner';
import { createExperimentFromInput } from '../../src-main/services/experiment-start';
import { openWorkspace } from '../../src-main/store/database';
import { listTrials } from '../../src-main/store/experiments';
import { insertSyntheticImageDataset } from './synthetic-image-dataset';

export interface WebgpuExperimentChildReport {
  readonly nRows: number;
  readonly runs: readonly {
    readonly preference: BackendPreference;
    readonly status: string;
    readonly trials: readonly (Omit<TrialResult, 'theta'> & { readonly theta: number[] | null })[];
  }[];
  readonly memory: { readonly tensorsBefore: number; readonly tensorsAfter: number; readonly bytesBefore: number; readonly bytesAfter: number };
}

/**
 * 48 rows at 28×28 (Tutorial G's CNN): 24 candidate rows train the body in 2 batches of 12, one epoch.
 * SwiftShader runs a trial of 120 rows in about 100 s on a loaded 2-core machine: this keeps the test short.
 */
export const EXPERIMENT_ROWS = 48;

const [dbPath] = process.argv.slice(2);
if (dbPath === undefined) throw new Error('usage: webgpu-experiment-child <workspace.db>');
registerDeepExperimentModels();
const db = openWorkspace(dbPath);
const dataset = insertSyntheticImageDataset(db, { name: 'bands', n: EXPERIMENT_ROWS, size: 28, numClasses: 2, seed: 21 });

async function run(preference: BackendPreference): Promise<WebgpuExperimentChildReport['runs'][number]> {
  const id = createExperimentFromInput(db, {
    datasetId: dataset.id,
    constraints: [{ source: 'ACC >= 0.3', delta: 0.05 }],
    fractions: [1],
    nTrials: 2,
    models: ['qsa-head:tutorial-g-cnn'],
    iterations: 30,
    seed: 7,
    epochsPerFraction: [{ fraction: 1, batchSize: 12, epochs: 1 }],
    backend: preference,
  });
  const started = Date.now();
  const summary = await runExperiment(db, id, {
    workers: 1,
    // On stderr: where a slow machine spends its time, if the test times out.
    onProgress: (p) => process.stderr.write(`${preference} ${p.done}/${p.total} ${p.last.model} φ=${p.last.fraction} ${p.last.durationSeconds.toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(0)} s)\n`),
  });
  return { preference, status: summary.status, trials: listTrials(db, id).map((t) => ({ ...t, theta: t.theta === null ? null : Array.from(t.theta) })) };
}

// The memory before: after the backend's first tensor (its device and shader caches are not a leak).
await tf.setBackend('cpu');
const before = tf.memory();
const gpu = await run('webgpu');
const after = tf.memory();
const cpu = await run('cpu');
db.close();
const report: WebgpuExperimentChildReport = {
  nRows: EXPERIMENT_ROWS,
  runs: [gpu, cpu],
  memory: { tensorsBefore: before.numTensors, tensorsAfter: after.numTensors, bytesBefore: before.numBytes, bytesAfter: after.numBytes },
};
process.stdout.write(`${JSON.stringify(report)}\n`);
