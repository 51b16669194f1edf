/**
 * Schema 8: a run's name and notes, and an experiment's notes (it has a name since schema 2), as the
 * user writes them in the New run and Experiments forms (or `fairbound train --spec`). NULL where none
 * was given and for everything stored before this schema.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 8;

export function migrateTo8(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      ALTER TABLE run ADD COLUMN name TEXT CHECK (name IS NULL OR length(name) > 0);
      ALTER TABLE run ADD COLUMN notes TEXT CHECK (notes IS NULL OR length(notes) > 0);
      ALTER TABLE experiment ADD COLUMN notes TEXT CHECK (notes IS NULL OR length(notes) > 0);
    `);
  });
}
