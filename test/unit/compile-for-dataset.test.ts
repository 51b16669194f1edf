// compileForDataset: the one place a run's, an audit's, an experiment's or a golden case's constraints are
// compiled against their data — the sub-regime follows the class count unless the data names it, each
// constraint keeps its own δ, and a bad one throws the caller's error with the compiler's caret column.
import { describe, expect, it } from 'vitest';
import { compileForDataset, subRegimeFor } from '../../src-main/engine/compile-for-dataset';
import { ConstraintCompileError } from '../../src-main/errors/constraint-compile-error';

const BINARY = { sensitiveColumns: ['M', 'F'], nClasses: 2 };
const THREE = { sensitiveColumns: ['M', 'F'], nClasses: 3 };

describe('compileForDataset', () => {
  it('derives the sub-regime from the class count', () => {
    expect(subRegimeFor(2)).toBe('classification');
    expect(subRegimeFor(3)).toBe('multiclass_classification');
    expect(subRegimeFor(undefined)).toBe('classification');
    expect(compileForDataset([{ source: 'PR_[2] <= 0.5', delta: 0.05 }], THREE)[0].baseNodes.map((n) => n.name)).toEqual(['PR_[2]']);
    expect(() => compileForDataset([{ source: 'PR_[1] <= 0.5', delta: 0.05 }], BINARY)).toThrow(/multiclass_classification/);
    expect(() => compileForDataset([{ source: 'PR_[3] <= 0.5', delta: 0.05 }], THREE)).toThrow(/3 classes/);
  });

  it('keeps each constraint its δ and its source', () => {
    const compiled = compileForDataset(
      [
        { source: 'ACC >= 0.5', delta: 0.05 },
        { source: '(PR | [M]) - (PR | [F]) <= 0.2', delta: 0.1 },
      ],
      BINARY,
    );
    expect(compiled.map((c) => [c.source, c.delta])).toEqual([
      ['ACC >= 0.5', 0.05],
      ['(PR | [M]) - (PR | [F]) <= 0.2', 0.1],
    ]);
  });

  it('names a bad constraint by its position, or as the caller says, with the caret column', () => {
    const bad = [
      { source: 'ACC >= 0.5', delta: 0.05 },
      { source: '(ACC | [Q]) >= 0.5', delta: 0.05 },
    ];
    const numbered = (() => {
      try {
        compileForDataset(bad, BINARY);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(numbered).toBeInstanceOf(ConstraintCompileError);
    expect((numbered as ConstraintCompileError).message).toMatch(/^constraint 2: unknown attribute 'Q' at column 9/);
    expect((numbered as ConstraintCompileError).error.column).toBe(9);
    expect(() => compileForDataset(bad, BINARY, (i, error) => new ConstraintCompileError(`--constraint ${i + 1}`, error))).toThrow(/^--constraint 2: unknown attribute 'Q' at column 9/);
  });
});
