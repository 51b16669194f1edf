import type { BaseNodeSpec } from '../../src-shared/constraint/ast';
import type { LabelledRows, RowRange } from './data';

/**
 * A base node's per-sample estimator on one row range (the vector Z whose mean and Bessel std give the
 * node's point estimate and bounds), reduced to Z_i = a_i + b_i · P[row_i, k_i].
 * Which rows survive the conditional-column and label masks depends only on the data, never on θ, so
 * plans are built once per range and reused every iteration.
 */
export interface EstimatorPlan {
  /** Row offsets within the range. */
  readonly rows: Int32Array;
  /** Output column per kept row (always 0 for binary models). */
  readonly outputColumn: Int32Array;
  readonly offset: Float64Array;
  readonly slope: Float64Array;
}

type RowRule = (label: number) => { keep: boolean; column: number; offset: number; slope: number } | null;

const DROP = null;

function binaryRule(measure: BaseNodeSpec['measure']): RowRule {
  switch (measure) {
    case 'PR': return () => ({ keep: true, column: 0, offset: 0, slope: 1 });
    case 'NR': return () => ({ keep: true, column: 0, offset: 1, slope: -1 });
    case 'FPR': return (y) => (y !== 1 ? { keep: true, column: 0, offset: 0, slope: 1 } : DROP);
    case 'TNR': return (y) => (y !== 1 ? { keep: true, column: 0, offset: 1, slope: -1 } : DROP);
    case 'TPR': return (y) => (y === 1 ? { keep: true, column: 0, offset: 0, slope: 1 } : DROP);
    case 'FNR': return (y) => (y === 1 ? { keep: true, column: 0, offset: 1, slope: -1 } : DROP);
    // y·p + (1−y)·(1−p) for y ∈ {0, 1}.
    case 'ACC': return (y) => ({ keep: true, column: 0, offset: 1 - y, slope: 2 * y - 1 });
    case 'CM': throw new Error('CM_[i,j] needs a multiclass model');
  }
}

function multiclassRule(measure: BaseNodeSpec['measure'], classIndex: readonly number[]): RowRule {
  const k = classIndex[0];
  switch (measure) {
    case 'PR': return () => ({ keep: true, column: k, offset: 0, slope: 1 });
    case 'NR': return () => ({ keep: true, column: k, offset: 1, slope: -1 });
    case 'FPR': return (y) => (y !== k ? { keep: true, column: k, offset: 0, slope: 1 } : DROP);
    case 'TNR': return (y) => (y !== k ? { keep: true, column: k, offset: 1, slope: -1 } : DROP);
    case 'TPR': return (y) => (y === k ? { keep: true, column: k, offset: 0, slope: 1 } : DROP);
    case 'FNR': return (y) => (y === k ? { keep: true, column: k, offset: 1, slope: -1 } : DROP);
    case 'ACC': return (y) => ({ keep: true, column: y, offset: 0, slope: 1 });
    // CM_[i,j]: P[:, j] on rows with y = i (the estimator the engine intended; its own CM_ nodes fail with a KeyError).
    case 'CM': return (y) => (y === classIndex[0] ? { keep: true, column: classIndex[1], offset: 0, slope: 1 } : DROP);
  }
}

/** Column indices of the node's conditional attributes within the dataset's sensitive columns. */
function conditionalColumnIndices(node: BaseNodeSpec, data: LabelledRows): number[] {
  return node.conditionalColumns.map((name) => {
    const index = data.sensitiveColumns.indexOf(name);
    if (index < 0) throw new Error(`base node '${node.name}' uses unknown attribute '${name}'`);
    return index;
  });
}

export function buildEstimatorPlan(node: BaseNodeSpec, data: LabelledRows, range: RowRange, multiclass: boolean): EstimatorPlan {
  const rule = multiclass ? multiclassRule(node.measure, node.classIndex) : binaryRule(node.measure);
  const columns = conditionalColumnIndices(node, data);
  const nSensitive = data.sensitiveColumns.length;
  const rows: number[] = [], outputColumn: number[] = [], offset: number[] = [], slope: number[] = [];
  for (let row = range.start; row < range.end; row++) {
    let inGroup = true;
    for (const c of columns) {
      if (data.sensitive[row * nSensitive + c] !== 1) {
        inGroup = false;
        break;
      }
    }
    if (!inGroup) continue;
    const kept = rule(data.labels[row]);
    if (kept === DROP) continue;
    rows.push(row - range.start);
    outputColumn.push(kept.column);
    offset.push(kept.offset);
    slope.push(kept.slope);
  }
  return {
    rows: Int32Array.from(rows),
    outputColumn: Int32Array.from(outputColumn),
    offset: Float64Array.from(offset),
    slope: Float64Array.from(slope),
  };
}

/** Z_i for every kept row, given the model's probabilities on the range (row-major, nOutputs columns). */
export function evaluateEstimator(plan: EstimatorPlan, probs: Float64Array, nOutputs: number, out: Float64Array): void {
  const { rows, outputColumn, offset, slope } = plan;
  for (let i = 0; i < rows.length; i++) out[i] = offset[i] + slope[i] * probs[rows[i] * nOutputs + outputColumn[i]];
}
