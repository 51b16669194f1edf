/**
 * The shapes of a Seldonian experiment (spec §7): what is stored with it, what a trial produces, and
 * the data every trial reads. Plain data only (JSON or structured-cloneable), since settings live in
 * SQLite and trials cross into worker threads.
 */
import type { BoundMethod } from '../engine/constraint-bounds';
import type { QsaKernelInfo } from '../engine/kernels/kernel-info';

/**
 * How a solution is scored on the ground truth (X:perf_eval_funcs.py): `accuracy` is the accuracy of
 * hard decisions (p > threshold for binary models, argmax for multiclass), `probabilistic-accuracy` the
 * mean probability given to the true class, `log-loss` sklearn's log loss (lower is better).
 */
export type PerformanceMetric = 'accuracy' | 'probabilistic-accuracy' | 'log-loss';

export const PERFORMANCE_METRICS: readonly PerformanceMetric[] = ['accuracy', 'probabilistic-accuracy', 'log-loss'];

export type ThetaInit = 'zeros' | 'random' | 'logistic';

export const THETA_INITS: readonly ThetaInit[] = ['zeros', 'random', 'logistic'];

/** The QSA's settings, shared by every Seldonian model of an experiment (spec §4.2; defaults in DEFAULT_QSA_SETTINGS). */
export interface QsaSettings {
  /** frac_data_in_safety: the last round(n·frac) rows of the trial data form the safety set. */
  readonly fracSafety: number;
  /** λ₀, the same for every constraint. */
  readonly lambdaInit: number;
  readonly alphaTheta: number;
  readonly alphaLambda: number;
  readonly betaVelocity: number;
  readonly betaRmsprop: number;
  /** Full-batch iterations of candidate selection. */
  readonly iterations: number;
  /**
   * θ₀ (spec §4.8): `zeros` (the engine's default); `random`: each entry uniform in ±1/√d (PyTorch's
   * Linear init), seeded per trial from the experiment's seed so every fraction of a trial starts alike;
   * `logistic`: unconstrained logistic regression fitted on the candidate rows (the examples'
   * `initial_solution_fn = model.fit`), zeros if that fit fails.
   */
  readonly thetaInit: ThetaInit;
  readonly boundMethod: BoundMethod;
}

export const DEFAULT_QSA_SETTINGS: QsaSettings = {
  fracSafety: 0.5,
  lambdaInit: 0.5,
  alphaTheta: 0.005,
  alphaLambda: 0.005,
  betaVelocity: 0.9,
  betaRmsprop: 0.95,
  iterations: 200,
  thetaInit: 'zeros',
  boundMethod: 'student-t',
};

/**
 * One model of an experiment: `type` picks the implementation in the model registry, `name` is unique
 * within the experiment (it keys trials and names the export folder, `-` → `_`), `params` are the
 * type's own options (e.g. `{ p: 0.7 }` for weighted-random).
 */
export interface ModelSpec {
  readonly name: string;
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** Seldonian models report `passed_safety` and average performance over passing trials (spec §7.3, §7.4). */
export type ModelKind = 'seldonian' | 'baseline';

/** A model as stored with an experiment: its spec and its type's kind (so results read without the registry). */
export interface ExperimentModel extends ModelSpec {
  readonly kind: ModelKind;
}

export interface ExperimentSettings {
  /** Data fractions φ in (0, 1], in the order given. */
  readonly fractions: readonly number[];
  readonly nTrials: number;
  readonly models: readonly ExperimentModel[];
  readonly performance: PerformanceMetric;
  /** Decision threshold of `accuracy` for binary models (0.5). */
  readonly threshold: number;
  readonly qsa: QsaSettings;
}

export interface ExperimentConstraint {
  /** As the user typed it. */
  readonly source: string;
  /** The normalised g string (g ≤ 0). */
  readonly parsed: string;
  readonly delta: number;
}

/**
 * The ground truth every trial is scored on (the original full dataset, as the Python library's
 * examples do) and the pool the resamples draw from. Arrays may sit on SharedArrayBuffers.
 */
export interface ExperimentDataset {
  readonly nRows: number;
  readonly nClasses: number;
  /** 0/1 or class ids, in the dataset's stored order. */
  readonly labels: Float64Array;
  readonly sensitiveColumns: readonly string[];
  /** Row-major nRows × sensitiveColumns.length, 0/1. */
  readonly sensitive: Uint8Array;
  /** Row-major nRows × nFeatures, where the dataset has numeric features. */
  readonly features?: Float32Array | Float64Array;
  readonly nFeatures?: number;
  /** uint8 pixels, nRows × height × width × channels, where the dataset has images. */
  readonly images?: { readonly width: number; readonly height: number; readonly channels: 1 | 3; readonly pixels: Uint8Array };
}

/** One unit of work: one model on the trial data of one resample at one fraction. */
export interface TrialTask {
  readonly model: string;
  readonly fractionIndex: number;
  readonly fraction: number;
  readonly trialIndex: number;
  /** The trial data: the first round(φ·N) indices of trial i's resample (indices into the dataset). */
  readonly rows: Int32Array;
}

/** What one trial yields (one row of the trial CSV, plus what the store keeps besides). */
export interface TrialResult {
  readonly model: string;
  readonly fractionIndex: number;
  readonly fraction: number;
  readonly trialIndex: number;
  readonly nRows: number;
  /** A solution was returned (for Seldonian models: it passed the safety test). */
  readonly passed: boolean;
  /** On the ground truth; NaN when no solution was returned. */
  readonly performance: number;
  /** Each constraint's g on the ground truth; −∞ for every constraint when no solution ("NSF is safe"). */
  readonly g: readonly number[];
  /** The solution's parameters where the model has them. */
  readonly theta: Float64Array | null;
  readonly nsfReason: string | null;
  readonly durationSeconds: number;
  /**
   * The linear kernel the engine's QSA ran on (createQsaKernel's choice: SIMD for large float32 feature
   * matrices) and its threads, for models that run one (qsa-features, qsa-head) and returned from the
   * fit. Stored with the trial (schema 6); trials stored before that read back without it.
   */
  readonly kernel?: QsaKernelInfo;
}
