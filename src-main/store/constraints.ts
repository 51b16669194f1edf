/**
 * The `constraint_spec` table (schema 0003): constraints the user saved to reuse, with their δ and the
 * sensitive columns they were checked against. `ConstraintSpecRow` is the row as stored; `SavedConstraint`
 * the domain view. Names are unique: saving under an existing name is refused unless it is the same row.
 */
import type { SubRegime } from '../../src-shared/constraint/ast';
import { InputError } from '../errors/input-error';
import type { ReadableDB, WritableDB } from './database';
import { all, get, run, sql } from './sql';

export interface SavedConstraint {
  readonly id: number;
  readonly name: string;
  readonly source: string;
  readonly delta: number;
  readonly columns: readonly string[];
  readonly subRegime: SubRegime;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ConstraintInput {
  readonly name: string;
  readonly source: string;
  readonly delta: number;
  readonly columns: readonly string[];
  readonly subRegime: SubRegime;
}

interface ConstraintSpecRow {
  id: number;
  name: string;
  source: string;
  delta: number;
  columns_json: string;
  sub_regime: SubRegime;
  created_at: string;
  updated_at: string;
}

function toSaved(row: ConstraintSpecRow): SavedConstraint {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    delta: row.delta,
    columns: JSON.parse(row.columns_json) as string[],
    subRegime: row.sub_regime,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** By name. */
export function listConstraints(db: ReadableDB): SavedConstraint[] {
  return all<ConstraintSpecRow>(db, sql`SELECT * FROM constraint_spec ORDER BY name COLLATE NOCASE, id`).map(toSaved);
}

export function getConstraint(db: ReadableDB, id: number): SavedConstraint | undefined {
  const row = get<ConstraintSpecRow>(db, sql`SELECT * FROM constraint_spec WHERE id = ${id}`);
  return row && toSaved(row);
}

/**
 * Inserts a constraint (no `id`) or overwrites the one with `id`; returns it as stored. The caller has
 * checked that it compiles. An InputError when the name is taken by another constraint or `id` is unknown.
 */
export function saveConstraint(db: WritableDB, input: ConstraintInput & { readonly id?: number }, now: string = new Date().toISOString()): SavedConstraint {
  const name = input.name.trim();
  if (name === '') throw new InputError('a saved constraint needs a name');
  return db.transaction(() => {
    const clash = get<{ id: number }>(db, sql`SELECT id FROM constraint_spec WHERE name = ${name}`);
    if (clash && clash.id !== input.id) throw new InputError(`a saved constraint named '${name}' already exists`);
    const columns = JSON.stringify(input.columns);
    if (input.id === undefined) {
      const { lastInsertRowid } = run(
        db,
        sql`INSERT INTO constraint_spec (name, source, delta, columns_json, sub_regime, created_at, updated_at)
            VALUES (${name}, ${input.source}, ${input.delta}, ${columns}, ${input.subRegime}, ${now}, ${now})`,
      );
      return getConstraint(db, lastInsertRowid)!;
    }
    const { changes } = run(
      db,
      sql`UPDATE constraint_spec SET name = ${name}, source = ${input.source}, delta = ${input.delta}, columns_json = ${columns},
            sub_regime = ${input.subRegime}, updated_at = ${now} WHERE id = ${input.id}`,
    );
    if (changes === 0) throw new InputError(`no saved constraint with id ${input.id}`);
    return getConstraint(db, input.id)!;
  })();
}

/** False if there was no such constraint. */
export function deleteConstraint(db: WritableDB, id: number): boolean {
  return run(db, sql`DELETE FROM constraint_spec WHERE id = ${id}`).changes > 0;
}
