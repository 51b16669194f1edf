import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { ConstraintBounder, type BoundBranch, type BoundMethod } from './constraint-bounds';
import type { EstimatorSlot, FusedQsaPasses } from './kernels/linear-kernel';
import type { LabelledRows, RowRange } from './data';
import type { EngineSteps } from './model-calls';
import type { ClassifierModel } from './models/model';
import type { PrimaryObjective } from './objectives';

export interface OptimiserSettings {
  /** One λ₀ per constraint. */
  readonly lambdaInit: readonly number[];
  readonly alphaTheta: number;
  readonly alphaLambda: number;
  readonly betaVelocity: number;
  readonly betaRmsprop: number;
  /** Full-batch iterations (ignored with mini-batches). */
  readonly numIters: number;
  /** null = one batch of the whole candidate set. */
  readonly batchSize: number | null;
  readonly nEpochs: number | null;
  readonly clipTheta: readonly [number, number] | null;
}

export interface IterationProgress {
  readonly iteration: number;
  readonly total: number;
  readonly f: number;
  readonly g: readonly number[];
  readonly lambda: readonly number[];
}

/** Every iteration's values, flat: g and λ are iterations × constraints. */
export interface Trajectory {
  readonly nConstraints: number;
  readonly f: number[];
  readonly g: number[];
  readonly lambda: number[];
  readonly lagrangian: number[];
}

export interface CandidateSelectionResult {
  /** 'nsf' when a NaN or ±∞ appeared at any iteration, even after a feasible iterate was found. */
  readonly outcome: 'candidate' | 'nsf';
  readonly candidate: Float64Array | null;
  readonly chosenIndex: number | null;
  readonly foundFeasible: boolean;
  readonly bestFeasibleIndex: number | null;
  readonly minGNormIndex: number | null;
  readonly iterationsPlanned: number;
  readonly iterationsRun: number;
  readonly trajectory: Trajectory;
  readonly nsfReason: string | null;
}

export interface CandidateSelectionInput {
  readonly model: ClassifierModel;
  readonly objective: PrimaryObjective;
  readonly constraints: readonly CompiledConstraint[];
  readonly data: LabelledRows;
  readonly candidate: RowRange;
  readonly nSafetyRows: number;
  readonly thetaInit: Float64Array;
  readonly settings: OptimiserSettings;
  readonly boundMethod?: BoundMethod;
  readonly onIteration?: (progress: IterationProgress) => void;
  readonly signal?: AbortSignal;
}

interface Batch {
  readonly range: RowRange;
  /** A short trailing batch cannot supply the candidate (the engine's rule). */
  readonly eligible: boolean;
  readonly bounders: ConstraintBounder[];
}

function makeBatches(input: CandidateSelectionInput): Batch[] {
  const { candidate, settings, constraints, data, model } = input;
  const nCandidate = candidate.end - candidate.start;
  const size = settings.batchSize ?? nCandidate;
  const batches: Batch[] = [];
  for (let b = 0; b * size < nCandidate || (b === 0 && nCandidate === 0); b++) {
    const range = { start: candidate.start + b * size, end: candidate.start + Math.min((b + 1) * size, nCandidate) };
    const rows = range.end - range.start;
    batches.push({
      range,
      eligible: !(b > 0 && rows < size),
      bounders: constraints.map((c) => new ConstraintBounder(c, data, range, model.nOutputs, input.boundMethod)),
    });
  }
  return batches;
}

/**
 * The fused passes, where the model's kernel has them, the objective is the binary logistic loss and every
 * constraint's base nodes fit its estimator slots: slot by slot, constraint i's nodes from slotStart[i] on,
 * each slot holding that node's rows of every batch (the batches are disjoint, so one table serves all).
 */
interface FusedIteration {
  readonly passes: FusedQsaPasses;
  readonly slotStart: number[];
  readonly nSlots: number;
}

function fusedIteration(input: CandidateSelectionInput, batches: readonly Batch[]): FusedIteration | null {
  const { model, objective } = input;
  const passes = model.fusedQsa;
  if (!passes || objective.name !== 'binary_logistic_loss' || model.nOutputs !== 1) return null;
  const slotStart: number[] = [];
  const slots: EstimatorSlot[][] = [];
  for (let i = 0; i < input.constraints.length; i++) {
    slotStart.push(slots.length);
    for (let b = 0; b < batches.length; b++) {
      const batchSlots = batches[b].bounders[i].estimatorSlots();
      if (batchSlots === null) return null;
      batchSlots.forEach((slot, j) => (b === 0 ? slots.push([slot]) : slots[slotStart[i] + j].push(slot)));
    }
  }
  if (slots.length > passes.maxEstimatorSlots) return null;
  passes.loadEstimators(slots.map(concatSlots));
  return { passes, slotStart, nSlots: slots.length };
}

function concatSlots(parts: readonly EstimatorSlot[]): EstimatorSlot {
  if (parts.length === 1) return parts[0];
  const join = <T extends Int32Array | Float64Array>(make: new (n: number) => T, pick: (s: EstimatorSlot) => T): T => {
    const out = new make(parts.reduce((n, s) => n + s.rows.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(pick(part), at);
      at += part.rows.length;
    }
    return out;
  };
  return { rows: join(Int32Array, (s) => s.rows), offset: join(Float64Array, (s) => s.offset), slope: join(Float64Array, (s) => s.slope) };
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/**
 * Candidate selection: the engine's KKT loop (gradient descent on θ with its Adam variant, ascent on λ)
 * on the Lagrangian f + Σ λᵢ Ûᵢ, each iteration's steps exactly in the engine's order. It yields the
 * model's predict and vjp to a driver (model-calls.ts); the fused kernels' passes run here directly.
 */
export function* candidateSelectionSteps(input: CandidateSelectionInput): EngineSteps<CandidateSelectionResult> {
  const { model, objective, data, settings } = input;
  const m = input.constraints.length;
  const batches = makeBatches(input);
  const totalIterations = settings.batchSize === null ? settings.numIters : (settings.nEpochs ?? 1) * batches.length;
  const maxRows = Math.max(...batches.map((b) => b.range.end - b.range.start));
  const probs = new Float64Array(maxRows * model.nOutputs);
  const dProbs = new Float64Array(maxRows * model.nOutputs);
  const scratch = new Float64Array(maxRows);
  const gradient = new Float64Array(model.nParams);
  const velocity = new Float64Array(model.nParams);
  const rmsprop = new Float64Array(model.nParams);
  const theta = Float64Array.from(input.thetaInit);
  const lambda = Float64Array.from(input.settings.lambdaInit);
  const g = new Float64Array(m);
  const fuseLoss = objective.name === 'binary_logistic_loss' && model.nOutputs === 1;
  const fused = fusedIteration(input, batches);
  // Per batch, each slot's shift (its last mean, so the fused sums of squares do not cancel), and the
  // per-slot sums and backward coefficients of the current iteration.
  const shifts = batches.map(() => new Float64Array(fused?.nSlots ?? 0).fill(0.5));
  const sums = new Float64Array(2 * (fused?.nSlots ?? 0));
  const coef = new Float64Array(2 * (fused?.nSlots ?? 0));
  const branch: BoundBranch = { kind: 'candidate_selection', nSafetyRows: input.nSafetyRows };
  const trajectory: Trajectory = { nConstraints: m, f: [], g: [], lambda: [], lagrangian: [] };

  let bestF = Infinity, bestTheta: Float64Array | null = null, bestIndex: number | null = null;
  let minGNorm = Infinity, minGNormTheta: Float64Array | null = null, minGNormIndex: number | null = null;
  let nsfReason: string | null = null;
  let iterationsRun = 0;

  for (let t = 0; t < totalIterations; t++) {
    if (input.signal?.aborted) throw new CancelledError();
    const batch = batches[t % batches.length];
    const { range } = batch;
    const nRows = range.end - range.start;
    const nValues = nRows * model.nOutputs;

    let f: number | null = null;
    if (fused) {
      // The fused passes: per-row work on the kernel's threads, the bounds here from per-node sums.
      const batchShifts = shifts[t % batches.length];
      f = fused.passes.forwardFused(theta, range, data.labels, batchShifts, sums);
      for (let i = 0; i < m; i++) g[i] = batch.bounders[i].boundFromSums(sums, batchShifts, 2 * fused.slotStart[i], branch, coef, lambda[i]).upper;
    } else {
      // A model whose kernel fuses the logistic loss into its forward pass computes f and df/dP there.
      f = fuseLoss ? (model.predictWithBinaryLogLoss?.(theta, range, data.labels, probs, dProbs) ?? null) : null;
      if (f === null) {
        yield { kind: 'predict', theta, range, probs };
        dProbs.fill(0, 0, nValues);
        f = objective.evaluate(probs, data.labels, range.start, nRows, scratch, dProbs);
      }
      for (let i = 0; i < m; i++) g[i] = batch.bounders[i].bound(probs, branch, dProbs, lambda[i]).upper;
    }

    let gNormSquared = 0;
    for (let i = 0; i < m; i++) gNormSquared += g[i] * g[i];
    const gNorm = Math.sqrt(gNormSquared);
    if (gNorm < minGNorm) {
      minGNorm = gNorm;
      minGNormTheta = Float64Array.from(theta);
      minGNormIndex = t;
    }
    let lagrangian = f;
    for (let i = 0; i < m; i++) lagrangian += lambda[i] * g[i];
    let feasible = batch.eligible;
    for (let i = 0; i < m && feasible; i++) if (!(g[i] <= 0)) feasible = false;
    if (feasible && f < bestF) {
      bestF = f;
      bestTheta = Float64Array.from(theta);
      bestIndex = t;
    }
    trajectory.f.push(f);
    trajectory.lagrangian.push(lagrangian);
    for (let i = 0; i < m; i++) {
      trajectory.g.push(g[i]);
      trajectory.lambda.push(lambda[i]);
    }
    iterationsRun = t + 1;
    input.onIteration?.({ iteration: t, total: totalIterations, f, g: Array.from(g), lambda: Array.from(lambda) });

    if (!Number.isFinite(f) || !allFinite(lambda) || !allFinite(theta) || !allFinite(g)) {
      nsfReason = `iteration ${t}: a NaN or infinite value appeared (f = ${f}, g = [${Array.from(g).join(', ')}])`;
      break;
    }

    gradient.fill(0);
    if (fused) fused.passes.backwardFused(range, coef, gradient);
    else yield { kind: 'vjp', theta, range, probs, dProbs, gradient };
    adamStep(theta, gradient, velocity, rmsprop, t + 1, settings);
    for (let i = 0; i < m; i++) lambda[i] += settings.alphaLambda * g[i];
    if (settings.clipTheta) {
      const [lo, hi] = settings.clipTheta;
      for (let j = 0; j < theta.length; j++) theta[j] = Math.min(Math.max(theta[j], lo), hi);
    }
    for (let i = 0; i < m; i++) if (lambda[i] < 0) lambda[i] = 0;
  }

  const base = { iterationsPlanned: totalIterations, iterationsRun, trajectory, bestFeasibleIndex: bestIndex, minGNormIndex };
  if (nsfReason !== null) {
    return { ...base, outcome: 'nsf', candidate: null, chosenIndex: null, foundFeasible: bestTheta !== null, nsfReason };
  }
  if (bestTheta !== null) {
    return { ...base, outcome: 'candidate', candidate: bestTheta, chosenIndex: bestIndex, foundFeasible: true, nsfReason: null };
  }
  return { ...base, outcome: 'candidate', candidate: minGNormTheta, chosenIndex: minGNormIndex, foundFeasible: false, nsfReason: null };
}

/**
 * The engine's Adam: the bias-corrected moments are written back into the state (a QUIRK of
 * E:optimizers/gradient_descent.py kept for agreement).
 */
function adamStep(
  theta: Float64Array,
  gradient: Float64Array,
  velocity: Float64Array,
  rmsprop: Float64Array,
  step: number,
  settings: OptimiserSettings,
): void {
  const b1 = settings.betaVelocity, b2 = settings.betaRmsprop;
  const correction1 = 1 - Math.pow(b1, step);
  const correction2 = 1 - Math.pow(b2, step);
  for (let j = 0; j < theta.length; j++) {
    const grad = gradient[j];
    let v = b1 * velocity[j] + (1 - b1) * grad;
    let s = b2 * rmsprop[j] + (1 - b2) * (grad * grad);
    v = v / correction1;
    s = s / correction2;
    velocity[j] = v;
    rmsprop[j] = s;
    theta[j] = theta[j] - (settings.alphaTheta * v) / (Math.sqrt(s) + 1e-6);
  }
}
