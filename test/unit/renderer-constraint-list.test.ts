/**
 * Invariant under test: the experiment form's constraint list — each row compiles with the engine's own
 * compiler against the dataset's attributes (normalised g, or the message and a caret under the column),
 * a bad δ is its own message, the list's first problem names the row, rows are added with fresh keys and
 * the last row is never removed, and the request carries every constraint with its own δ.
 */
import { describe, expect, it } from 'vitest';
import { addRow, checkRow, listProblem, removeRow, toRequest, type ConstraintRow } from '../../src-renderer/src/lib/constraint-list';

const MF = { columns: ['M', 'F'], subRegime: 'classification' as const };

describe('constraint rows', () => {
  it('parses a good row to its normalised g', () => {
    expect(checkRow({ source: 'ACC >= 0.6', delta: 0.1 }, MF)).toEqual({ ok: true, parsed: '0.6-(ACC)', nodes: 1 });
  });

  it('shows a typo with a caret under its column', () => {
    const check = checkRow({ source: 'ACC | [X] >= 0.5', delta: 0.1 }, MF);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.message).toMatch(/X/);
    expect(check.caret).toBe('ACC | [X] >= 0.5\n       ^');
  });

  it('reports an empty row and a δ outside (0, 1) on their own', () => {
    expect(checkRow({ source: '  ', delta: 0.1 }, MF)).toMatchObject({ ok: false, caret: null });
    expect(checkRow({ source: 'ACC >= 0.6', delta: 1 }, MF)).toEqual({ ok: false, message: 'δ must be a number strictly between 0 and 1', caret: null });
    expect(checkRow({ source: 'ACC >= 0.6', delta: Number.NaN }, MF)).toMatchObject({ ok: false });
  });

  it("names the first bad row of the list, and refuses a repeated constraint", () => {
    const rows: ConstraintRow[] = [
      { key: 0, source: 'ACC >= 0.6', delta: 0.1 },
      { key: 1, source: 'abs((PR | [M]) - (PR | [F])) <= 0.2', delta: 0.05 },
    ];
    expect(listProblem(rows, MF)).toBeNull();
    expect(listProblem([...rows, { key: 2, source: 'PR | [Q] >= 0.1', delta: 0.05 }], MF)).toMatch(/^constraint 3: /);
    expect(listProblem([...rows, { key: 2, source: ' ACC >= 0.6', delta: 0.2 }], MF)).toBe('constraint 3 repeats an earlier one');
    expect(listProblem([], MF)).toBe('add at least one constraint');
  });

  it('adds rows with fresh keys and the last δ, removes by key but never the last row, and builds the request', () => {
    let rows: ConstraintRow[] = [{ key: 0, source: 'ACC >= 0.6', delta: 0.1 }];
    rows = addRow(rows);
    expect(rows[1]).toEqual({ key: 1, source: '', delta: 0.1 });
    rows = addRow(rows, 'PR >= 0.2', 0.01);
    expect(rows.map((r) => r.key)).toEqual([0, 1, 2]);
    rows = removeRow(rows, 1);
    expect(rows.map((r) => r.key)).toEqual([0, 2]);
    expect(addRow(rows)[2].key).toBe(3);
    expect(removeRow(removeRow(rows, 0), 2)).toHaveLength(1);
    expect(toRequest([{ key: 0, source: ' ACC >= 0.6 ', delta: 0.1 }, { key: 2, source: 'PR >= 0.2', delta: 0.01 }])).toEqual([
      { source: 'ACC >= 0.6', delta: 0.1 },
      { source: 'PR >= 0.2', delta: 0.01 },
    ]);
  });
});
