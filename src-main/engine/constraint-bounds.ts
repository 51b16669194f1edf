import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { bettingLower, bettingUpper } from '../../src-shared/bounds/betting';
import { predictBettingBound } from '../../src-shared/bounds/betting-prediction';
import { evaluatePoint, propagateInterval } from '../../src-shared/bounds/interval';
import { hoeffdingLower, hoeffdingUpper } from '../../src-shared/bounds/hoeffding';
import { MIN_SAMPLES_FOR_BOUND, predictedSafetySize, tBoundMultiplier } from '../../src-shared/bounds/student-t';
import { pairwiseSum, sampleStd } from '../../src-shared/bounds/summation';
import type { BoundMethod } from '../../src-shared/domain/qsa';
import type { LabelledRows, RowRange } from './data';
import { rangeSize } from './data';
import { buildEstimatorPlan, evaluateEstimator, type EstimatorPlan } from './estimators';
import type { EstimatorSlot } from './kernels/linear-kernel';

export type { BoundMethod };

/** Safety test: real sample sizes, no inflation. Candidate selection: n̂ predicted for the safety set, inflated. */
export type BoundBranch =
  | { readonly kind: 'safety_test' }
  | { readonly kind: 'candidate_selection'; readonly nSafetyRows: number };

export interface BaseNodeBound {
  readonly lower: number;
  readonly upper: number;
  readonly nSamples: number;
  readonly mean: number;
  readonly std: number;
  /** Candidate selection only: the predicted safety sample size n̂. */
  readonly nPredicted: number | null;
}

interface Slopes {
  readonly lowerSlope: Float64Array;
  readonly upperSlope: Float64Array;
  readonly lowerMeanSlope: Float64Array;
  readonly upperMeanSlope: Float64Array;
}

export interface ConstraintBound {
  readonly lower: number;
  readonly upper: number;
  readonly baseNodes: readonly BaseNodeBound[];
}

/**
 * One constraint's bounds on one row range. Holds the range's estimator plans and scratch buffers so
 * each iteration of candidate selection allocates nothing proportional to the data.
 */
export class ConstraintBounder {
  private readonly plans: EstimatorPlan[];
  private readonly z: Float64Array[];
  private readonly scratch: Float64Array;
  private readonly gradLower: Float64Array;
  private readonly gradUpper: Float64Array;
  private readonly rangeRows: number;
  private readonly rangeStart: number;
  /** The exact (betting) method only: per node, d(node's lower/upper bound)/dZ_r of the last bound(). */
  private readonly rowGradLower: Float64Array[];
  private readonly rowGradUpper: Float64Array[];

  constructor(
    readonly constraint: CompiledConstraint,
    data: LabelledRows,
    range: RowRange,
    private readonly nOutputs: number,
    private readonly method: BoundMethod = 'student-t',
  ) {
    const multiclass = data.nClasses > 2 || nOutputs > 1;
    this.plans = constraint.baseNodes.map((node) => buildEstimatorPlan(node, data, range, multiclass));
    this.z = this.plans.map((plan) => new Float64Array(plan.rows.length));
    this.scratch = new Float64Array(Math.max(1, ...this.plans.map((p) => p.rows.length)));
    this.gradLower = new Float64Array(this.plans.length);
    this.gradUpper = new Float64Array(this.plans.length);
    this.rangeRows = rangeSize(range);
    this.rangeStart = range.start;
    const perRow = (): Float64Array[] => (method === 'exact' ? this.plans.map((plan) => new Float64Array(plan.rows.length)) : []);
    this.rowGradLower = perRow();
    this.rowGradUpper = perRow();
  }

  /** Masked sample count of each unique base node on this range. */
  sampleCounts(): number[] {
    return this.plans.map((plan) => plan.rows.length);
  }

  /**
   * Bounds of g. With `dProbs`, also adds weight · d(upper of g)/dP to it (only when that upper bound is finite),
   * through each node's mean and Bessel std (the exact method: through every value). Throws BoundingError
   * where the engine raises.
   */
  bound(probs: Float64Array, branch: BoundBranch, dProbs?: Float64Array, weight = 1): ConstraintBound {
    const nodes = this.constraint.baseNodes;
    const means = new Float64Array(nodes.length), stds = new Float64Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const z = this.z[i];
      evaluateEstimator(this.plans[i], probs, this.nOutputs, z);
      means[i] = pairwiseSum(z) / z.length;
      stds[i] = sampleStd(z, means[i], this.scratch);
    }
    const bounded = this.boundMoments(means, stds, branch, dProbs !== undefined);
    if (dProbs && Number.isFinite(bounded.upper)) {
      if (this.method === 'exact') this.backpropagateRows(dProbs, weight);
      else this.backpropagate(bounded.baseNodes, bounded.slopes, dProbs, weight);
    }
    return { lower: bounded.lower, upper: bounded.upper, baseNodes: bounded.baseNodes };
  }

  /**
   * The estimator slots of the fused path (one a base node, in order): each node's plan with absolute
   * rows, or null where a node reads another output column than 0 (multiclass), which the fused binary
   * path does not do.
   */
  estimatorSlots(): EstimatorSlot[] | null {
    // The betting bound's derivative per row is not of the form α + β·Z_r the fused backward takes.
    if (this.method === 'exact') return null;
    if (this.plans.some((plan) => plan.outputColumn.some((c) => c !== 0))) return null;
    return this.plans.map((plan) => ({ rows: plan.rows.map((r) => r + this.rangeStart), offset: plan.offset, slope: plan.slope }));
  }

  /**
   * bound() from sums a fused kernel made over the nodes' estimators (for node i: sums[at + 2i] = ΣZ and
   * sums[at + 2i + 1] = Σ(Z − shifts[at/2 + i])²), with the same bound arithmetic. With `coef`, writes each
   * node's (α, β) at coef[at + 2i], coef[at + 2i + 1] such that weight · d(upper of g)/dZ_r = α + β·Z_r (zeros
   * where the upper bound is not finite or does not depend on the node), for the kernel's backward; and
   * moves the node's shift to its mean, so the next iteration's squares stay small.
   */
  boundFromSums(sums: Float64Array, shifts: Float64Array, at: number, branch: BoundBranch, coef?: Float64Array, weight = 1): ConstraintBound {
    if (this.method === 'exact') throw new Error('the exact (betting) bound needs every estimator value: it has no fused form');
    const nodes = this.constraint.baseNodes;
    const means = new Float64Array(nodes.length), stds = new Float64Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const n = this.plans[i].rows.length, shift = shifts[at / 2 + i];
      const mean = sums[at + 2 * i] / n;
      // Σ(Z − c)² = Σ(Z − mean)² + n(mean − c)²; c is near the mean, so nothing cancels badly.
      const offset = mean - shift;
      const squares = Math.max(0, sums[at + 2 * i + 1] - n * offset * offset);
      means[i] = mean;
      stds[i] = Math.sqrt(squares / (n - 1));
      if (Number.isFinite(mean)) shifts[at / 2 + i] = mean;
    }
    const bounded = this.boundMoments(means, stds, branch, coef !== undefined);
    if (coef) {
      coef.fill(0, at, at + 2 * nodes.length);
      if (Number.isFinite(bounded.upper)) {
        for (let i = 0; i < nodes.length; i++) {
          const d = this.nodeDerivatives(i, bounded.baseNodes[i], bounded.slopes, weight);
          if (d === null) continue;
          coef[at + 2 * i] = d.perMean - d.perDeviation * bounded.baseNodes[i].mean;
          coef[at + 2 * i + 1] = d.perDeviation;
        }
      }
    }
    return { lower: bounded.lower, upper: bounded.upper, baseNodes: bounded.baseNodes };
  }

  /** The bounds from each node's mean and std; with `wantGradient`, gradLower/gradUpper hold d(root upper)/d(node side). */
  private boundMoments(
    means: Float64Array,
    stds: Float64Array,
    branch: BoundBranch,
    wantGradient: boolean,
  ): { lower: number; upper: number; baseNodes: BaseNodeBound[]; slopes: Slopes } {
    const nodes = this.constraint.baseNodes;
    const lowers = new Float64Array(nodes.length);
    const uppers = new Float64Array(nodes.length);
    const results: BaseNodeBound[] = [];
    // d(bound)/d(std) per node side; d(bound)/d(mean) is 1 except where Hoeffding's bound is clipped.
    const lowerSlope = new Float64Array(nodes.length);
    const upperSlope = new Float64Array(nodes.length);
    const lowerMeanSlope = new Float64Array(nodes.length).fill(1);
    const upperMeanSlope = new Float64Array(nodes.length).fill(1);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const n = this.plans[i].rows.length;
      const mean = means[i];
      const std = stds[i];
      let lower = -Infinity, upper = Infinity;
      const nPredicted = branch.kind === 'candidate_selection' ? predictedSafetySize(n, this.rangeRows, branch.nSafetyRows) : null;
      // The Student-t rule of the engine (< 5 samples → infinite bounds); Hoeffding and betting hold for any n ≥ 1.
      if (n >= (this.method === 'student-t' ? MIN_SAMPLES_FOR_BOUND : 1)) {
        const size = nPredicted ?? n;
        if (this.method === 'exact') {
          this.checkUnitInterval(i, branch);
          if (node.lowerNeeded && node.deltaLower !== null) {
            lower = this.bettingSide(i, 'lower', node.deltaLower, nPredicted, node.inflationLower ?? 1, wantGradient);
          }
          if (node.upperNeeded && node.deltaUpper !== null) {
            upper = this.bettingSide(i, 'upper', node.deltaUpper, nPredicted, node.inflationUpper ?? 1, wantGradient);
          }
        } else if (node.lowerNeeded && node.deltaLower !== null) {
          const inflation = branch.kind === 'safety_test' ? 1 : node.inflationLower ?? 1;
          if (this.method === 'hoeffding') {
            // Constant in the data except through the mean (clipping at 0 stops the gradient).
            lower = hoeffdingLower(mean, size, node.deltaLower, inflation);
            lowerSlope[i] = 0;
            if (lower === 0) lowerMeanSlope[i] = 0;
          } else {
            lowerSlope[i] = tBoundMultiplier(size, node.deltaLower, inflation);
            lower = mean - lowerSlope[i] * std;
          }
        }
        if (this.method !== 'exact' && node.upperNeeded && node.deltaUpper !== null) {
          const inflation = branch.kind === 'safety_test' ? 1 : node.inflationUpper ?? 1;
          if (this.method === 'hoeffding') {
            upper = hoeffdingUpper(mean, size, node.deltaUpper, inflation);
            upperSlope[i] = 0;
            if (upper === 1) upperMeanSlope[i] = 0;
          } else {
            upperSlope[i] = tBoundMultiplier(size, node.deltaUpper, inflation);
            upper = mean + upperSlope[i] * std;
          }
        }
      }
      lowers[i] = lower;
      uppers[i] = upper;
      results.push({ lower, upper, nSamples: n, mean, std, nPredicted });
    }

    if (wantGradient) {
      this.gradLower.fill(0);
      this.gradUpper.fill(0);
    }
    const root = propagateInterval(
      this.constraint.root,
      lowers,
      uppers,
      wantGradient ? this.gradLower : undefined,
      wantGradient ? this.gradUpper : undefined,
    );
    return { lower: root.lower, upper: root.upper, baseNodes: results, slopes: { lowerSlope, upperSlope, lowerMeanSlope, upperMeanSlope } };
  }

  /**
   * weight · d(upper of g)/dZ_r = perMean + perDeviation · (Z_r − mean) for node i (from dU/dmean · 1/n
   * and dU/dstd · (Z_r − mean)/((n−1)·std)), or null where the upper bound does not depend on the node.
   */
  private nodeDerivatives(i: number, node: BaseNodeBound, slopes: Slopes, weight: number): { perMean: number; perDeviation: number } | null {
    const gLower = this.gradLower[i], gUpper = this.gradUpper[i];
    if (gLower === 0 && gUpper === 0) return null;
    const { lowerSlope, upperSlope, lowerMeanSlope, upperMeanSlope } = slopes;
    const { std, nSamples: n } = node;
    // lower = mean − c_l·std, upper = mean + c_u·std.
    const dMean = gLower * lowerMeanSlope[i] + gUpper * upperMeanSlope[i];
    const dStd = -gLower * lowerSlope[i] + gUpper * upperSlope[i];
    return { perMean: (weight * dMean) / n, perDeviation: std > 0 ? (weight * dStd) / ((n - 1) * std) : 0 };
  }

  /**
   * The betting bound's guarantee needs every value in [0, 1]. The engine's estimators are a + b·P with
   * (a, b) ∈ {(0, 1), (1, −1)} and P a probability, so a value outside is a model that returned
   * something other than probabilities: refused, naming the node. NaN passes (the bound is then NaN:
   * No Solution Found, as under the other methods).
   */
  private checkUnitInterval(i: number, branch: BoundBranch): void {
    const z = this.z[i];
    for (let r = 0; r < z.length; r++) {
      if (z[r] < 0 || z[r] > 1) {
        const rows = branch.kind === 'safety_test' ? 'safety' : 'candidate';
        throw new RangeError(
          `base node '${this.constraint.baseNodes[i].name}': the exact (betting) bound needs estimator values in [0, 1], got ${z[r]} on ${rows} row ${this.plans[i].rows[r] + this.rangeStart}`,
        );
      }
    }
  }

  /**
   * One side of node i's betting bound on this.z[i]. Safety test: the bound itself (betting.ts) on the
   * rows in their order. Candidate selection: its prediction for n̂ safety rows (betting-prediction.ts),
   * with the per-row derivative in rowGrad* when `wantGradient`. Unlike Hoeffding's, the prediction is not
   * clipped to [0, 1], so that it keeps a gradient where the inflation takes it outside.
   */
  private bettingSide(i: number, side: 'lower' | 'upper', delta: number, nPredicted: number | null, inflation: number, wantGradient: boolean): number {
    const z = this.z[i];
    if (nPredicted === null) {
      for (let r = 0; r < z.length; r++) if (Number.isNaN(z[r])) return Number.NaN;
      return side === 'lower' ? bettingLower(z, delta) : bettingUpper(z, delta);
    }
    const gradient = wantGradient ? (side === 'lower' ? this.rowGradLower[i] : this.rowGradUpper[i]) : undefined;
    return predictBettingBound(z, side, nPredicted, delta, inflation, gradient);
  }

  /** The exact method's backward: weight · d(upper of g)/dZ_r from each side's per-row derivative, onto P. */
  private backpropagateRows(dProbs: Float64Array, weight: number): void {
    for (let i = 0; i < this.plans.length; i++) {
      const gLower = this.gradLower[i], gUpper = this.gradUpper[i];
      if (gLower === 0 && gUpper === 0) continue;
      const plan = this.plans[i];
      const lowerRows = this.rowGradLower[i], upperRows = this.rowGradUpper[i];
      for (let r = 0; r < plan.rows.length; r++) {
        const dz = (gLower === 0 ? 0 : gLower * lowerRows[r]) + (gUpper === 0 ? 0 : gUpper * upperRows[r]);
        dProbs[plan.rows[r] * this.nOutputs + plan.outputColumn[r]] += weight * dz * plan.slope[r];
      }
    }
  }

  /** d(upper of g)/dZ_i (nodeDerivatives), then onto P through Z = a + b·P. */
  private backpropagate(results: readonly BaseNodeBound[], slopes: Slopes, dProbs: Float64Array, weight: number): void {
    for (let i = 0; i < results.length; i++) {
      const d = this.nodeDerivatives(i, results[i], slopes, weight);
      if (d === null) continue;
      const { perMean, perDeviation } = d;
      const { mean } = results[i];
      const plan = this.plans[i];
      const z = this.z[i];
      for (let r = 0; r < plan.rows.length; r++) {
        const dz = perMean + perDeviation * (z[r] - mean);
        dProbs[plan.rows[r] * this.nOutputs + plan.outputColumn[r]] += dz * plan.slope[r];
      }
    }
  }

  /** g from each node's mean, no bounds: its point value (e.g. the experiments' ground truth). */
  pointValue(probs: Float64Array): number {
    const means = this.plans.map((plan, i) => {
      evaluateEstimator(plan, probs, this.nOutputs, this.z[i]);
      return pairwiseSum(this.z[i]) / this.z[i].length;
    });
    return evaluatePoint(this.constraint.root, means);
  }
}
