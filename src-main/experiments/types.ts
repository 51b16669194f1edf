/**
 * The shapes of a Seldonian experiment: what is stored with it, what a trial produces, and
 * the data every trial reads. Plain data only (JSON or structured-cloneable), since settings live in
 * SQLite and trials cross into worker threads. What the store keeps (settings, constraints, trial
 * results) is defined in src-shared/domain/experiments.ts and re-exported here.
 */
import type { QsaSettings } from '../../src-shared/domain/experiments';

export {
  PERFORMANCE_METRICS,
  THETA_INITS,
  type ExperimentConstraint,
  type ExperimentModel,
  type ExperimentSettings,
  type ModelKind,
  type ModelSpec,
  type PerformanceMetric,
  type QsaSettings,
  type ThetaInit,
  type TrialResult,
} from '../../src-shared/domain/experiments';

/** The QSA settings of an experiment that names none. */
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
