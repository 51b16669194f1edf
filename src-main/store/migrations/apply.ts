import type { WritableDB } from '../database';

/**
 * Runs `ddl` and sets `user_version` to `version` in one transaction, unless the database is already
 * at `version` or later. Shared by every migration so each states only its SQL.
 */
export function applyMigration(db: WritableDB, version: number, ddl: (db: WritableDB) => void): void {
  if (!Number.isInteger(version) || version < 1) throw new Error(`invalid migration version ${version}`);
  // Checked outside first so that an up-to-date open never waits for another process's write lock.
  if ((db.pragma('user_version', { simple: true }) as number) >= version) return;
  db.transaction(() => {
    // Read inside the transaction so two processes opening the same file cannot both apply it.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current >= version) return;
    ddl(db);
    db.pragma(`user_version = ${version}`);
  }).immediate();
}
