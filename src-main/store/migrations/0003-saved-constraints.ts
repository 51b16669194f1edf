/**
 * Schema 3: saved constraints. A saved
 * constraint is the text the user wrote, its δ, and the sensitive columns it was checked against when
 * saved; it belongs to no dataset, so it can be reused on any dataset with those columns.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 3;

export function migrateTo3(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      CREATE TABLE constraint_spec (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
        -- the constraint as typed, e.g. "abs((PR | [M]) - (PR | [F])) <= 0.15"
        source        TEXT NOT NULL CHECK (length(source) > 0),
        delta         REAL NOT NULL CHECK (delta > 0 AND delta < 1),
        -- the sensitive column names it compiled against (JSON array)
        columns_json  TEXT NOT NULL,
        sub_regime    TEXT NOT NULL CHECK (sub_regime IN ('classification', 'multiclass_classification')),
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      );
    `);
  });
}
