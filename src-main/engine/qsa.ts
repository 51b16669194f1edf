import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { roundHalfEven } from '../../src-shared/bounds/rounding';
import { candidateSelectionSteps, type CandidateSelectionResult, type IterationProgress, type OptimiserSettings } from './candidate-selection';
import type { BoundMethod } from './constraint-bounds';
import type { LabelledRows, RowRange } from './data';
import type { ClassifierModel } from './models/model';
import type { PrimaryObjective } from './objectives';
import { driveAsync, driveSync, type EngineSteps } from './model-calls';
import { safetyTestSteps, type SafetyTestResult } from './safety-test';

export interface QsaInput {
  readonly model: ClassifierModel;
  readonly objective: PrimaryObjective;
  readonly constraints: readonly CompiledConstraint[];
  readonly data: LabelledRows;
  readonly fracDataInSafety: number;
  readonly thetaInit: Float64Array;
  readonly settings: OptimiserSettings;
  /** Student-t (the engine's, default), Hoeffding or exact (betting); candidate selection predicts with the same method. */
  readonly boundMethod?: BoundMethod;
  readonly onIteration?: (progress: IterationProgress) => void;
  readonly signal?: AbortSignal;
}

/** The typed outcome: a model that passed the safety test, or No Solution Found with the reason. */
export type QsaOutcome =
  | { readonly kind: 'passed'; readonly solution: Float64Array }
  | { readonly kind: 'no_solution_found'; readonly reason: 'candidate_selection_nsf' | 'failed_safety_test'; readonly message: string };

export interface QsaResult {
  readonly outcome: QsaOutcome;
  /** The bound of the safety test and of candidate selection's prediction. */
  readonly boundMethod: BoundMethod;
  readonly nCandidate: number;
  readonly nSafety: number;
  readonly candidateSelection: CandidateSelectionResult | null;
  readonly safetyTest: SafetyTestResult | null;
  readonly thetaInit: Float64Array;
  readonly timingsSeconds: { readonly candidateSelection: number; readonly safetyTest: number; readonly total: number };
}

/** The engine's candidate/safety split: no shuffling, n_cand = round(N·(1 − frac)) half to even. */
export function candidateSafetySplit(nRows: number, fracDataInSafety: number): { candidate: RowRange; safety: RowRange } {
  const nCandidate = roundHalfEven(nRows * (1.0 - fracDataInSafety));
  return { candidate: { start: 0, end: nCandidate }, safety: { start: nCandidate, end: nRows } };
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

/**
 * The quasi-Seldonian algorithm: candidate selection on the first rows, safety test on the rest.
 * A constraint the interval arithmetic cannot bound (e.g. `**` with a possibly negative base) throws
 * BoundingError: the run fails with that message rather than reporting No Solution Found.
 */
export function runQsa(input: QsaInput): QsaResult {
  return driveSync(input.model, qsaSteps(input));
}

/**
 * runQsa awaiting the model's asynchronous predict/vjp where it has them (a TF.js model on webgpu); the
 * same loop, so the same results as runQsa for a model with only synchronous calls.
 */
export function runQsaAsync(input: QsaInput): Promise<QsaResult> {
  return driveAsync(input.model, qsaSteps(input));
}

function* qsaSteps(input: QsaInput): EngineSteps<QsaResult> {
  const started = performance.now();
  const { candidate, safety } = candidateSafetySplit(input.data.nRows, input.fracDataInSafety);
  const nCandidate = candidate.end - candidate.start;
  const nSafety = safety.end - safety.start;
  const thetaInit = Float64Array.from(input.thetaInit);
  const boundMethod = input.boundMethod ?? 'student-t';
  const common = { nCandidate, nSafety, thetaInit, boundMethod };

  const cs = yield* candidateSelectionSteps({ ...input, boundMethod, candidate, nSafetyRows: nSafety });
  const csSeconds = seconds(started);
  if (cs.outcome === 'nsf' || cs.candidate === null) {
    return {
      ...common,
      outcome: { kind: 'no_solution_found', reason: 'candidate_selection_nsf', message: cs.nsfReason ?? 'candidate selection found no solution' },
      candidateSelection: cs,
      safetyTest: null,
      timingsSeconds: { candidateSelection: csSeconds, safetyTest: 0, total: seconds(started) },
    };
  }
  const stStarted = performance.now();
  const st = yield* safetyTestSteps(input.model, cs.candidate, input.constraints, input.data, safety, boundMethod);
  const timingsSeconds = { candidateSelection: csSeconds, safetyTest: seconds(stStarted), total: seconds(started) };
  const outcome: QsaOutcome = st.passed
    ? { kind: 'passed', solution: cs.candidate }
    : {
        kind: 'no_solution_found',
        reason: 'failed_safety_test',
        message: `safety test failed: ${st.constraints.filter((c) => !c.passed).map((c) => `${c.constraint.parsed} has upper bound ${c.bound.upper}`).join('; ')}`,
      };
  return { ...common, outcome, candidateSelection: cs, safetyTest: st, timingsSeconds };
}

export { type OptimiserSettings, type IterationProgress };
