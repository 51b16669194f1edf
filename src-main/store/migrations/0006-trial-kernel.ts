/**
 * Schema 6: which linear kernel a trial's QSA ran on (TrialResult.kernel): `kernel_name` ('simd' or
 * 'js') and `kernel_threads` (≥ 1). Without them a trial read back from the store lost what the runner
 * reported, so `experiment show` could not say whether a head QSA ran on SIMD or JS, nor on how many
 * threads. Both NULL, together, for trials of models that run no QSA (baselines, cnn) and for trials
 * stored before this schema.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 6;

export function migrateTo6(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      ALTER TABLE trial ADD COLUMN kernel_name TEXT CHECK (kernel_name IS NULL OR kernel_name IN ('simd', 'js'));
      ALTER TABLE trial ADD COLUMN kernel_threads INTEGER
        CHECK ((kernel_threads IS NULL) = (kernel_name IS NULL) AND (kernel_threads IS NULL OR kernel_threads >= 1));
    `);
  });
}
