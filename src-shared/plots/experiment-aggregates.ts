/**
 * The shape of an experiment's aggregated results (src-main/experiments/aggregate.ts computes it from
 * the stored trials), which the plots read on both sides: main renders them to SVG for the report and
 * the export, the UI draws them with vue-echarts. Plain types and one label table.
 */

import type { ExperimentConstraint, ModelKind, PerformanceMetric } from '../domain/experiments';

export type { ExperimentConstraint, ModelKind, PerformanceMetric };

export interface MeanWithError {
  readonly mean: number;
  /** ±1 standard error (NaN where undefined, e.g. one trial). */
  readonly ste: number;
}

export interface FractionAggregate {
  readonly fraction: number;
  /** φ·N_total: the x of the plots. */
  readonly amount: number;
  /** Trials stored at this fraction that ran to an outcome (a solution or NSF; failed trials are left out). */
  readonly trials: number;
  /** Trials that returned a solution (Seldonian: passed the safety test; baselines: non-NaN performance). */
  readonly solutions: number;
  /** null when hidden (≤ 1 trial with a solution). */
  readonly performance: (MeanWithError & { readonly n: number }) | null;
  readonly probabilityOfSolution: MeanWithError;
  /** One per constraint. */
  readonly probabilityOfViolation: readonly MeanWithError[];
  /** Per constraint: how many of the `trials` violated it on the ground truth (the count behind the mean). */
  readonly violations: readonly number[];
}

export interface ModelAggregate {
  readonly name: string;
  readonly kind: ModelKind;
  /** max(trial_i) + 1 over the model's stored trials: the divisor of most standard errors. */
  readonly nTrials: number;
  /** Fractions with at least one stored trial, ascending. */
  readonly fractions: readonly FractionAggregate[];
}

export interface ExperimentAggregates {
  /** N_total, the ground truth's size. */
  readonly nRows: number;
  readonly constraints: readonly ExperimentConstraint[];
  readonly performanceMetric: PerformanceMetric;
  readonly models: readonly ModelAggregate[];
}

/** Axis label of each metric. */
export const PERFORMANCE_LABEL: Record<PerformanceMetric, string> = {
  accuracy: 'Accuracy',
  'probabilistic-accuracy': 'Probabilistic accuracy',
  'log-loss': 'Log loss',
};
