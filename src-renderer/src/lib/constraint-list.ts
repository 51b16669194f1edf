/**
 * A list of constraints, each with its own δ, as the experiment form edits it: rows are added and
 * removed, each is compiled as the user types with the same compiler the engine and the Constraint
 * builder use (src-shared/constraint), so a typo shows its caret before anything is sent. Pure, so it is
 * unit-tested; components/ConstraintListField.vue draws it.
 */
import type { DatasetInfo } from '../../../src-shared/contract';
import { compileConstraint, renderCaret } from '../../../src-shared/constraint';
import type { SubRegime } from '../../../src-shared/constraint/ast';

export interface ConstraintRow {
  /** Stable across edits (the v-for key), unique within a list. */
  readonly key: number;
  source: string;
  delta: number;
}

export type RowCheck =
  | { readonly ok: true; readonly parsed: string; readonly nodes: number }
  | { readonly ok: false; readonly message: string; readonly caret: string | null };

export interface ListContext {
  readonly columns: readonly string[];
  readonly subRegime: SubRegime;
  readonly nClasses?: number;
}

/** What a constraint is checked against for a dataset: its sensitive columns and its task. */
export function datasetContext(d: Pick<DatasetInfo, 'sensitiveColumns' | 'nClasses'>): ListContext {
  return d.nClasses > 2 ? { columns: d.sensitiveColumns, subRegime: 'multiclass_classification', nClasses: d.nClasses } : { columns: d.sensitiveColumns, subRegime: 'classification' };
}

/** The most constraints one experiment takes (the contract's limit). */
export const MAX_CONSTRAINTS = 16;

export function deltaProblem(delta: number): string | null {
  return Number.isFinite(delta) && delta > 0 && delta < 1 ? null : 'δ must be a number strictly between 0 and 1';
}

/** One row: its normalised g, or what is wrong (with the caret under the offending characters). */
export function checkRow(row: Pick<ConstraintRow, 'source' | 'delta'>, context: ListContext): RowCheck {
  if (row.source.trim() === '') return { ok: false, message: 'write a constraint, e.g. ACC >= 0.7', caret: null };
  const delta = deltaProblem(row.delta);
  const result = compileConstraint(row.source, {
    columns: context.columns,
    subRegime: context.subRegime,
    // A bad δ is reported on its own; the expression is still checked.
    delta: delta === null ? row.delta : 0.05,
    ...(context.nClasses !== undefined ? { nClasses: context.nClasses } : {}),
  });
  if (!result.ok) return { ok: false, message: result.error.message, caret: renderCaret(result.error) };
  if (delta !== null) return { ok: false, message: delta, caret: null };
  return { ok: true, parsed: result.constraint.parsed, nodes: result.constraint.baseNodes.length };
}

/** The first problem of the list as one sentence ("constraint 2: …"), or null when every row is fine. */
export function listProblem(rows: readonly ConstraintRow[], context: ListContext): string | null {
  if (rows.length === 0) return 'add at least one constraint';
  if (rows.length > MAX_CONSTRAINTS) return `at most ${MAX_CONSTRAINTS} constraints`;
  const seen = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const check = checkRow(row, context);
    if (!check.ok) return `constraint ${i + 1}: ${check.message}`;
    const source = row.source.trim();
    if (seen.has(source)) return `constraint ${i + 1} repeats an earlier one`;
    seen.add(source);
  }
  return null;
}

export function nextKey(rows: readonly ConstraintRow[]): number {
  return rows.reduce((k, r) => Math.max(k, r.key), -1) + 1;
}

/** A new list with a row appended (δ defaults to the last row's). */
export function addRow(rows: readonly ConstraintRow[], source = '', delta?: number): ConstraintRow[] {
  return [...rows, { key: nextKey(rows), source, delta: delta ?? rows.at(-1)?.delta ?? 0.05 }];
}

/** A new list without the row `key`; the last row is never removed (an experiment needs one). */
export function removeRow(rows: readonly ConstraintRow[], key: number): ConstraintRow[] {
  return rows.length <= 1 ? [...rows] : rows.filter((r) => r.key !== key);
}

/** What experiments.start takes. */
export function toRequest(rows: readonly ConstraintRow[]): { source: string; delta: number }[] {
  return rows.map((r) => ({ source: r.source.trim(), delta: r.delta }));
}
