/**
 * What a finished QSA leaves in the store: each constraint's safety-test outcome, the iteration log, the
 * weights (the CNN's, the head's or the whole model's θ), the per-group accuracies and the summary.
 */
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import type { WeightsByValue } from '../deep/weights';
import type { LabelledRows, RowRange } from '../engine/data';
import type { QsaResult } from '../engine/qsa';
import type { RunConstraintResult, RunIteration, RunWeights } from '../store/run-results';
import type { GroupAccuracy, RunResultSummary } from './types';

/** The decision threshold of the reported accuracies (binary P(y=1) ≥ 0.5). */
export const THRESHOLD = 0.5;

/**
 * Hard-decision accuracy per group on `range`: P(y=1) ≥ threshold for one output, the arg-max class for
 * K outputs; `probs` holds the range's rows only.
 */
export function groupAccuracies(rows: LabelledRows, range: RowRange, probs: Float64Array, nOutputs: number, threshold = THRESHOLD): GroupAccuracy[] {
  const n = range.end - range.start;
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let predicted: number;
    if (nOutputs === 1) {
      predicted = probs[i] >= threshold ? 1 : 0;
    } else {
      predicted = 0;
      for (let c = 1; c < nOutputs; c++) if (probs[i * nOutputs + c] > probs[i * nOutputs + predicted]) predicted = c;
    }
    correct[i] = predicted === rows.labels[range.start + i] ? 1 : 0;
  }
  const k = rows.sensitiveColumns.length;
  const tally = (member: (i: number) => boolean, group: string): GroupAccuracy => {
    let count = 0, hits = 0;
    for (let i = 0; i < n; i++) {
      if (!member(i)) continue;
      count++;
      hits += correct[i];
    }
    return { group, n: count, accuracy: count === 0 ? Number.NaN : hits / count };
  };
  return [
    tally(() => true, 'all'),
    ...rows.sensitiveColumns.map((name, c) => tally((i) => rows.sensitive[(range.start + i) * k + c] === 1, name)),
  ];
}

function concatenated(weights: WeightsByValue): Float32Array {
  const total = weights.data.reduce((a, d) => a + d.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const d of weights.data) {
    out.set(d, offset);
    offset += d.length;
  }
  return out;
}

export function cnnWeights(kind: 'cnn_initial' | 'cnn_trained', weights: WeightsByValue): RunWeights {
  return { kind, names: weights.names, shapes: weights.shapes, data: concatenated(weights) };
}

export function thetaShape(theta: Float64Array, nOutputs: number): number[] {
  return nOutputs === 1 ? [theta.length] : [theta.length / nOutputs, nOutputs];
}

export function iterationLog(result: QsaResult): RunIteration[] {
  const cs = result.candidateSelection;
  if (!cs) return [];
  const m = cs.trajectory.nConstraints;
  return cs.trajectory.f.map((f, t) => ({
    iteration: t,
    f,
    g: cs.trajectory.g.slice(t * m, (t + 1) * m),
    lambda: cs.trajectory.lambda.slice(t * m, (t + 1) * m),
    lagrangian: cs.trajectory.lagrangian[t],
  }));
}

/** Each constraint's safety-test outcome in the shape runs store and `fairbound train` prints. */
export function constraintResults(result: QsaResult, constraints: readonly CompiledConstraint[]): RunConstraintResult[] {
  return constraints.map((c, position) => {
    const st = result.safetyTest?.constraints[position];
    return {
      position,
      source: c.source,
      parsed: c.parsed,
      delta: c.delta,
      upperBound: st ? st.bound.upper : null,
      pointEstimate: st ? st.pointEstimate : null,
      passed: st ? st.passed : null,
      nodes: st
        ? c.baseNodes.map((node, i) => {
            const b = st.bound.baseNodes[i];
            return {
              name: node.name,
              lower: b.lower,
              upper: b.upper,
              lowerNeeded: node.lowerNeeded,
              upperNeeded: node.upperNeeded,
              deltaLower: node.deltaLower,
              deltaUpper: node.deltaUpper,
              nSamples: b.nSamples,
              mean: b.mean,
              std: b.std,
            };
          })
        : [],
    };
  });
}

/** The θ whose accuracy is reported: the solution, else the candidate that failed the safety test. */
export function reportedTheta(result: QsaResult): { theta: Float64Array; of: 'solution' | 'candidate' } | null {
  if (result.outcome.kind === 'passed') return { theta: result.outcome.solution, of: 'solution' };
  const cs = result.candidateSelection;
  if (cs && cs.outcome === 'candidate' && cs.candidate) return { theta: cs.candidate, of: 'candidate' };
  return null;
}

export function summary(result: QsaResult, extra: Pick<RunResultSummary, 'groupAccuracy' | 'trainedCnnGroupAccuracy' | 'bodyTraining' | 'latentDim' | 'nParams'>): RunResultSummary {
  const cs = result.candidateSelection;
  return {
    verdict: result.outcome.kind === 'passed' ? 'passed' : 'nsf',
    outcome: {
      kind: result.outcome.kind,
      reason: result.outcome.kind === 'passed' ? null : result.outcome.reason,
      message: result.outcome.kind === 'passed' ? null : result.outcome.message,
    },
    candidateSelection: {
      iterationsPlanned: cs?.iterationsPlanned ?? 0,
      iterationsRun: cs?.iterationsRun ?? 0,
      chosenIndex: cs?.outcome === 'candidate' ? cs.chosenIndex : null,
      foundFeasible: cs?.foundFeasible ?? false,
      returnedNsf: cs?.outcome === 'nsf',
    },
    ...extra,
  };
}

