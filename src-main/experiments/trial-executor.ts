/**
 * One trial, the same way for every model: fit on the trial's rows; if a solution came back,
 * score it on the ground truth (performance, and each constraint's point value g, with the
 * soft estimators); if not, performance NaN and g = −∞ for every constraint ("NSF is safe").
 * NSF comes from the algorithm itself (the model's fit returns it) and, for a Seldonian model, from a
 * BoundingError — the interval arithmetic's way of signalling what the original engine raises as
 * ZeroDivisionError/ValueError (a division by an interval that is exactly [0, 0], `**` with a possibly
 * negative base), which X:experiments.py `run_seldonian_trial` catches as NSF. A baseline whose training
 * throws gives NSF (X:experiments.py `run_baseline_trial`). Any other error of a fit (a generic
 * RangeError, a stack overflow, a validation bug), and any error scoring a returned solution, is no NSF —
 * counted as one it would pass for "not violated" —: the trial fails, and comes back with `error` (its message) and no outcome, to be stored
 * and shown; its experiment ends `failed` (runner.ts). Runs in a worker thread or on the calling thread
 * alike.
 */
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { BoundingError } from '../../src-shared/bounds/interval';
import { ConstraintBounder } from '../engine/constraint-bounds';
import type { QsaKernelOptions } from '../engine/kernels/select';
import type { ExperimentModelType, TrialModel, TrialProgress } from './models/model-type';
import { experimentModelType } from './models/registry';
import { evaluatePerformance } from './performance';
import { deriveExperimentSeed, SEED_STREAM } from './resample';
import type { ExperimentDataset, ExperimentSettings, TrialResult, TrialTask } from './types';

export interface TrialExecutorInput {
  readonly dataset: ExperimentDataset;
  readonly constraints: readonly CompiledConstraint[];
  readonly settings: ExperimentSettings;
  /** The experiment's seed; each trial's model seed derives from it and the trial index. */
  readonly seed: number;
  /** How the models create the engine's linear kernel (ModelContext.kernel): the runner's thread share. */
  readonly kernel?: QsaKernelOptions;
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class TrialExecutor {
  private readonly models = new Map<string, { type: ExperimentModelType; model: TrialModel }>();
  /** Ground-truth bounders per number of model outputs (their estimator plans cover all N rows). */
  private readonly bounders = new Map<number, ConstraintBounder[]>();

  constructor(private readonly input: TrialExecutorInput) {}

  private modelFor(name: string): { type: ExperimentModelType; model: TrialModel } {
    let entry = this.models.get(name);
    if (!entry) {
      const spec = this.input.settings.models.find((m) => m.name === name);
      if (!spec) throw new RangeError(`the experiment has no model '${name}'`);
      const type = experimentModelType(spec.type);
      const { dataset, constraints, settings, kernel } = this.input;
      entry = { type, model: type.create({ dataset, constraints, settings, spec, ...(kernel ? { kernel } : {}) }) };
      this.models.set(name, entry);
    }
    return entry;
  }

  /** g of each constraint on the ground truth, from the model's probabilities for every row. */
  groundTruthG(probs: Float64Array, nOutputs: number): number[] {
    let bounders = this.bounders.get(nOutputs);
    if (!bounders) {
      const all = { start: 0, end: this.input.dataset.nRows };
      bounders = this.input.constraints.map((c) => new ConstraintBounder(c, this.input.dataset, all, nOutputs));
      this.bounders.set(nOutputs, bounders);
    }
    return bounders.map((b) => b.pointValue(probs));
  }

  /**
   * One trial. `signal` stops a long (deep) fit between batches: the trial then throws (it is not an
   * NSF, even for a baseline) and nothing is returned for it; `onProgress` reports inside the fit.
   */
  async run(task: TrialTask, options: { signal?: AbortSignal; onProgress?: (progress: TrialProgress) => void } = {}): Promise<TrialResult> {
    const started = performance.now();
    const { type, model } = this.modelFor(task.model);
    const common = { model: task.model, fractionIndex: task.fractionIndex, fraction: task.fraction, trialIndex: task.trialIndex, nRows: task.rows.length };
    const seed = deriveExperimentSeed(this.input.seed, SEED_STREAM.modelInit, task.trialIndex);
    let fit;
    try {
      fit = await model.fit({
        rows: task.rows,
        fraction: task.fraction,
        fractionIndex: task.fractionIndex,
        trialIndex: task.trialIndex,
        seed,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (!(type.kind === 'baseline' || error instanceof BoundingError)) return this.failed(common, started, error);
      fit = { kind: 'nsf' as const, reason: message(error) };
    }
    const kernel = { ...(fit.kernel ? { kernel: fit.kernel } : {}), ...(fit.backend ? { backend: fit.backend } : {}) };
    if (fit.kind === 'nsf') {
      return {
        ...common,
        ...kernel,
        passed: false,
        performance: Number.NaN,
        g: this.input.constraints.map(() => -Infinity),
        theta: null,
        nsfReason: fit.reason,
        durationSeconds: (performance.now() - started) / 1000,
      };
    }
    try {
      const { predictor } = fit;
      const probs = predictor.predict();
      const { settings, dataset } = this.input;
      const score = evaluatePerformance(settings.performance, { labels: dataset.labels, probs, nOutputs: predictor.nOutputs }, settings.threshold);
      return {
        ...common,
        passed: true,
        performance: score,
        g: this.groundTruthG(probs, predictor.nOutputs),
        theta: fit.theta,
        nsfReason: null,
        durationSeconds: (performance.now() - started) / 1000,
        ...kernel,
      };
    } catch (error) {
      // Scoring a returned solution has no NSF: whatever throws there fails the trial.
      return this.failed(common, started, error);
    }
  }

  /** A trial whose fit or scoring failed: no outcome (performance and g NaN, not passed), with the error's message. */
  private failed(common: Pick<TrialResult, 'model' | 'fractionIndex' | 'fraction' | 'trialIndex' | 'nRows'>, started: number, error: unknown): TrialResult {
    return {
      ...common,
      passed: false,
      performance: Number.NaN,
      g: this.input.constraints.map(() => Number.NaN),
      theta: null,
      nsfReason: null,
      durationSeconds: (performance.now() - started) / 1000,
      error: message(error),
    };
  }

  dispose(): void {
    for (const { model } of this.models.values()) model.dispose?.();
    this.models.clear();
  }
}
