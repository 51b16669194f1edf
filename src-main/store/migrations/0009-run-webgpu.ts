/**
 * Schema 9: a run's backend preference may be 'webgpu' (TF.js's WebGPU backend on Dawn, in the
 * training worker). The CHECK is widened in place (edit-run-check.ts says why `run` is not rebuilt).
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';
import { widenRunCheck } from './edit-run-check';

export const version = 9;

const BEFORE = "backend_preference IN ('auto', 'tensorflow', 'wasm', 'cpu')";
const AFTER = "backend_preference IN ('auto', 'tensorflow', 'webgpu', 'wasm', 'cpu')";

export function migrateTo9(db: WritableDB): void {
  applyMigration(db, version, () => widenRunCheck(db, version, 'backend_preference', BEFORE, AFTER));
}
