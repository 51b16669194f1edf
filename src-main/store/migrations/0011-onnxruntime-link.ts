/**
 * Schema 11, what the chain's ONNX Runtime link and webgpu experiment trials need stored:
 * - `trial.backend`: what computed a deep model's trial (TrialResult.backend): a TF.js backend
 *   ('tensorflow', 'webgpu', 'wasm', 'cpu') or 'onnxruntime' where ONNX Runtime took over TF.js's CPU
 *   backends. qsa-head and cnn trials may run on webgpu since this schema; without the column a stored
 *   trial could not say whether a GPU computed it. NULL for models without a CNN and for older trials.
 * - a run's backend preference may be 'onnxruntime' (the chain from ONNX Runtime's link on). The CHECK is
 *   widened in place (edit-run-check.ts says why `run` is not rebuilt).
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';
import { widenRunCheck } from './edit-run-check';

export const version = 11;

const BEFORE = "backend_preference IN ('auto', 'tensorflow', 'webgpu', 'wasm', 'cpu')";
const AFTER = "backend_preference IN ('auto', 'tensorflow', 'webgpu', 'onnxruntime', 'wasm', 'cpu')";

export function migrateTo11(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      ALTER TABLE trial ADD COLUMN backend TEXT
        CHECK (backend IS NULL OR backend IN ('tensorflow', 'webgpu', 'onnxruntime', 'wasm', 'cpu'));
    `);
    widenRunCheck(db, version, 'backend_preference', BEFORE, AFTER);
  });
}
