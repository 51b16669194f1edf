/**
 * A stored experiment's results: its trials and their aggregates, for `show`, `export` and `plot`
 * (and the UI). Needs no model registry: each stored model carries its kind.
 */
import type { QsaKernelName } from '../engine/kernels/kernel-info';
import type { ReadableDB } from '../store/database';
import { getExperiment, listTrials, type ExperimentInfo, type StoredTrial } from '../store/experiments';
import { experimentSafety, type ExperimentSafety } from '../../src-shared/domain/experiment-safety';
import type { TrialBackend } from '../../src-shared/domain/experiments';
import { aggregateTrials, type ExperimentAggregates } from './aggregate';
import { writeExperimentExport } from './export';
import type { SafeWriteOptions } from '../data/safe-write';
import { renderExperimentSvg } from './plots';

export interface ExperimentResults {
  readonly experiment: ExperimentInfo;
  /** Every stored trial, the failed ones (with `error`) included. */
  readonly trials: readonly StoredTrial[];
  /** Over the trials that ran to an outcome (aggregate.ts leaves the failed ones out). */
  readonly aggregates: ExperimentAggregates;
  /** The safety conclusion (exact binomial bounds on the violation rate over trials). */
  readonly safety: ExperimentSafety;
  /** The trials that failed with an error: no outcome, shown with their message. */
  readonly failedTrials: readonly FailedTrialView[];
}

export interface FailedTrialView {
  readonly model: string;
  readonly fraction: number;
  readonly trialIndex: number;
  readonly error: string;
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
  const failedTrials = trials.flatMap((t) => (t.error !== undefined ? [{ model: t.model, fraction: t.fraction, trialIndex: t.trialIndex, error: t.error }] : []));
  return { experiment, trials, aggregates, safety: experimentSafety(aggregates), failedTrials };
}

/** Trials that ran to an outcome (a solution or NSF). */
export function completedTrials(results: Pick<ExperimentResults, 'trials'>): StoredTrial[] {
  return results.trials.filter((t) => t.error === undefined);
}

/**
 * Writes the Seldonian Experiments layout under `outDir`; returns the files (relative paths). Failed
 * trials have no row: they have no outcome to write (the library's CSVs have no column for one).
 */
export function exportExperimentResults(results: ExperimentResults, outDir: string, options: SafeWriteOptions = {}): string[] {
  return writeExperimentExport(
    outDir,
    { fractions: results.experiment.settings.fractions, models: results.experiment.settings.models, trials: completedTrials(results) },
    options,
  );
}

/** One SVG per constraint: `experiment-<id>-constraint-<j>.svg` (1-based j) → its text. */
export function experimentSvgs(results: ExperimentResults, size: { width?: number; height?: number } = {}): { file: string; svg: string }[] {
  return results.experiment.constraints.map((_, j) => ({
    file: `experiment-${results.experiment.id}-constraint-${j + 1}.svg`,
    svg: renderExperimentSvg(results.aggregates, { constraints: [j], ...size }),
  }));
}

/** How many of a model's trials ran their QSA on one kernel with one thread count. */
export interface KernelCount {
  readonly name: QsaKernelName;
  readonly threads: number;
  readonly trials: number;
}

/** The kernels a model's QSA trials ran on; `unrecorded`: its trials stored without one (before schema 6). */
export interface ModelKernels {
  readonly model: string;
  readonly kernels: readonly KernelCount[];
  readonly unrecorded: number;
}

/**
 * Per model that reported a kernel for any trial (the QSA models; baselines and the CNN run none): the
 * kernels and thread counts its trials ran on, SIMD first, then by threads, in the models' order.
 */
export function trialKernels(results: Pick<ExperimentResults, 'experiment' | 'trials'>): ModelKernels[] {
  return results.experiment.settings.models.flatMap((m) => {
    const trials = results.trials.filter((t) => t.model === m.name && t.error === undefined);
    const counts = new Map<string, KernelCount>();
    let unrecorded = 0;
    for (const t of trials) {
      if (!t.kernel) {
        unrecorded++;
        continue;
      }
      const key = `${t.kernel.name}|${t.kernel.threads}`;
      const c = counts.get(key);
      counts.set(key, { name: t.kernel.name, threads: t.kernel.threads, trials: (c?.trials ?? 0) + 1 });
    }
    if (counts.size === 0) return [];
    const kernels = [...counts.values()].sort((a, b) => (a.name === b.name ? b.threads - a.threads : a.name === 'simd' ? -1 : 1));
    return [{ model: m.name, kernels, unrecorded }];
  });
}

/** How many of a deep model's trials each backend computed (TrialResult.backend, schema 11). */
export interface ModelBackends {
  readonly model: string;
  readonly backends: readonly { readonly backend: TrialBackend; readonly trials: number }[];
}

/** Per model whose trials recorded a backend (qsa-head, cnn): the backends that computed them, most trials first. */
export function trialBackends(results: Pick<ExperimentResults, 'experiment' | 'trials'>): ModelBackends[] {
  return results.experiment.settings.models.flatMap((m) => {
    const counts = new Map<TrialBackend, number>();
    for (const t of results.trials) if (t.model === m.name && t.backend !== undefined) counts.set(t.backend, (counts.get(t.backend) ?? 0) + 1);
    if (counts.size === 0) return [];
    return [{ model: m.name, backends: [...counts].map(([backend, trials]) => ({ backend, trials })).sort((a, b) => b.trials - a.trials) }];
  });
}
