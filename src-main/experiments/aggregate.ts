/**
 * The three metrics per model and data fraction (X:generate_plots.py `make_plots`), with the
 * library's divisors, inconsistencies included, so that our plots match its plots of the same trials:
 *
 * - standard deviations are pandas' (sample, ddof = 1; NaN for a single value);
 * - n_trials is max(trial_i) + 1 over all of the model's trials (every fraction), not a count per
 *   fraction — the same when every trial ran, larger at fractions a cancelled run did not finish;
 * - performance, Seldonian models: mean over trials that passed the safety test at φ,
 *   s.e. = std / √n_passed; baselines: mean over trials with a non-NaN performance, but
 *   s.e. = std / √n_trials (the library's inconsistent divisor). Points with ≤ 1 such trial are hidden;
 * - probability of a solution: Seldonian models, the mean of passed_safety; baselines, the share of trials
 *   with a non-NaN performance; over all trials at φ, s.e. = std / √n_trials;
 * - probability of violation, per constraint: failed = g > 0 or g is NaN (X:experiment_utils.py
 *   `has_failed`), so NSF (g = −∞) counts as not failed; mean over all trials at φ, s.e. = std / √n_trials;
 *   the count of violating trials goes with it (the safety conclusion's exact bounds read it).
 *
 * Trials that failed with an error (TrialResult.error) have no outcome and are left out of everything
 * here (they are neither solutions, nor NSF, nor "not violated"); their experiment ends `failed`.
 */
import type { ExperimentAggregates, FractionAggregate, ModelAggregate } from '../../src-shared/plots/experiment-aggregates';
import type { ModelKind } from './models/model-type';
import type { ExperimentConstraint, PerformanceMetric, TrialResult } from './types';

// The aggregates' shape is shared with the renderer, which plots them; results and the CLI read it from here.
export type { ExperimentAggregates, FractionAggregate, MeanWithError, ModelAggregate } from '../../src-shared/plots/experiment-aggregates';

/** pandas' mean and std (ddof = 1) of the values. */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { mean, std: Number.NaN };
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(squares / (n - 1)) };
}

/** X:experiment_utils.py `has_failed`: g > 0, or g is NaN. */
export function violated(g: number): boolean {
  return g > 0 || Number.isNaN(g);
}

export interface AggregateInput {
  readonly nRows: number;
  readonly constraints: readonly ExperimentConstraint[];
  readonly performanceMetric: PerformanceMetric;
  /** The models in the order to show, with their kind. */
  readonly models: readonly { readonly name: string; readonly kind: ModelKind }[];
  readonly trials: readonly Pick<TrialResult, 'model' | 'fraction' | 'trialIndex' | 'passed' | 'performance' | 'g' | 'error'>[];
}

export function aggregateTrials(input: AggregateInput): ExperimentAggregates {
  const models = input.models.map(({ name, kind }): ModelAggregate => {
    const trials = input.trials.filter((t) => t.model === name && t.error === undefined);
    const nTrials = trials.reduce((m, t) => Math.max(m, t.trialIndex + 1), 0);
    const byFraction = new Map<number, typeof trials>();
    for (const t of trials) byFraction.set(t.fraction, [...(byFraction.get(t.fraction) ?? []), t]);
    const fractions = [...byFraction.keys()]
      .sort((a, b) => a - b)
      .map((fraction): FractionAggregate => {
        const at = byFraction.get(fraction)!;
        const seldonian = kind === 'seldonian';
        const solved = at.map((t) => (seldonian ? t.passed : !Number.isNaN(t.performance)));
        const scores = at.filter((t, i) => solved[i] && !Number.isNaN(t.performance)).map((t) => t.performance);
        const perf = meanAndStd(scores);
        const perfDivisor = seldonian ? scores.length : nTrials;
        const solution = meanAndStd(solved.map((s) => (s ? 1 : 0)));
        return {
          fraction,
          amount: fraction * input.nRows,
          trials: at.length,
          solutions: solved.filter(Boolean).length,
          performance: scores.length <= 1 ? null : { mean: perf.mean, ste: perf.std / Math.sqrt(perfDivisor), n: scores.length },
          probabilityOfSolution: { mean: solution.mean, ste: solution.std / Math.sqrt(nTrials) },
          probabilityOfViolation: input.constraints.map((_, j) => {
            const failed = meanAndStd(at.map((t) => (violated(t.g[j]) ? 1 : 0)));
            return { mean: failed.mean, ste: failed.std / Math.sqrt(nTrials) };
          }),
          violations: input.constraints.map((_, j) => at.filter((t) => violated(t.g[j])).length),
        };
      });
    return { name, kind, nTrials, fractions };
  });
  return { nRows: input.nRows, constraints: input.constraints, performanceMetric: input.performanceMetric, models };
}
