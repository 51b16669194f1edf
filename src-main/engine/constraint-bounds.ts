import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { evaluatePoint, propagateInterval } from '../../src-shared/bounds/interval';
import { MIN_SAMPLES_FOR_BOUND, predictedSafetySize, tBoundMultiplier } from '../../src-shared/bounds/student-t';
import { pairwiseSum, sampleStd } from '../../src-shared/bounds/summation';
import type { LabelledRows, RowRange } from './data';
import { rangeSize } from './data';
import { buildEstimatorPlan, evaluateEstimator, type EstimatorPlan } from './estimators';

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

  constructor(
    readonly constraint: CompiledConstraint,
    data: LabelledRows,
    range: RowRange,
    private readonly nOutputs: number,
  ) {
    const multiclass = data.nClasses > 2 || nOutputs > 1;
    this.plans = constraint.baseNodes.map((node) => buildEstimatorPlan(node, data, range, multiclass));
    this.z = this.plans.map((plan) => new Float64Array(plan.rows.length));
    this.scratch = new Float64Array(Math.max(1, ...this.plans.map((p) => p.rows.length)));
    this.gradLower = new Float64Array(this.plans.length);
    this.gradUpper = new Float64Array(this.plans.length);
    this.rangeRows = rangeSize(range);
  }

  /** Masked sample count of each unique base node on this range. */
  sampleCounts(): number[] {
    return this.plans.map((plan) => plan.rows.length);
  }

  /**
   * Bounds of g. With `dProbs`, also adds weight · d(upper of g)/dP to it (only when that upper bound is finite),
   * through each node's mean and Bessel std (spec §4.1). Throws BoundingError where the engine raises.
   */
  bound(probs: Float64Array, branch: BoundBranch, dProbs?: Float64Array, weight = 1): ConstraintBound {
    const nodes = this.constraint.baseNodes;
    const lowers = new Float64Array(nodes.length);
    const uppers = new Float64Array(nodes.length);
    const results: BaseNodeBound[] = [];
    const lowerSlope = new Float64Array(nodes.length);
    const upperSlope = new Float64Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const z = this.z[i];
      evaluateEstimator(this.plans[i], probs, this.nOutputs, z);
      const n = z.length;
      const mean = pairwiseSum(z) / n;
      const std = sampleStd(z, mean, this.scratch);
      let lower = -Infinity, upper = Infinity, nPredicted: number | null = null;
      if (n >= MIN_SAMPLES_FOR_BOUND) {
        const size = branch.kind === 'safety_test' ? n : predictedSafetySize(n, this.rangeRows, branch.nSafetyRows);
        if (branch.kind === 'candidate_selection') nPredicted = size;
        if (node.lowerNeeded && node.deltaLower !== null) {
          const inflation = branch.kind === 'safety_test' ? 1 : node.inflationLower ?? 1;
          lowerSlope[i] = tBoundMultiplier(size, node.deltaLower, inflation);
          lower = mean - lowerSlope[i] * std;
        }
        if (node.upperNeeded && node.deltaUpper !== null) {
          const inflation = branch.kind === 'safety_test' ? 1 : node.inflationUpper ?? 1;
          upperSlope[i] = tBoundMultiplier(size, node.deltaUpper, inflation);
          upper = mean + upperSlope[i] * std;
        }
      }
      lowers[i] = lower;
      uppers[i] = upper;
      results.push({ lower, upper, nSamples: n, mean, std, nPredicted });
    }

    const wantGradient = dProbs !== undefined;
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
    if (dProbs && Number.isFinite(root.upper)) this.backpropagate(results, lowerSlope, upperSlope, dProbs, weight);
    return { lower: root.lower, upper: root.upper, baseNodes: results };
  }

  /** d(upper of g)/dZ_i = dU/dmean · 1/n + dU/dstd · (Z_i − mean)/((n−1)·std), then onto P through Z = a + b·P. */
  private backpropagate(
    results: readonly BaseNodeBound[],
    lowerSlope: Float64Array,
    upperSlope: Float64Array,
    dProbs: Float64Array,
    weight: number,
  ): void {
    for (let i = 0; i < results.length; i++) {
      const gLower = this.gradLower[i], gUpper = this.gradUpper[i];
      if (gLower === 0 && gUpper === 0) continue;
      const { mean, std, nSamples: n } = results[i];
      // lower = mean − c_l·std, upper = mean + c_u·std.
      const dMean = gLower + gUpper;
      const dStd = -gLower * lowerSlope[i] + gUpper * upperSlope[i];
      const perMean = (weight * dMean) / n;
      const perDeviation = std > 0 ? (weight * dStd) / ((n - 1) * std) : 0;
      const plan = this.plans[i];
      const z = this.z[i];
      for (let r = 0; r < plan.rows.length; r++) {
        const dz = perMean + perDeviation * (z[r] - mean);
        dProbs[plan.rows[r] * this.nOutputs + plan.outputColumn[r]] += dz * plan.slope[r];
      }
    }
  }

  /** g from each node's mean, no bounds (spec §3.7). */
  pointValue(probs: Float64Array): number {
    const means = this.plans.map((plan, i) => {
      evaluateEstimator(plan, probs, this.nOutputs, this.z[i]);
      return pairwiseSum(this.z[i]) / this.z[i].length;
    });
    return evaluatePoint(this.constraint.root, means);
  }
}
