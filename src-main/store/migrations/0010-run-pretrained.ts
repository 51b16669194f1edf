/**
 * Schema 10: a run's pipeline may be 'pretrained' (Tutorial J's pretrained-network path: a model file's
 * body, a fresh head by the QSA). The CHECK is widened in place (edit-run-check.ts
 * says why `run` is not rebuilt); existing rows satisfy the wider constraint.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';
import { widenRunCheck } from './edit-run-check';

export const version = 10;

const BEFORE = "pipeline        TEXT NOT NULL CHECK (pipeline IN ('head', 'full'))";
const AFTER = "pipeline        TEXT NOT NULL CHECK (pipeline IN ('head', 'full', 'pretrained'))";

export function migrateTo10(db: WritableDB): void {
  applyMigration(db, version, () => widenRunCheck(db, version, 'pipeline', BEFORE, AFTER));
}
