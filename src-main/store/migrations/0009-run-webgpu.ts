/**
 * Schema 9: a run's backend preference may be 'webgpu' (TF.js's WebGPU backend on Dawn, in the
 * training worker). SQLite cannot alter a CHECK constraint, and rebuilding `run` would cascade-delete its
 * results (its children reference it ON DELETE CASCADE, and foreign keys cannot be switched off inside
 * the migration's transaction), so the constraint's text is edited in the schema table, the change that
 * SQLite's documentation allows through writable_schema for constraints that existing rows satisfy.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 9;

const BEFORE = "backend_preference IN ('auto', 'tensorflow', 'wasm', 'cpu')";
const AFTER = "backend_preference IN ('auto', 'tensorflow', 'webgpu', 'wasm', 'cpu')";

export function migrateTo9(db: WritableDB): void {
  applyMigration(db, version, () => {
    // better-sqlite3's defensive mode forbids writing the schema table; only for this statement.
    db.unsafeMode(true);
    try {
      db.pragma('writable_schema = ON');
      const changed = db.prepare("UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'run' AND instr(sql, ?) > 0").run(BEFORE, AFTER, BEFORE).changes;
      if (changed !== 1) throw new Error(`migration 9: the run table's backend_preference check is not the one schema 4 wrote`);
      const schemaVersion = db.pragma('schema_version', { simple: true }) as number;
      // Other connections reread the schema when its version changes.
      db.pragma(`schema_version = ${schemaVersion + 1}`);
      db.pragma('writable_schema = OFF');
    } finally {
      db.unsafeMode(false);
    }
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`migration 9: quick_check after the edit says ${String(check)}`);
  });
}
