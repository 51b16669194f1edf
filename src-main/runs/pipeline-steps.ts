/** What the head and full pipelines share: the step context they get and the QSA problem they hand back. */
import type * as tf from '@tensorflow/tfjs';
import type { WeightsByValue } from '../deep/weights';
import type { RowRange } from '../engine/data';
import type { ClassifierModel } from '../engine/models/model';
import type { RunData } from './run-data';
import type { RunInfo } from '../store/runs';
import type { EpochRecord, GroupAccuracy, RunEvent, RunPhase } from './types';

export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
}

