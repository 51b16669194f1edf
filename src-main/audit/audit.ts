import { forLowerBound } from '../../src-shared/constraint';
import type { BaseNodeSpec, CompiledConstraint } from '../../src-shared/constraint/ast';
import type { AuditBoundMethod, ExactKind } from '../../src-shared/bounds/audit-bounds';
import { propagateInterval } from '../../src-shared/bounds/interval';
import { ConstraintBounder, type BaseNodeBound } from '../engine/constraint-bounds';
import type { LabelledRows, RowRange } from '../engine/data';
import { nodeIntervalFromStats } from './interval-from-stats';
import { boundConstraint } from './node-bounds';

/**
 * Auditing an existing model's predictions: for each constraint, the bounds of the safety test's
 * statement (the engine's sides and δ shares) with the audit's bound method, a lower bound of g at the
 * same confidence, and a three-way verdict. g's lower and upper bounds are two one-sided statements at
 * δ each: each verdict uses one of them (holds: the upper; violated: the lower), so each verdict holds
 * with confidence 1 − δ, while the pair [lower, upper] covers g only with 1 − 2δ.
 */

/** Soft = the engine's probabilistic estimators; hard = what a deployed classifier does (p ≥ t is positive). */
export type EstimatorMode = { readonly kind: 'soft' } | { readonly kind: 'hard'; readonly threshold: number };

export type AuditVerdict = 'holds' | 'violated' | 'inconclusive';

export interface AuditedNode {
  readonly spec: BaseNodeSpec;
  readonly bound: BaseNodeBound;
}

export interface DataNeeded {
  /** Multiply the audited rows by this factor (same group shares, means and spreads) to decide. */
  readonly factor: number;
  readonly rows: number;
  readonly towards: 'holds' | 'violated';
}

export interface AuditedConstraint {
  readonly constraint: CompiledConstraint;
  /** Base nodes with the engine's sides and δ shares: exactly the safety test's bounds. */
  readonly upperStatement: { readonly nodes: readonly AuditedNode[]; readonly lower: number; readonly upper: number };
  /** Base nodes with the sides and δ shares that bound g from below. */
  readonly lowerStatement: { readonly nodes: readonly AuditedNode[]; readonly lower: number; readonly upper: number };
  readonly gUpper: number;
  readonly gLower: number;
  readonly gPoint: number;
  readonly verdict: AuditVerdict;
  /** For an inconclusive verdict, an estimate of the data that would decide it (null when none would). */
  readonly dataNeeded: DataNeeded | null;
}

export interface AuditInput {
  readonly data: LabelledRows;
  /** The model's probabilities for the audited rows, row-major, nOutputs columns (1 = P(y=1)). */
  readonly probs: Float64Array;
  readonly nOutputs: number;
  readonly rows: RowRange;
  readonly constraints: readonly CompiledConstraint[];
  readonly mode: EstimatorMode;
  readonly method: AuditBoundMethod;
}

/** The exact bound's kind for a mode: hard decisions are 0/1 values, soft estimators values in [0, 1]. */
export function exactKindOf(mode: EstimatorMode): ExactKind {
  return mode.kind === 'hard' ? 'binomial' : 'bounded';
}

/** Hard decisions: binary p ≥ t → 1; multiclass → one-hot of the most probable class. */
export function hardDecisions(probs: Float64Array, nOutputs: number, threshold: number): Float64Array {
  const out = new Float64Array(probs.length);
  if (nOutputs === 1) {
    for (let i = 0; i < probs.length; i++) out[i] = probs[i] >= threshold ? 1 : 0;
    return out;
  }
  for (let row = 0; row < probs.length / nOutputs; row++) {
    let best = 0;
    for (let k = 1; k < nOutputs; k++) if (probs[row * nOutputs + k] > probs[row * nOutputs + best]) best = k;
    out[row * nOutputs + best] = 1;
  }
  return out;
}

function statement(constraint: CompiledConstraint, input: AuditInput, probs: Float64Array): AuditedConstraint['upperStatement'] {
  const bound = boundConstraint(constraint, input.data, input.rows, input.nOutputs, probs, input.method, exactKindOf(input.mode));
  return { nodes: constraint.baseNodes.map((spec, i) => ({ spec, bound: bound.baseNodes[i] })), lower: bound.lower, upper: bound.upper };
}

/** g's bound if every node had `factor` times its samples with the same mean and spread. */
export function scaledBound(constraint: CompiledConstraint, nodes: readonly AuditedNode[], method: AuditBoundMethod, kind: ExactKind, factor: number, side: 'lower' | 'upper'): number {
  const intervals = nodes.map((n) => nodeIntervalFromStats(n.spec, n.bound, method, Math.ceil(n.bound.nSamples * factor), kind));
  const lowers = intervals.map((i) => i.lower);
  const uppers = intervals.map((i) => i.upper);
  const r = propagateInterval(constraint.root, lowers, uppers);
  return side === 'lower' ? r.lower : r.upper;
}

/** The data-needed estimate looks up to this many times the audited rows; beyond, it reports none. */
export const MAX_DATA_FACTOR = 1e6;

/** Smallest factor (to 1%) at which the bound crosses 0, by bisection on log(factor); null if none up to MAX_DATA_FACTOR does. */
function estimateDataNeeded(item: Omit<AuditedConstraint, 'dataNeeded' | 'verdict'>, method: AuditBoundMethod, kind: ExactKind, nRows: number): DataNeeded | null {
  if (!Number.isFinite(item.gPoint) || item.gPoint === 0) return null;
  const towards = item.gPoint < 0 ? 'holds' : 'violated';
  const decided = (factor: number): boolean =>
    towards === 'holds'
      ? scaledBound(item.constraint, item.upperStatement.nodes, method, kind, factor, 'upper') <= 0
      : scaledBound(forLowerBound(item.constraint), item.lowerStatement.nodes, method, kind, factor, 'lower') > 0;
  const factor = smallestDecidingFactor(decided);
  return factor === null ? null : { factor, rows: Math.ceil(nRows * factor), towards };
}

/** The smallest factor in [1, MAX_DATA_FACTOR] (to 1%) at which `decided` turns true, by bisection on log(factor); null if none. */
export function smallestDecidingFactor(decided: (factor: number) => boolean): number | null {
  if (!decided(MAX_DATA_FACTOR)) return null;
  let lo = 1, hi = MAX_DATA_FACTOR;
  while (hi / lo > 1.01) {
    const mid = Math.sqrt(lo * hi);
    if (decided(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function auditConstraints(input: AuditInput): AuditedConstraint[] {
  const probs = input.mode.kind === 'hard' ? hardDecisions(input.probs, input.nOutputs, input.mode.threshold) : input.probs;
  const nRows = input.rows.end - input.rows.start;
  return input.constraints.map((constraint) => {
    const upperStatement = statement(constraint, input, probs);
    const lowerStatement = statement(forLowerBound(constraint), input, probs);
    const gPoint = new ConstraintBounder(constraint, input.data, input.rows, input.nOutputs).pointValue(probs);
    const gUpper = upperStatement.upper;
    const gLower = lowerStatement.lower;
    // A NaN bound decides nothing.
    const verdict: AuditVerdict = gUpper <= 0 ? 'holds' : gLower > 0 ? 'violated' : 'inconclusive';
    const partial = { constraint, upperStatement, lowerStatement, gUpper, gLower, gPoint };
    return { ...partial, verdict, dataNeeded: verdict === 'inconclusive' ? estimateDataNeeded(partial, input.method, exactKindOf(input.mode), nRows) : null };
  });
}
