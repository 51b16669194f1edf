/**
 * Training runs (design §4–§6): what a caller asks for (`RunRequest`), what is stored once every
 * default is resolved (`RunSettings`, `RunSeeds`), what a run reports while it works (`RunEvent`) and
 * what it concludes (`RunResultSummary`). Plain data: these cross the worker-process boundary and are
 * stored as JSON.
 */
import type { ArchitectureName } from '../deep/architectures';
import type { BackendPreference } from '../deep/backend-types';
import type { PrimaryObjectiveName } from '../engine/objectives';
import type { RunPhase, RunPipeline, RunStatus } from '../store/runs';

export type { RunPhase, RunPipeline, RunStatus };

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

export interface BodyTrainingSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly shuffleBatches: boolean;
}

export interface QsaSettings {
  /** Full-batch iterations; null with mini-batches. */
  readonly numIters: number | null;
  /** null: one batch of the whole candidate set. */
  readonly batchSize: number | null;
  readonly nEpochs: number | null;
  readonly alphaTheta: number;
  readonly alphaLambda: number;
  readonly lambdaInit: readonly number[];
  readonly betaVelocity: number;
  readonly betaRmsprop: number;
}

/** Everything a run used, resolved; stored with it. */
export interface RunSettings {
  readonly pipeline: RunPipeline;
  readonly architecture: ArchitectureName;
  readonly numClasses: number;
  /** The dataset's row count when the run was queued. */
  readonly datasetRows: number;
  /** Rows the run used: the first `rows` of the stored order (then reordered by shuffleSeed if set). */
  readonly rows: number;
  readonly shuffleSeed: number | null;
  /** [height, width, channels] as stored in the dataset. */
  readonly sourceShape: readonly [number, number, number];
  /** [height, width, channels] the model takes. */
  readonly inputShape: readonly [number, number, number];
  /** The requested resize (S), or null when images are used at their own size. */
  readonly resize: number | null;
  readonly fracSafety: number;
  /** Body training (head pipeline only). */
  readonly body: BodyTrainingSettings | null;
  readonly qsa: QsaSettings;
  /** The engine model of the QSA: the head's (head pipeline) or the CNN's output form (full). */
  readonly qsaModel: 'logistic' | 'multiclass_logistic';
  readonly objective: PrimaryObjectiveName;
}

/** Every random stream of a run, derived from its seed. */
export interface RunSeeds {
  readonly run: number;
  /** The CNN's initial weights. */
  readonly model: number;
  /** Body training's batch order (used only with shuffleBatches). */
  readonly bodyBatches: number;
  /** The head's initial θ (head pipeline). */
  readonly head: number;
}

/** Tutorial J (spec §7.6): body 4 epochs × batch 100 at lr 0.001; head QSA full batch, 1200 iterations. */
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

export interface GroupAccuracy {
  /** 'all' or a sensitive column. */
  readonly group: string;
  readonly n: number;
  /** NaN for an empty group. */
  readonly accuracy: number;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly meanLoss: number;
  readonly accuracy: number;
  readonly seconds: number;
}

/** The verdict summary stored with a passed or NSF run. */
export interface RunResultSummary {
  readonly verdict: 'passed' | 'nsf';
  readonly outcome: { readonly kind: string; readonly reason: string | null; readonly message: string | null };
  readonly candidateSelection: {
    readonly iterationsPlanned: number;
    readonly iterationsRun: number;
    /** The iterate returned (θ before update t); null when candidate selection itself ended in NSF. */
    readonly chosenIndex: number | null;
    readonly foundFeasible: boolean;
    readonly returnedNsf: boolean;
  };
  /**
   * Hard-decision accuracy (P(y=1) ≥ 0.5, or the arg-max class) on the safety rows per sensitive group,
   * of the returned solution, or of the candidate when the safety test failed; null without a candidate.
   */
  readonly groupAccuracy: { readonly of: 'solution' | 'candidate'; readonly threshold: number; readonly groups: readonly GroupAccuracy[] } | null;
  /** Head pipeline: the CNN as trained on the candidate rows (its own head), on the same safety rows. */
  readonly trainedCnnGroupAccuracy: readonly GroupAccuracy[] | null;
  /** Head pipeline: body-training epochs. */
  readonly bodyTraining: readonly EpochRecord[] | null;
  readonly latentDim: number | null;
  readonly nParams: number;
}

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
