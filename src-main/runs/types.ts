/**
 * Training runs: what a caller asks for (`RunRequest`), the defaults that complete it and what a run
 * reports while it works (`RunEvent`). What a run stores (`RunSettings`, `RunSeeds`, `RunResultSummary`)
 * is plain data shared with the store, defined in src-shared/domain/runs.ts and re-exported here.
 */
import type { ArchitectureName } from '../../src-shared/domain/architectures';
import type { BackendPreference } from '../../src-shared/domain/backends';
import type { RunPhase, RunPipeline, RunStatus } from '../../src-shared/domain/runs';

export type {
  BodyTrainingSettings,
  EpochRecord,
  GroupAccuracy,
  QsaSettings,
  RunPhase,
  RunPipeline,
  RunResultSummary,
  RunSeeds,
  RunSettings,
  RunStatus,
} from '../../src-shared/domain/runs';

export interface RunConstraintRequest {
  readonly source: string;
  /** δ in (0, 1). */
  readonly delta: number;
}

/** A training run as asked for; absent fields take the pipeline's defaults (HEAD_DEFAULTS / FULL_DEFAULTS). */
export interface RunRequest {
  /** Dataset name or id. */
  readonly dataset: string | number;
  readonly constraints: readonly RunConstraintRequest[];
  readonly pipeline: RunPipeline;
  readonly architecture: ArchitectureName;
  /** head: body-training epochs; full: QSA epochs over the candidate mini-batches. */
  readonly epochs?: number;
  /** head: body-training batch size; full: the QSA's mini-batch size. */
  readonly batchSize?: number;
  /** head: Adam's learning rate for body training; full: α_θ of the QSA. */
  readonly learningRate?: number;
  /** head: full-batch QSA iterations (the full pipeline runs epochs × batches). */
  readonly iterations?: number;
  readonly fracSafety?: number;
  /** 0..2^32−1; every random stream of the run derives from it (default 0). */
  readonly seed?: number;
  readonly backend?: BackendPreference;
  /** Use only the first N rows of the dataset (stored order). */
  readonly rows?: number;
  /** Resize images to S×S (bilinear) for the model; default: the dataset's own size. */
  readonly resize?: number;
  /** Reorder the run's rows with this seed before the split (recorded); default: the stored order. */
  readonly shuffleSeed?: number;
  /** QSA step size of θ (the full pipeline's --learning-rate sets the same). */
  readonly alphaTheta?: number;
  readonly alphaLambda?: number;
  /** λ₀, one value for every constraint or one per constraint. */
  readonly lambdaInit?: number | readonly number[];
  /** Reshuffle the candidate rows every body-training epoch (Tutorial J's loader does not: default false). */
  readonly shuffleBatches?: boolean;
}

/** Tutorial J: body 4 epochs × batch 100 at lr 0.001; head QSA full batch, 1200 iterations. */
export const HEAD_DEFAULTS = {
  epochs: 4,
  batchSize: 100,
  learningRate: 0.001,
  iterations: 1200,
  alphaTheta: 0.01,
  alphaLambda: 0.01,
  lambdaInit: 0.5,
  betaVelocity: 0.9,
  betaRmsprop: 0.95,
  fracSafety: 0.5,
} as const;

/** Tutorials G/H: the whole CNN under QSA, mini-batches of 150 for 5 epochs, α_θ 0.001, α_λ 0.01. */
export const FULL_DEFAULTS = {
  epochs: 5,
  batchSize: 150,
  alphaTheta: 0.001,
  alphaLambda: 0.01,
  lambdaInit: 0.5,
  betaVelocity: 0.9,
  betaRmsprop: 0.95,
  fracSafety: 0.5,
} as const;

/** What a run reports while it works; every event carries the run's id. */
export type RunEvent =
  | { readonly type: 'status'; readonly runId: number; readonly status: RunStatus }
  | { readonly type: 'phase'; readonly runId: number; readonly phase: RunPhase; readonly backend?: string }
  | {
      readonly type: 'batch';
      readonly runId: number;
      readonly epoch: number;
      readonly epochs: number;
      readonly batch: number;
      readonly batchesPerEpoch: number;
      readonly loss: number;
      readonly accuracy: number;
      readonly imagesPerSecond: number;
      /** Of body training, 0..1. */
      readonly fraction: number;
      /** Seconds of body training left at the pace so far. */
      readonly etaSeconds: number;
    }
  | { readonly type: 'latents'; readonly runId: number; readonly done: number; readonly total: number }
  | {
      readonly type: 'iteration';
      readonly runId: number;
      readonly iteration: number;
      readonly total: number;
      readonly f: number;
      readonly g: readonly number[];
      readonly lambda: readonly number[];
      /** Seconds of candidate selection left at the pace so far. */
      readonly etaSeconds: number;
    }
  | { readonly type: 'finished'; readonly runId: number; readonly status: RunStatus; readonly error: string | null };
