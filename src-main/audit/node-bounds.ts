import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { exactBound, type AuditBoundMethod, type ExactKind } from '../../src-shared/bounds/audit-bounds';
import { propagateInterval } from '../../src-shared/bounds/interval';
import { pairwiseSum, sampleStd } from '../../src-shared/bounds/summation';
import { ConstraintBounder, type BaseNodeBound, type ConstraintBound } from '../engine/constraint-bounds';
import type { LabelledRows, RowRange } from '../engine/data';
import { buildEstimatorPlan, evaluateEstimator } from '../engine/estimators';

/**
 * One constraint's safety-test statement on the audited rows with the audit's bound: each base node's
 * interval on its side(s) at its δ share, then g's interval by the constraint's interval arithmetic
 * (propagateInterval), exactly as the engine's safety test combines its Student-t or Hoeffding nodes.
 *
 * Student-t and Hoeffding are the engine's own (ConstraintBounder). The exact bound needs each node's
 * estimator values, not only their mean and spread: Clopper–Pearson counts the 0/1 values of hard
 * decisions; the betting bound bets on the [0, 1] values of soft estimators in the audited rows' order.
 * A node without rows has an unbounded interval.
 */
export function boundConstraint(
  constraint: CompiledConstraint,
  data: LabelledRows,
  rows: RowRange,
  nOutputs: number,
  probs: Float64Array,
  method: AuditBoundMethod,
  exactKind: ExactKind,
): ConstraintBound {
  if (method !== 'exact') return new ConstraintBounder(constraint, data, rows, nOutputs, method).bound(probs, { kind: 'safety_test' });
  const multiclass = data.nClasses > 2 || nOutputs > 1;
  const nodes = constraint.baseNodes;
  const lowers = new Float64Array(nodes.length), uppers = new Float64Array(nodes.length);
  const baseNodes: BaseNodeBound[] = nodes.map((node, i) => {
    const plan = buildEstimatorPlan(node, data, rows, multiclass);
    const z = new Float64Array(plan.rows.length);
    evaluateEstimator(plan, probs, nOutputs, z);
    const n = z.length;
    const mean = pairwiseSum(z) / n;
    const std = sampleStd(z, mean, new Float64Array(Math.max(1, n)));
    const side = (delta: number | null, which: 'lower' | 'upper'): number => {
      if (delta === null || n < 1) return which === 'lower' ? -Infinity : Infinity;
      return exactBound(z, exactKind, delta, which);
    };
    const lower = node.lowerNeeded ? side(node.deltaLower, 'lower') : -Infinity;
    const upper = node.upperNeeded ? side(node.deltaUpper, 'upper') : Infinity;
    lowers[i] = lower;
    uppers[i] = upper;
    return { lower, upper, nSamples: n, mean, std, nPredicted: null };
  });
  const root = propagateInterval(constraint.root, lowers, uppers);
  return { lower: root.lower, upper: root.upper, baseNodes };
}
