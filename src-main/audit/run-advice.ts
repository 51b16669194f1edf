/**
 * Advice for a run that returned No Solution Found, from what its safety test stored: per constraint, the
 * group with the fewest safety rows (the widest intervals), and about how much similar data would likely
 * have let the safety test pass — the audit's data-needed estimate (audit.ts) applied to the run's base
 * nodes: every node's safety rows times a factor, with the same means and spreads, under the run's bound.
 */
import { compileForDataset } from '../engine/compile-for-dataset';
import type { ReadableDB } from '../store/database';
import { getDataset } from '../store/datasets';
import { getRunConstraints } from '../store/run-results';
import type { RunInfo } from '../store/runs';
import { scaledBound, smallestDecidingFactor, type AuditedNode } from './audit';

export interface ConstraintAdvice {
  readonly position: number;
  /** The base node over the fewest safety rows that is conditioned on a group; null when none is. */
  readonly smallestGroup: { readonly node: string; readonly n: number } | null;
  /** Rows (all of the run's rows, split as before) that would likely let the safety test pass; null: none would, or unknown. */
  readonly rowsNeeded: { readonly factor: number; readonly rows: number } | null;
  /** The estimate on the safety rows itself violates the constraint: more data alone would not help. */
  readonly estimateViolates: boolean;
}

export function runAdvice(db: ReadableDB, run: RunInfo): ConstraintAdvice[] {
  const stored = getRunConstraints(db, run.id);
  const dataset = run.datasetId === null ? undefined : getDataset(db, run.datasetId);
  const compiled = dataset ? compileForDataset(run.constraints, { sensitiveColumns: dataset.sensitiveColumns, nClasses: run.settings.numClasses }) : null;
  return stored.map((c, i) => {
    const grouped = c.nodes.filter((n) => n.name.includes('|'));
    const smallest = grouped.reduce<(typeof grouped)[number] | null>((min, n) => (min === null || n.nSamples < min.nSamples ? n : min), null);
    const estimateViolates = c.pointEstimate !== null && c.pointEstimate > 0;
    let rowsNeeded: ConstraintAdvice['rowsNeeded'] = null;
    const constraint = compiled?.[i];
    if (constraint && c.nodes.length > 0 && c.pointEstimate !== null && c.pointEstimate < 0) {
      const nodes: AuditedNode[] = constraint.baseNodes.map((spec) => {
        const n = c.nodes.find((x) => x.name === spec.name);
        return { spec, bound: { lower: n?.lower ?? Number.NaN, upper: n?.upper ?? Number.NaN, nSamples: n?.nSamples ?? 0, mean: n?.mean ?? Number.NaN, std: n?.std ?? Number.NaN, nPredicted: null } };
      });
      if (nodes.every((n) => n.bound.nSamples > 0)) {
        const factor = smallestDecidingFactor((f) => scaledBound(constraint, nodes, 'student-t', 'bounded', f, 'upper') <= 0);
        if (factor !== null) rowsNeeded = { factor, rows: Math.ceil(run.nRows * factor) };
      }
    }
    return { position: c.position, smallestGroup: smallest ? { node: smallest.name, n: smallest.nSamples } : null, rowsNeeded, estimateViolates };
  });
}
