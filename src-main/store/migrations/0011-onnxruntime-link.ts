/**
 * Schema 11, what the chain's ONNX Runtime link and webgpu experiment trials need stored:
 * - `trial.backend`: what computed a deep model's trial (TrialResult.backend): a TF.js backend
 *   ('tensorflow', 'webgpu', 'wasm', 'cpu') or 'onnxruntime' where ONNX Runtime took over TF.js's CPU
 *   backends. qsa-head and cnn trials may run on webgpu since this schema; without the column a stored
 *   trial could not say whether a GPU computed it. NULL for models without a CNN and for older trials.
 * - a run's backend preference may be 'onnxruntime' (the chain from ONNX Runtime's link on). The CHECK is
 *   edited in place as schema 9 did, for the same reason (rebuilding `run` would cascade-delete its results).
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 11;

const BEFORE = "backend_preference IN ('auto', 'tensorflow', 'webgpu', 'wasm', 'cpu')";
const AFTER = "backend_preference IN ('auto', 'tensorflow', 'webgpu', 'onnxruntime', 'wasm', 'cpu')";

export function migrateTo11(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      ALTER TABLE trial ADD COLUMN backend TEXT
        CHECK (backend IS NULL OR backend IN ('tensorflow', 'webgpu', 'onnxruntime', 'wasm', 'cpu'));
    `);
    // better-sqlite3's defensive mode forbids writing the schema table; only for this statement.
    db.unsafeMode(true);
    try {
      db.pragma('writable_schema = ON');
      const changed = db.prepare("UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'run' AND instr(sql, ?) > 0").run(BEFORE, AFTER, BEFORE).changes;
      if (changed !== 1) throw new Error(`migration 11: the run table's backend_preference check is not the one schema 9 wrote`);
      const schemaVersion = db.pragma('schema_version', { simple: true }) as number;
      // Other connections reread the schema when its version changes.
      db.pragma(`schema_version = ${schemaVersion + 1}`);
      db.pragma('writable_schema = OFF');
    } finally {
      db.unsafeMode(false);
    }
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`migration 11: quick_check after the edit says ${String(check)}`);
  });
}
