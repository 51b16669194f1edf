/**
 * Schema 10 is another branch's migration; this stand-in keeps the numbering whole (the runner wants 1, 2,
 * 3, …) until that branch is merged, and is replaced by it then. It changes nothing.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 10;

export function migrateTo10(db: WritableDB): void {
  applyMigration(db, version, () => {});
}
