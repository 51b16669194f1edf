/**
 * Runs side by side (the Runs page's compare): each run's candidate-selection curves overlaid on shared
 * panels, and each run's base-node intervals on the safety rows next to each other. Pure data shaping,
 * unit-tested; the charts (components/RunCompareCharts.vue) only draw what this returns.
 *
 * Runs may have different constraints: ĝ gets one panel per distinct constraint (by its source text, as
 * typed), and a run contributes a curve to a panel only if it has that constraint. Non-finite values
 * (NaN f, ±∞ bounds) become gaps (null), never points far off the axis.
 */
import type { RunDetail, RunIterations } from '../../../src-shared/contract';
import { lagrangian } from './run-live';

export type XY = readonly [number, number | null];

export interface RunCurves {
  readonly runId: number;
  /** 'run #3 (passed)'. */
  readonly label: string;
  /** The chosen candidate's iteration, or null (none, or no candidate selection). */
  readonly chosen: number | null;
  readonly f: readonly XY[];
  readonly lagrangian: readonly XY[];
  /** Per panel of `CompareCurves.constraints` (same order): this run's ĝ, or null if it lacks the constraint. */
  readonly g: readonly (readonly XY[] | null)[];
}

export interface CompareCurves {
  /** The distinct constraint sources, in the order they first appear across the runs: one ĝ panel each. */
  readonly constraints: readonly string[];
  readonly runs: readonly RunCurves[];
  /** True when no run has any iteration (nothing to draw). */
  readonly empty: boolean;
}

/** Keeps at most about `max` points, evenly spaced, always with the first and last (and `keep`, the chosen one). */
export function thin<T extends { readonly iteration: number }>(points: readonly T[], max: number, keep: number | null = null): T[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / max);
  return points.filter((p, i) => i % step === 0 || i === points.length - 1 || p.iteration === keep);
}

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

export function compareCurves(
  runs: readonly { readonly detail: RunDetail; readonly iterations: RunIterations }[],
  options: { readonly maxPoints?: number } = {},
): CompareCurves {
  const maxPoints = options.maxPoints ?? 600;
  const constraints: string[] = [];
  for (const { detail } of runs) for (const c of detail.constraints) if (!constraints.includes(c.source)) constraints.push(c.source);
  const shaped = runs.map(({ detail, iterations }): RunCurves => {
    const chosen = detail.candidateSelection?.chosenIndex ?? null;
    const points = thin(iterations.iterations, maxPoints, chosen);
    // A run's own constraint order: its iterations' g[i] belongs to its constraint at position i.
    const positions = constraints.map((source) => detail.constraints.findIndex((c) => c.source === source));
    return {
      runId: detail.run.id,
      label: `run #${detail.run.id} (${detail.run.status})`,
      chosen,
      f: points.map((p) => [p.iteration, finite(p.f)] as const),
      lagrangian: points.map((p) => [p.iteration, finite(Number.isFinite(p.lagrangian) ? p.lagrangian : lagrangian(p.f, p.g, p.lambda))] as const),
      g: positions.map((at) => (at < 0 ? null : points.map((p) => [p.iteration, finite(p.g[at])] as const))),
    };
  });
  return { constraints, runs: shaped, empty: shaped.every((r) => r.f.length === 0) };
}

export interface ComparedInterval {
  readonly runId: number;
  readonly lower: number;
  readonly upper: number;
  readonly mean: number;
  readonly n: number;
}

export interface ComparedNode {
  readonly name: string;
  /** One entry per compared run (same order as the runs): its interval, or null where it has no such node. */
  readonly runs: readonly (ComparedInterval | null)[];
}

export interface ComparedConstraint {
  readonly source: string;
  /** Per run: its upper bound of g (null: no safety test, or the run lacks the constraint) and whether it passed. */
  readonly upperBounds: readonly ({ readonly upperBound: number | null; readonly passed: boolean | null } | null)[];
  /** The base nodes of any run, in first-occurrence order. */
  readonly nodes: readonly ComparedNode[];
}

/** Each constraint's base-node intervals per run, aligned by node name. */
export function compareIntervals(details: readonly RunDetail[]): { readonly runIds: readonly number[]; readonly constraints: readonly ComparedConstraint[] } {
  const sources: string[] = [];
  for (const d of details) for (const c of d.constraints) if (!sources.includes(c.source)) sources.push(c.source);
  const constraints = sources.map((source): ComparedConstraint => {
    const own = details.map((d) => d.constraints.find((c) => c.source === source) ?? null);
    const names: string[] = [];
    for (const c of own) for (const n of c?.nodes ?? []) if (!names.includes(n.name)) names.push(n.name);
    return {
      source,
      upperBounds: own.map((c) => (c ? { upperBound: c.upperBound, passed: c.passed } : null)),
      nodes: names.map((name) => ({
        name,
        runs: own.map((c, i) => {
          const node = c?.nodes.find((n) => n.name === name);
          return node ? { runId: details[i].run.id, lower: node.lower, upper: node.upper, mean: node.mean, n: node.nSamples } : null;
        }),
      })),
    };
  });
  return { runIds: details.map((d) => d.run.id), constraints };
}

/** The x range an interval chart needs: [0, 1] for rates, widened to the next tenth by finite values beyond it. */
export function intervalRange(values: readonly number[]): { min: number; max: number } {
  const f = values.filter(Number.isFinite);
  const lo = Math.min(0, ...f);
  const hi = Math.max(1, ...f);
  return { min: lo < 0 ? Math.floor(lo * 10) / 10 : 0, max: hi > 1 ? Math.ceil(hi * 10) / 10 : 1 };
}
