/**
 * Invariant under test: the Runs page's compare shapes data for its charts correctly — every run's f, L
 * and ĝ curves keyed by iteration, one ĝ panel per distinct constraint (a run's g[i] goes to the panel of
 * ITS i-th constraint, whatever order runs list them in; a run without the constraint has no curve there),
 * non-finite values as gaps, long logs thinned while keeping the first, last and chosen iterations; and
 * each constraint's base-node intervals aligned by node name across runs (null where a run lacks a node).
 */
import { describe, expect, it } from 'vitest';
import type { RunDetail, RunIterations } from '../../src-shared/contract';
import { compareCurves, compareIntervals, intervalRange, thin } from '../../src-renderer/src/lib/run-compare';

const A = 'ACC >= 0.6';
const B = 'abs((PR | [M]) - (PR | [F])) <= 0.2';

function node(name: string, lower: number, upper: number, mean: number) {
  return { name, lower, upper, lowerNeeded: true, upperNeeded: Number.isFinite(upper), deltaLower: 0.05, deltaUpper: null, nSamples: 40, mean, std: 0.1 };
}

function detail(id: number, constraints: { source: string; upperBound: number | null; passed: boolean | null; nodes: ReturnType<typeof node>[] }[], chosen: number | null): RunDetail {
  return {
    run: {
      id, name: null, notes: null, datasetId: 1, datasetName: 'd', pipeline: 'head', architecture: 'tutorial-j-cnn', constraints: constraints.map((c) => ({ source: c.source, parsed: c.source, delta: 0.05 })),
      seed: 0, backendPreference: 'auto', backend: 'cpu', status: 'passed', phase: null, error: null, nRows: 80, nCandidate: 40, nSafety: 40,
      createdAt: 'now', startedAt: 'now', finishedAt: 'now',
    },
    settings: {}, bound: 'student-t', seeds: {}, backend: null, timings: {}, verdict: 'passed', outcome: null,
    candidateSelection: chosen === null ? null : { iterationsPlanned: 10, iterationsRun: 10, chosenIndex: chosen, foundFeasible: true, returnedNsf: false },
    constraints: constraints.map((c, position) => ({ ...c, parsed: c.source, delta: 0.05, position, pointEstimate: null })),
    groupAccuracy: null, trainedCnnGroupAccuracy: null, bodyTraining: null,
  };
}

function log(runId: number, n: number, g: (i: number) => number[]): RunIterations {
  return {
    runId,
    iterations: Array.from({ length: n }, (_, i) => ({ iteration: i, f: i === 1 ? Number.NaN : 1 - i / n, g: g(i), lambda: g(i).map(() => 0.5), lagrangian: Number.NaN })),
  };
}

describe('compareCurves', () => {
  it('overlays runs per panel, maps each run\'s g by its own constraint order, and turns non-finite values into gaps', () => {
    const one = detail(1, [{ source: A, upperBound: -0.1, passed: true, nodes: [] }, { source: B, upperBound: 0.05, passed: false, nodes: [] }], 2);
    const two = detail(2, [{ source: B, upperBound: -0.02, passed: true, nodes: [] }], null);
    const curves = compareCurves([
      { detail: one, iterations: log(1, 4, (i) => [-0.1 * i, 0.2 * i]) },
      { detail: two, iterations: log(2, 3, (i) => [i === 0 ? Infinity : 0.3 * i]) },
    ]);
    expect(curves.constraints).toEqual([A, B]);
    expect(curves.empty).toBe(false);
    const [r1, r2] = curves.runs;
    expect(r1).toMatchObject({ runId: 1, label: 'run #1 (passed)', chosen: 2 });
    expect(r1.f).toEqual([[0, 1], [1, null], [2, 0.5], [3, 0.25]]);
    expect(r1.g[0]).toEqual([[0, -0], [1, -0.1], [2, -0.2], [3, -0.30000000000000004]]);
    expect(r1.g[1]?.[3]).toEqual([3, 0.6000000000000001]);
    // L is recomputed where the stored one is NaN: f + Σ λ ĝ (NaN f stays a gap).
    expect(r1.lagrangian[2]).toEqual([2, 0.5 + 0.5 * -0.2 + 0.5 * 0.4]);
    expect(r1.lagrangian[1]).toEqual([1, null]);
    // Run 2 has only B, which is its g[0]: no curve on A's panel, its g[0] on B's.
    expect(r2.g[0]).toBeNull();
    expect(r2.g[1]).toEqual([[0, null], [1, 0.3], [2, 0.6]]);
    expect(r2.chosen).toBeNull();
  });

  it('is empty when no run has iterations', () => {
    const curves = compareCurves([{ detail: detail(3, [{ source: A, upperBound: null, passed: null, nodes: [] }], null), iterations: { runId: 3, iterations: [] } }]);
    expect(curves.empty).toBe(true);
    expect(curves.runs[0].g).toEqual([[]]);
  });

  it('thins long logs to about maxPoints, keeping the first, the last and the chosen iteration', () => {
    const curves = compareCurves([{ detail: detail(4, [{ source: A, upperBound: 0, passed: true, nodes: [] }], 777), iterations: log(4, 1200, () => [0]) }], { maxPoints: 100 });
    const xs = curves.runs[0].f.map(([x]) => x);
    expect(xs.length).toBeLessThanOrEqual(102);
    expect(xs[0]).toBe(0);
    expect(xs.at(-1)).toBe(1199);
    expect(xs).toContain(777);
    expect(thin([{ iteration: 0 }, { iteration: 1 }], 5)).toHaveLength(2);
  });
});

describe('compareIntervals', () => {
  it('aligns base nodes by name across runs, with null where a run lacks the node or the constraint', () => {
    const one = detail(1, [{ source: A, upperBound: -0.1, passed: true, nodes: [node('ACC', 0.62, Infinity, 0.7)] }], 0);
    const two = detail(2, [
      { source: B, upperBound: null, passed: null, nodes: [] },
      { source: A, upperBound: 0.02, passed: false, nodes: [node('ACC', 0.55, Infinity, 0.6), node('PR | [M]', 0.1, 0.4, 0.25)] },
    ], 0);
    const out = compareIntervals([one, two]);
    expect(out.runIds).toEqual([1, 2]);
    expect(out.constraints.map((c) => c.source)).toEqual([A, B]);
    const [a, b] = out.constraints;
    expect(a.upperBounds).toEqual([{ upperBound: -0.1, passed: true }, { upperBound: 0.02, passed: false }]);
    expect(a.nodes.map((n) => n.name)).toEqual(['ACC', 'PR | [M]']);
    expect(a.nodes[0].runs).toEqual([
      { runId: 1, lower: 0.62, upper: Infinity, mean: 0.7, n: 40 },
      { runId: 2, lower: 0.55, upper: Infinity, mean: 0.6, n: 40 },
    ]);
    expect(a.nodes[1].runs[0]).toBeNull();
    expect(b.upperBounds).toEqual([null, { upperBound: null, passed: null }]);
    expect(b.nodes).toEqual([]);
  });

  it('sizes the axis to [0, 1], widened to the next tenth by finite values only', () => {
    expect(intervalRange([0.2, Infinity, -Infinity, Number.NaN])).toEqual({ min: 0, max: 1 });
    expect(intervalRange([-0.13, 1.21])).toEqual({ min: -0.2, max: 1.3 });
  });
});
