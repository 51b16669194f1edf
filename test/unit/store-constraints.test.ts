/**
 * Invariant under test: migration 0003 adds `constraint_spec` (one transaction with user_version 3), and
 * saved constraints keep their text, δ and columns, with unique names.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src-main/errors/input-error';
import { openWorkspace, userVersion } from '../../src-main/store/database';
import { deleteConstraint, getConstraint, listConstraints, saveConstraint } from '../../src-main/store/constraints';
import { useTempDir } from '../support/images';

const tempDir = useTempDir();

describe('migration 0003: saved constraints', () => {
  it('creates constraint_spec with its checks', () => {
    const db = openWorkspace(join(tempDir(), 'w.db'));
    try {
      expect(userVersion(db)).toBeGreaterThanOrEqual(3);
      const columns = (db.prepare(`SELECT name FROM pragma_table_info('constraint_spec') ORDER BY cid`).all() as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(['id', 'name', 'source', 'delta', 'columns_json', 'sub_regime', 'created_at', 'updated_at']);
      const insert = (delta: number): unknown =>
        db.prepare(`INSERT INTO constraint_spec (name, source, delta, columns_json, sub_regime, created_at, updated_at) VALUES ('x', 'ACC', ?, '[]', 'classification', '', '')`).run(delta);
      expect(() => insert(1)).toThrow(/CHECK/);
      expect(() => insert(0)).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});

describe('saved constraints', () => {
  it('inserts, lists by name, overwrites by id and deletes', () => {
    const db = openWorkspace(join(tempDir(), 'w.db'));
    try {
      const dp = saveConstraint(db, { name: 'parity', source: 'abs((PR | [M]) - (PR | [F])) <= 0.15', delta: 0.05, columns: ['M', 'F'], subRegime: 'classification' }, 't1');
      const acc = saveConstraint(db, { name: 'Accuracy ratio', source: 'ACC >= 0.5', delta: 0.1, columns: ['M', 'F'], subRegime: 'classification' }, 't1');
      expect(listConstraints(db).map((c) => c.name)).toEqual(['Accuracy ratio', 'parity']);
      expect(dp).toEqual({ id: dp.id, name: 'parity', source: 'abs((PR | [M]) - (PR | [F])) <= 0.15', delta: 0.05, columns: ['M', 'F'], subRegime: 'classification', createdAt: 't1', updatedAt: 't1' });
      const updated = saveConstraint(db, { id: dp.id, name: 'parity', source: 'abs((PR | [M]) - (PR | [F])) <= 0.1', delta: 0.01, columns: ['M', 'F'], subRegime: 'classification' }, 't2');
      expect(updated).toMatchObject({ id: dp.id, delta: 0.01, createdAt: 't1', updatedAt: 't2' });
      expect(() => saveConstraint(db, { name: 'parity', source: 'ACC >= 0.5', delta: 0.1, columns: ['M'], subRegime: 'classification' })).toThrow(InputError);
      expect(() => saveConstraint(db, { id: acc.id, name: 'parity', source: 'ACC >= 0.5', delta: 0.1, columns: ['M'], subRegime: 'classification' })).toThrow("a saved constraint named 'parity' already exists");
      expect(() => saveConstraint(db, { id: 999, name: 'new', source: 'ACC >= 0.5', delta: 0.1, columns: ['M'], subRegime: 'classification' })).toThrow('no saved constraint with id 999');
      expect(deleteConstraint(db, acc.id)).toBe(true);
      expect(deleteConstraint(db, acc.id)).toBe(false);
      expect(getConstraint(db, acc.id)).toBeUndefined();
    } finally {
      db.close();
    }
  });
});
