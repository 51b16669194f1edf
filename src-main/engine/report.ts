import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import type { BoundMethod } from '../../src-shared/domain/qsa';
import type { QsaResult } from './qsa';

/**
 * A QSA result in the shape of the golden fixtures' expected.json (snake_case keys, θ in the input's
 * layout), so runs can be compared with the original Python engine. Non-finite numbers stay numbers here;
 * serialisers decide how to write them.
 */
export interface QsaReport {
  readonly n_candidate: number;
  readonly n_safety: number;
  readonly constraint_strs_in: string[];
  readonly constraint_strs_parsed: string[];
  readonly deltas: number[];
  /** Not in the fixtures: the bound of the safety test and of candidate selection's prediction. */
  readonly bound_method: BoundMethod;
  readonly passed_safety: boolean;
  readonly solution_found: boolean;
  readonly cs_returned_nsf: boolean;
  readonly outcome: { kind: string; reason: string | null; message: string | null };
  readonly solution: ThetaJson | null;
  readonly candidate_solution: ThetaJson | null;
  readonly initial_solution: ThetaJson;
  readonly safety_test: SafetyTestReport | null;
  readonly candidate_selection: CandidateSelectionReport;
  readonly timings_s: Record<string, number>;
}

export type ThetaJson = number[] | number[][];

export interface BaseNodeBoundReport {
  lower: number;
  upper: number;
  lower_needed: boolean;
  upper_needed: boolean;
  delta_lower: number | null;
  delta_upper: number | null;
  n_samples: number;
  mean: number;
  std_ddof1: number;
}

export interface SafetyTestReport {
  upper_bounds: number[];
  upper_bounds_by_constraint: Record<string, number>;
  base_node_bounds: Record<string, Record<string, BaseNodeBoundReport>>;
  g_point_estimate: Record<string, number>;
}

export interface IterationReport {
  f: number;
  g: number[];
  lambda: number[];
  L: number;
}

export interface CandidateSelectionReport {
  found_feasible_solution: boolean;
  chosen_index: number | null;
  engine_best_index: number | null;
  min_gnorm_index: number | null;
  best_f: number | null;
  best_g: number[] | null;
  final_lambda: number[];
  iterations_planned: number;
  iterations_run: number;
  trace: Record<string, IterationReport>;
  trajectory: { f: number[]; g: number[][]; lambda: number[][]; L: number[] };
}

/** Iterations the fixtures' `trace` samples (plus the last one run). */
const TRACE_ITERATIONS = [0, 1, 2, 5, 10, 50, 100, 200, 500, 1000];

/** θ as the fixtures lay it out: flat for one output, (d+1) rows × K otherwise. */
export function thetaToJson(theta: Float64Array, nOutputs: number): ThetaJson {
  if (nOutputs === 1) return Array.from(theta);
  const rows: number[][] = [];
  for (let r = 0; r < theta.length / nOutputs; r++) rows.push(Array.from(theta.subarray(r * nOutputs, (r + 1) * nOutputs)));
  return rows;
}

function rowsOf(flat: readonly number[], width: number, count: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < count; i++) out.push(flat.slice(i * width, (i + 1) * width));
  return out;
}

export function buildQsaReport(
  result: QsaResult,
  constraints: readonly CompiledConstraint[],
  nOutputs: number,
  extraTimings: Record<string, number> = {},
): QsaReport {
  const cs = result.candidateSelection;
  const m = constraints.length;
  const iterations = cs?.iterationsRun ?? 0;
  const trajectory = cs
    ? { f: cs.trajectory.f, g: rowsOf(cs.trajectory.g, m, iterations), lambda: rowsOf(cs.trajectory.lambda, m, iterations), L: cs.trajectory.lagrangian }
    : { f: [], g: [], lambda: [], L: [] };
  const trace: Record<string, IterationReport> = {};
  for (const t of [...TRACE_ITERATIONS, iterations - 1]) {
    if (t < 0 || t >= iterations) continue;
    trace[String(t)] = { f: trajectory.f[t], g: trajectory.g[t], lambda: trajectory.lambda[t], L: trajectory.L[t] };
  }
  const chosen = cs?.outcome === 'candidate' ? cs.chosenIndex : null;
  const st = result.safetyTest;
  const safetyTest: SafetyTestReport | null = st
    ? {
        upper_bounds: st.constraints.map((c) => c.bound.upper),
        upper_bounds_by_constraint: Object.fromEntries(st.constraints.map((c) => [c.constraint.parsed, c.bound.upper])),
        base_node_bounds: Object.fromEntries(
          st.constraints.map((c) => [
            c.constraint.parsed,
            Object.fromEntries(
              c.constraint.baseNodes.map((node, i) => {
                const b = c.bound.baseNodes[i];
                const report: BaseNodeBoundReport = {
                  lower: b.lower,
                  upper: b.upper,
                  lower_needed: node.lowerNeeded,
                  upper_needed: node.upperNeeded,
                  delta_lower: node.deltaLower,
                  delta_upper: node.deltaUpper,
                  n_samples: b.nSamples,
                  mean: b.mean,
                  std_ddof1: b.std,
                };
                return [node.name, report];
              }),
            ),
          ]),
        ),
        g_point_estimate: Object.fromEntries(st.constraints.map((c) => [c.constraint.parsed, c.pointEstimate])),
      }
    : null;
  const passed = result.outcome.kind === 'passed';
  const candidateTheta = cs?.outcome === 'candidate' && cs.candidate ? cs.candidate : null;
  return {
    n_candidate: result.nCandidate,
    n_safety: result.nSafety,
    constraint_strs_in: constraints.map((c) => c.source),
    constraint_strs_parsed: constraints.map((c) => c.parsed),
    deltas: constraints.map((c) => c.delta),
    bound_method: result.boundMethod,
    passed_safety: passed,
    solution_found: passed,
    cs_returned_nsf: cs?.outcome === 'nsf',
    outcome: {
      kind: result.outcome.kind,
      reason: result.outcome.kind === 'passed' ? null : result.outcome.reason,
      message: result.outcome.kind === 'passed' ? null : result.outcome.message,
    },
    solution: result.outcome.kind === 'passed' ? thetaToJson(result.outcome.solution, nOutputs) : null,
    candidate_solution: candidateTheta ? thetaToJson(candidateTheta, nOutputs) : null,
    initial_solution: thetaToJson(result.thetaInit, nOutputs),
    safety_test: safetyTest,
    candidate_selection: {
      found_feasible_solution: cs?.foundFeasible ?? false,
      chosen_index: chosen,
      engine_best_index: cs?.bestFeasibleIndex ?? null,
      min_gnorm_index: cs?.minGNormIndex ?? null,
      best_f: chosen !== null ? trajectory.f[chosen] : null,
      best_g: chosen !== null ? trajectory.g[chosen] : null,
      final_lambda: iterations > 0 ? trajectory.lambda[iterations - 1] : [],
      iterations_planned: cs?.iterationsPlanned ?? 0,
      iterations_run: iterations,
      trace,
      trajectory,
    },
    timings_s: {
      ...extraTimings,
      candidate_selection: result.timingsSeconds.candidateSelection,
      safety_test: result.timingsSeconds.safetyTest,
      engine_total: result.timingsSeconds.total,
    },
  };
}
