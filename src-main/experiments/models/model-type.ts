/**
 * The plug-in interface of experiment models. A model type (`qsa-features`, `logistic`, later the
 * deep-learning module's `qsa-head`, `qsa-full`, `cnn`) is created once per experiment and worker, then
 * fitted once per trial on the trial's rows, given as indices into the dataset. It returns either a
 * solution that predicts probabilities for any rows of the dataset, or No Solution Found. The runner does
 * the rest the same way for every model: performance and each constraint's g on the ground
 * truth, NSF → performance NaN and g = −∞.
 */
import type { CompiledConstraint } from '../../../src-shared/constraint/ast';
import type { TrialBackend } from '../../../src-shared/domain/experiments';
import type { QsaKernelInfo, QsaKernelOptions } from '../../engine/kernels/kernel-info';
import type { ExperimentDataset, ExperimentSettings, ModelKind, ModelSpec } from '../types';

export type { ModelKind };

/**
 * Where trials of this type run. `worker`: in the experiment's worker threads, in parallel (the type
 * must then be in BUILTIN_MODEL_TYPES so the worker's module graph has it). `in-process`: one at a time
 * on the calling thread. `process`: TensorFlow.js models, one at a time in the ONE process that does deep
 * work (tfjs cannot share a process across worker threads, and must not block the app's main process):
 * the app's training worker when the runner is given a `processSlot`, else the calling thread (the CLI).
 */
export type ModelExecution = 'worker' | 'in-process' | 'process';

/** What the dataset must provide. */
export type ModelInputs = 'features' | 'images' | 'labels-only';

export interface ModelContext {
  /** The ground truth: the whole dataset in stored order. */
  readonly dataset: ExperimentDataset;
  readonly constraints: readonly CompiledConstraint[];
  readonly settings: ExperimentSettings;
  readonly spec: ModelSpec;
  /**
   * How models on the engine's linear kernel create it (createQsaKernel): the runner passes each trial
   * slot its share of the cores as `threads`, since several trials run at once; tests and benches may
   * force `js`. Absent: the default rule on every core.
   */
  readonly kernel?: QsaKernelOptions;
}

export interface TrialInput {
  /** The trial data: indices into the dataset (a bootstrap prefix, so repeats are normal). */
  readonly rows: Int32Array;
  readonly fraction: number;
  readonly fractionIndex: number;
  readonly trialIndex: number;
  /** This trial's seed for anything random in the model (initial weights, batch order); the same for every fraction and model of the trial. */
  readonly seed: number;
  /** Stops a long fit between batches / iterations (it then throws); models that are quick may ignore it. */
  readonly signal?: AbortSignal;
  /** Progress inside a long fit (deep models: per batch of body training, per QSA iteration). */
  readonly onProgress?: (progress: TrialProgress) => void;
}

/** Where a long trial is (deep models); `done` of `total` steps of the phase. */
export interface TrialProgress {
  readonly phase: 'training' | 'latents' | 'candidate_selection' | 'predicting';
  readonly done: number;
  readonly total: number;
  /** Body training: epoch (1-based) and the batch's loss. */
  readonly epoch?: number;
  readonly epochs?: number;
  readonly loss?: number;
}

/** A fitted model. Probabilities are row-major with `nOutputs` columns (1 = P(y=1) for binary models). */
export interface TrialPredictor {
  readonly nOutputs: number;
  /** Probabilities for `rows` (indices into the dataset), or for every row in stored order when omitted. */
  predict(rows?: Int32Array): Float64Array;
}

export type TrialFit =
  | {
      readonly kind: 'solution';
      readonly predictor: TrialPredictor;
      /** The parameters to store with the trial, where the model has a (small) parameter vector. */
      readonly theta: Float64Array | null;
      /** The kernel the model's QSA ran on, where it ran one (reported with the trial). */
      readonly kernel?: QsaKernelInfo;
      /** What computed a deep model's training and inference (reported with the trial). */
      readonly backend?: TrialBackend;
    }
  | { readonly kind: 'nsf'; readonly reason: string; readonly kernel?: QsaKernelInfo; readonly backend?: TrialBackend };

export interface TrialModel {
  fit(input: TrialInput): TrialFit | Promise<TrialFit>;
  /** Releases what the model holds (threads, tensors). */
  dispose?(): void;
}

/** Dataset facts known before any trial runs, for `check`. */
export interface DatasetShape {
  readonly nRows: number;
  readonly nClasses: number;
  readonly nFeatures: number | null;
  readonly hasImages: boolean;
}

export interface ExperimentModelType {
  /** The name on the command line, e.g. `qsa-features`, `weighted-random`. */
  readonly type: string;
  readonly kind: ModelKind;
  readonly inputs: ModelInputs;
  readonly execution: ModelExecution;
  /** One line for --help. */
  readonly description: string;
  /**
   * The model spec for a `--models` entry `type[:argument]`; throws RangeError with a message for a bad
   * argument. The name must be unique per distinct setting (it keys the stored trials).
   */
  spec(argument: string | undefined): ModelSpec;
  /** Why this model cannot run on this dataset, or null. */
  check(dataset: DatasetShape, spec: ModelSpec): string | null;
  create(context: ModelContext): TrialModel;
}
