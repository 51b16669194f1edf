import type { ArchitectureSpec } from '../../src-main/deep/architectures';
import { executeRun } from '../../src-main/runs/pipeline';
import { prepareRun } from '../../src-main/runs/prepare';
import type { RunStatus } from '../../src-main/store/runs';
import { insertRun } from '../../src-main/store/runs';
import type { WritableDB } from '../../src-main/store/database';
import { insertSyntheticImageDataset } from './synthetic-image-dataset';

/** The accuracy-ratio constraint the audit tests use on the synthetic 'bands' dataset (groups A, B). */
export const BANDS_RATIO = 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8';

/** A tiny CNN (16×16 grayscale) the model-audit tests save as a TF.js model. */
export const TINY_AUDIT_CNN: ArchitectureSpec = {
  name: 'tiny-test-cnn',
  description: 'a tiny CNN for tests',
  defaultInputShape: [16, 16, 1],
  layers: [
    { kind: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    { kind: 'flatten' },
    { kind: 'dense', units: 8, activation: 'relu' },
    { kind: 'dense', units: 'classes' },
  ],
};

/** A head run on the synthetic 'bands' dataset with settings small enough for a test (seconds on wasm). */
export async function runTinyHeadRun(db: WritableDB): Promise<{ runId: number; status: RunStatus }> {
  const prepared = prepareRun(db, {
    dataset: 'bands',
    constraints: [{ source: BANDS_RATIO, delta: 0.1 }],
    pipeline: 'head',
    architecture: 'tutorial-g-cnn',
    epochs: 1,
    batchSize: 50,
    learningRate: 0.005,
    iterations: 60,
    seed: 2,
    shuffleSeed: 5,
    backend: 'wasm',
  });
  const runId = insertRun(db, prepared.run);
  const outcome = await executeRun(db, runId);
  return { runId, status: outcome.status };
}

/**
 * The stored head run the report and wording tests read: one constraint (δ 0.05) on a 200-row 'bands'
 * dataset of 16×16 images, Tutorial G's CNN, seed 7, shuffle 11. Returns its id once it has ended.
 */
export async function runStoredBandsRun(db: WritableDB, source: string, iterations: number): Promise<number> {
  insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 16, numClasses: 2, seed: 1 });
  const runId = insertRun(
    db,
    prepareRun(db, {
      dataset: 'bands', constraints: [{ source, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-g-cnn',
      epochs: 1, batchSize: 20, learningRate: 0.005, iterations, seed: 7, shuffleSeed: 11, backend: 'wasm',
    }).run,
  );
  const outcome = await executeRun(db, runId);
  if (outcome.error !== null) throw new Error(`the stored bands run failed: ${outcome.error}`);
  return runId;
}
