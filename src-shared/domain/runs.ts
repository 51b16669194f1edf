/**
 * A training run as stored: its status and phase, every setting it used once defaults are resolved
 * (`RunSettings`, `RunSeeds`) and the verdict it concludes with (`RunResultSummary`). Plain data: these
 * cross the worker-process boundary and are stored as JSON.
 */
import type { ArchitectureName } from './architectures';
import type { BoundMethod, PrimaryObjectiveName } from './qsa';

export const RUN_STATUSES = ['queued', 'running', 'passed', 'nsf', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/**
 * head: a CNN's body trained on the candidate rows, a fresh head by the QSA (Tutorial J); full: the whole
 * CNN under the QSA (Tutorials G/H); pretrained: Tutorial J's pretrained-network path, a model file's body
 * (ONNX or TF.js) cut at its head and NOT trained here, a fresh head by the QSA.
 */
export const RUN_PIPELINES = ['head', 'full', 'pretrained'] as const;
export type RunPipeline = (typeof RUN_PIPELINES)[number];
export const RUN_PHASES = ['loading', 'training', 'latents', 'candidate_selection', 'safety_test', 'saving'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

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
  /** The bound of the safety test and of candidate selection's prediction; absent in runs stored before the choice (Student-t). */
  readonly bound?: BoundMethod;
}

/** The QSA bound a stored run used. */
export function runBoundMethod(settings: { readonly qsa: QsaSettings }): BoundMethod {
  return settings.qsa.bound ?? 'student-t';
}

/** The file a pretrained run's body comes from, as it was when the run was queued. */
export interface PretrainedSource {
  readonly kind: 'onnx' | 'tfjs';
  /** As given (absolute where the face resolved it). */
  readonly path: string;
  /** The model's files (an ONNX file; a TF.js model.json then its weight files), each with its SHA-256. */
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly sha256: string }[];
  /** ONNX: the tensor asked to cut at (null: the input of the graph's last Gemm/MatMul). */
  readonly latentOutput: string | null;
  /** ONNX: how the images are fed (layout, normalisation, channels); null for TF.js. */
  readonly preprocessing: {
    readonly layout?: 'NCHW' | 'NHWC';
    readonly normalize?: readonly { readonly mean: number; readonly std: number }[];
    readonly channels?: 1 | 3;
  } | null;
}

/** What the worker found cutting a pretrained run's model, stored with its verdict. */
export interface PretrainedBodySummary {
  /** The tensor (ONNX) or layer (TF.js) whose output is the latent features. */
  readonly cutAt: string;
  /** The model's own head, replaced by the QSA's fresh one. */
  readonly replacedHead: { readonly inputDim: number; readonly units: number };
  /** What computed the latent features, in words (e.g. 'onnxruntime cpu …', 'backend wasm'). */
  readonly computedBy: string;
  /** The head QSA's kernel and its threads. */
  readonly kernel: { readonly name: string; readonly threads: number };
}

/** A pretrained run's `architecture`: it has no Fairbound CNN. */
export const PRETRAINED_ARCHITECTURE = 'pretrained';

/** Everything a run used, resolved; stored with it. */
export interface RunSettings {
  readonly pipeline: RunPipeline;
  readonly architecture: ArchitectureName | typeof PRETRAINED_ARCHITECTURE;
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
  /** The pretrained pipeline's source model (absent for head and full runs). */
  readonly pretrained?: PretrainedSource;
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
  /** Pretrained pipeline: where its model was cut (absent for head and full runs). */
  readonly pretrainedBody?: PretrainedBodySummary;
}
