import type { WritableDB } from '../database';

/**
 * Widens a CHECK constraint of the `run` table by editing its text in the schema table, the change
 * SQLite's documentation allows through writable_schema for constraints that existing rows satisfy.
 * SQLite cannot alter a CHECK, and rebuilding `run` would cascade-delete its results (its children
 * reference it ON DELETE CASCADE, and foreign keys cannot be switched off inside a migration's
 * transaction). `what` names the constraint in the error when `before` is not in the table's text.
 */
export function widenRunCheck(db: WritableDB, version: number, what: string, before: string, after: string): void {
  // better-sqlite3's defensive mode forbids writing the schema table; only for this statement.
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    const changed = db.prepare("UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'run' AND instr(sql, ?) > 0").run(before, after, before).changes;
    if (changed !== 1) throw new Error(`migration ${version}: the run table's ${what} check is not the one the earlier schema wrote`);
    const schemaVersion = db.pragma('schema_version', { simple: true }) as number;
    // Other connections reread the schema when its version changes.
    db.pragma(`schema_version = ${schemaVersion + 1}`);
    db.pragma('writable_schema = OFF');
  } finally {
    db.unsafeMode(false);
  }
  const check = db.pragma('quick_check', { simple: true });
  if (check !== 'ok') throw new Error(`migration ${version}: quick_check after the edit says ${String(check)}`);
}
