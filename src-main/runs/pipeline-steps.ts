/** What the head and full pipelines share: the step context they get and the QSA problem they hand back. */
import type * as tf from '@tensorflow/tfjs';
import type { WeightsByValue } from '../deep/weights';
import type { RowRange } from '../engine/data';
import type { ClassifierModel } from '../engine/models/model';
import type { RunData } from './run-data';
import type { RunInfo } from '../store/runs';
import type { BackendLoaders, BackendReport } from '../deep/backends';
import type { ArchitectureName } from '../../src-shared/domain/architectures';
import type { PretrainedBodySummary } from '../../src-shared/domain/runs';
import type { EpochRecord, GroupAccuracy, RunEvent, RunPhase, RunSettings } from './types';

export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A head or full run's CNN (a pretrained run has none: its body is a model file). */
export function cnnArchitecture(s: RunSettings): ArchitectureName {
  if (s.architecture === 'pretrained') throw new Error(`a ${s.pipeline} run has no Fairbound CNN`);
  return s.architecture;
}

/** What the pipeline's steps share. */
export interface StepContext {
  readonly runId: number;
  readonly info: RunInfo;
  readonly data: RunData;
  readonly candidate: RowRange;
  readonly safety: RowRange;
  readonly model: tf.LayersModel;
  readonly emit: (event: RunEvent) => void;
  readonly signal: AbortSignal;
  /** Reads the cancel flag (throttled); aborts `signal` when set. */
  readonly pollCancel: () => void;
  readonly throwIfCancelled: () => void;
  readonly enterPhase: (phase: RunPhase) => void;
}

/** The QSA problem a pipeline hands to the engine, and what it produced on the way. */
export interface QsaProblem {
  readonly qsaModel: ClassifierModel;
  readonly thetaInit: Float64Array;
  readonly trainedWeights: WeightsByValue | null;
  readonly latents: Float32Array | null;
  readonly dim: number | null;
  readonly bodyRows: Int32Array;
  readonly bodyTraining: EpochRecord[] | null;
  readonly trainedCnnGroupAccuracy: GroupAccuracy[] | null;
  /** Frees what the QSA's model holds outside tfjs (ONNX Runtime's sessions), once the run is done with it. */
  readonly release?: () => Promise<void>;
}


/** A pretrained run's steps: no CNN is built (its body is the source model file). */
export type PretrainedStepContext = Omit<StepContext, 'model'>;

/** A pretrained model's body applied to every run row. */
export interface PretrainedLatents {
  /** Row-major, run rows × dim, in the run's order. */
  readonly latents: Float32Array;
  readonly dim: number;
  readonly body: Omit<PretrainedBodySummary, 'kernel'>;
}

/**
 * How a pretrained run reads its source model: implemented in audit/ (ONNX files and TF.js layers models
 * are what an audit opens) and handed to executeRun by the process that runs it, so runs/ reads no model
 * file of its own.
 */
export interface PretrainedBodyPort {
  /** What the run records as its backend (a TF.js model's chain; an ONNX model's ONNX Runtime). */
  backend(info: RunInfo, loaders?: BackendLoaders): Promise<BackendReport>;
  /** Every run row's latent features; progress as `latents` events, cancel through the context. */
  latents(c: PretrainedStepContext): Promise<PretrainedLatents>;
}
