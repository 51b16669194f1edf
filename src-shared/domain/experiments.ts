/**
 * A Seldonian experiment as stored: its settings, its constraints and what each trial produces. Plain
 * data only (JSON or structured-cloneable), since settings live in SQLite and trials cross into worker
 * threads.
 */
import type { BoundMethod, QsaKernelInfo } from './qsa';

/**
 * How a solution is scored on the ground truth (X:perf_eval_funcs.py): `accuracy` is the accuracy of
 * hard decisions (p > threshold for binary models, argmax for multiclass), `probabilistic-accuracy` the
 * mean probability given to the true class, `log-loss` sklearn's log loss (lower is better).
 */
export const PERFORMANCE_METRIC_NAMES = ['accuracy', 'probabilistic-accuracy', 'log-loss'] as const;
export type PerformanceMetric = (typeof PERFORMANCE_METRIC_NAMES)[number];

export const PERFORMANCE_METRICS: readonly PerformanceMetric[] = PERFORMANCE_METRIC_NAMES;

export const THETA_INIT_NAMES = ['zeros', 'random', 'logistic'] as const;
export type ThetaInit = (typeof THETA_INIT_NAMES)[number];

export const THETA_INITS: readonly ThetaInit[] = THETA_INIT_NAMES;

/** The QSA's settings, shared by every Seldonian model of an experiment (defaults: DEFAULT_QSA_SETTINGS in src-main/experiments/types.ts). */
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
   * θ₀: `zeros` (the engine's default); `random`: each entry uniform in ±1/√d (PyTorch's Linear init),
   * seeded per trial from the experiment's seed so every fraction of a trial starts alike; `logistic`:
   * unconstrained logistic regression fitted on the candidate rows (the examples'
   * `initial_solution_fn = model.fit`), zeros if that fit fails.
   */
  readonly thetaInit: ThetaInit;
  readonly boundMethod: BoundMethod;
}

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

/** Seldonian models report `passed_safety` and average performance over passing trials. */
export type ModelKind = 'seldonian' | 'baseline';

/** A model as stored with an experiment: its spec and its type's kind (so results read without the registry). */
export interface ExperimentModel extends ModelSpec {
  readonly kind: ModelKind;
}

export interface ExperimentSettings {
  /**
   * Rows the experiment used: the first `rows` of the dataset's stored order, resampled and scored as
   * its whole dataset (the ground truth). Absent: every row (and experiments stored before it existed).
   */
  readonly rows?: number;
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

/** What one trial yields (one row of the trial CSV, plus what the store keeps besides). */
/**
 * What computed a deep model's trial (its body's training, latents and predictions): a TF.js backend, or
 * ONNX Runtime where it replaced TF.js's CPU backends (the run's `cpuEngine`).
 */
export const TRIAL_BACKENDS = ['tensorflow', 'webgpu', 'onnxruntime', 'wasm', 'cpu'] as const;
export type TrialBackend = (typeof TRIAL_BACKENDS)[number];

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
  /** For deep models (qsa-head, cnn) that returned from the fit: what computed it. Stored (schema 11). */
  readonly backend?: TrialBackend;
  /**
   * Set when the trial failed: its fit threw something that is neither the algorithm's No Solution Found
   * nor a bounding error the original engine turns into one (a bug, a stack overflow, a generic
   * RangeError). Such a trial has no outcome: it is stored (schema 7) and shown, left out of the
   * aggregates and the export, and its experiment ends `failed`, never `completed`.
   */
  readonly error?: string;
}
