/**
 * Schema 7: a trial that failed (TrialResult.error): `error`, the message of what its fit threw when that
 * was neither the algorithm's No Solution Found nor a bounding error the original engine turns into one.
 * Before, such a trial either became NSF (a generic RangeError, counted as "not violated") or was not
 * stored at all. A failed trial has no outcome: not passed, no solution, no NSF reason. NULL for every
 * trial that ran to an outcome and for trials stored before this schema.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 7;

export function migrateTo7(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      ALTER TABLE trial ADD COLUMN error TEXT
        CHECK (error IS NULL OR (length(error) > 0 AND passed = 0 AND performance IS NULL AND theta IS NULL AND nsf_reason IS NULL));
    `);
  });
}
