import type { BaseNodeSpec, CompiledConstraint, MeasureName } from '../../src-shared/constraint/ast';
import type { AuditBoundMethod, ExactKind } from '../../src-shared/bounds/audit-bounds';
import type { LabelledRows, RowRange } from '../engine/data';
import { boundConstraint } from './node-bounds';

/**
 * A per-group table like Fairlearn's MetricFrame, but with confidence intervals: for every sensitive
 * column and declared intersection, n and each rate with a two-sided interval at 1 − α (α/2 per side).
 */

export interface RateInterval {
  readonly n: number;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
}

export interface GroupRow {
  /** Conditional columns (all must be 1); empty = every row. */
  readonly columns: readonly string[];
  readonly nRows: number;
  readonly rates: Readonly<Partial<Record<MeasureName, RateInterval>>>;
}

const BINARY_RATES: readonly MeasureName[] = ['ACC', 'PR', 'TPR', 'FPR', 'FNR', 'TNR'];

function rateSpec(measure: MeasureName, columns: readonly string[], alpha: number): BaseNodeSpec {
  return {
    name: columns.length ? `${measure} | [${columns.join(',')}]` : measure,
    measure,
    classIndex: [],
    conditionalColumns: columns,
    lowerNeeded: true,
    upperNeeded: true,
    deltaLower: alpha / 2,
    deltaUpper: alpha / 2,
    inflationLower: 1,
    inflationUpper: 1,
  };
}

function groupRowCount(data: LabelledRows, rows: RowRange, columns: readonly string[]): number {
  const indices = columns.map((c) => data.sensitiveColumns.indexOf(c));
  const width = data.sensitiveColumns.length;
  let count = 0;
  for (let row = rows.start; row < rows.end; row++) if (indices.every((c) => data.sensitive[row * width + c] === 1)) count++;
  return count;
}

export function groupTable(input: {
  readonly data: LabelledRows;
  /** Probabilities (or hard decisions) for the rows, row-major, nOutputs columns. */
  readonly probs: Float64Array;
  readonly nOutputs: number;
  readonly rows: RowRange;
  /** Groups to report besides every single sensitive column, e.g. [['M', 'White']]. */
  readonly intersections?: readonly (readonly string[])[];
  readonly alpha: number;
  readonly method: AuditBoundMethod;
  /** The exact bound's kind: 'binomial' for hard decisions, 'bounded' (the default, valid for both) for soft estimators. */
  readonly exactKind?: ExactKind;
}): GroupRow[] {
  const { data, probs, nOutputs, rows, alpha, method } = input;
  const exactKind = input.exactKind ?? 'bounded';
  const measures: readonly MeasureName[] = nOutputs === 1 ? BINARY_RATES : ['ACC'];
  const groups: (readonly string[])[] = [[], ...data.sensitiveColumns.map((c) => [c]), ...(input.intersections ?? [])];
  return groups.map((columns) => {
    const rates: Partial<Record<MeasureName, RateInterval>> = {};
    for (const measure of measures) {
      const spec = rateSpec(measure, columns, alpha);
      const constraint: CompiledConstraint = { source: spec.name, parsed: spec.name, delta: alpha, root: { type: 'base', index: 0, span: { start: 1, end: 1 } }, baseNodes: [spec], warnings: [] };
      const node = boundConstraint(constraint, data, rows, nOutputs, probs, method, exactKind).baseNodes[0];
      rates[measure] = { n: node.nSamples, mean: node.mean, lower: node.lower, upper: node.upper };
    }
    return { columns, nRows: groupRowCount(data, rows, columns), rates };
  });
}
