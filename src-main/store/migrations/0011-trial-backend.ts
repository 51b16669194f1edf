/**
 * Schema 11: what computed a deep model's trial (TrialResult.backend): a TF.js backend ('tensorflow',
 * 'webgpu', 'wasm', 'cpu') or 'onnxruntime' where ONNX Runtime replaced TF.js's CPU backends. Trials of
 * qsa-head and cnn run on webgpu since this schema; without the column a stored trial could not say
 * whether a GPU computed it. NULL for models without a CNN and for trials stored before it.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 11;

export function migrateTo11(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      ALTER TABLE trial ADD COLUMN backend TEXT
        CHECK (backend IS NULL OR backend IN ('tensorflow', 'webgpu', 'onnxruntime', 'wasm', 'cpu'));
    `);
  });
}
