/**
 * A stored experiment's results: its trials and their aggregates, for `show`, `export` and `plot`
 * (and the UI). Needs no model registry: each stored model carries its kind.
 */
import type { ReadableDB } from '../store/database';
import { getExperiment, listTrials, type ExperimentInfo, type StoredTrial } from '../store/experiments';
import { aggregateTrials, type ExperimentAggregates } from './aggregate';
import { writeExperimentExport } from './export';
import { renderExperimentSvg } from './plots';

export interface ExperimentResults {
  readonly experiment: ExperimentInfo;
  readonly trials: readonly StoredTrial[];
  readonly aggregates: ExperimentAggregates;
}

/** undefined when there is no such experiment. */
export function experimentResults(db: ReadableDB, id: number): ExperimentResults | undefined {
  const experiment = getExperiment(db, id);
  if (!experiment) return undefined;
  const trials = listTrials(db, id);
  const aggregates = aggregateTrials({
    nRows: experiment.nRows,
    constraints: experiment.constraints,
    performanceMetric: experiment.settings.performance,
    models: experiment.settings.models,
    trials,
  });
  return { experiment, trials, aggregates };
}

/** Writes the Seldonian Experiments layout under `outDir`; returns the files (relative paths). */
export function exportExperimentResults(results: ExperimentResults, outDir: string): string[] {
  return writeExperimentExport(outDir, { fractions: results.experiment.settings.fractions, models: results.experiment.settings.models, trials: results.trials });
}

/** One SVG per constraint: `experiment-<id>-constraint-<j>.svg` (1-based j) → its text. */
export function experimentSvgs(results: ExperimentResults, size: { width?: number; height?: number } = {}): { file: string; svg: string }[] {
  return results.experiment.constraints.map((_, j) => ({
    file: `experiment-${results.experiment.id}-constraint-${j + 1}.svg`,
    svg: renderExperimentSvg(results.aggregates, { constraints: [j], ...size }),
  }));
}
