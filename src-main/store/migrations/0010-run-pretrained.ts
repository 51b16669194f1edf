/**
 * Schema 10: a run's pipeline may be 'pretrained' (Tutorial J's pretrained-network path: a model file's
 * body, a fresh head by the QSA). The CHECK is edited in the schema table as schema 9 edits the backend's
 * (see 0009-run-webgpu.ts for why `run` is not rebuilt); existing rows satisfy the wider constraint.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 10;

const BEFORE = "pipeline        TEXT NOT NULL CHECK (pipeline IN ('head', 'full'))";
const AFTER = "pipeline        TEXT NOT NULL CHECK (pipeline IN ('head', 'full', 'pretrained'))";

export function migrateTo10(db: WritableDB): void {
  applyMigration(db, version, () => {
    // better-sqlite3's defensive mode forbids writing the schema table; only for this statement.
    db.unsafeMode(true);
    try {
      db.pragma('writable_schema = ON');
      const changed = db.prepare("UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'run' AND instr(sql, ?) > 0").run(BEFORE, AFTER, BEFORE).changes;
      if (changed !== 1) throw new Error(`migration 10: the run table's pipeline check is not the one schema 4 wrote`);
      const schemaVersion = db.pragma('schema_version', { simple: true }) as number;
      // Other connections reread the schema when its version changes.
      db.pragma(`schema_version = ${schemaVersion + 1}`);
      db.pragma('writable_schema = OFF');
    } finally {
      db.unsafeMode(false);
    }
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`migration 10: quick_check after the edit says ${String(check)}`);
  });
}
