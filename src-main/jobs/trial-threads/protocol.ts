/**
 * Messages between the experiment runner and its trial workers (style example 6: a typed union each
 * way). The dataset crosses once, in `init`, as views on SharedArrayBuffers (no copy per worker); each
 * `run` carries one task with its rows; errors come back as data (style example 7).
 */
import type { CompiledConstraint } from '../../../src-shared/constraint/ast';
import type { QsaKernelOptions } from '../../engine/kernels/select';
import type { ExperimentDataset, ExperimentSettings, TrialResult, TrialTask } from '../../experiments/types';

export type ToTrialWorker =
  | {
      readonly type: 'init';
      readonly dataset: ExperimentDataset;
      readonly constraints: readonly CompiledConstraint[];
      readonly settings: ExperimentSettings;
      readonly seed: number;
      /** The worker's share of the cores for SIMD kernels (see TrialExecutorInput.kernel). */
      readonly kernel?: QsaKernelOptions;
    }
  | { readonly type: 'run'; readonly taskId: number; readonly task: TrialTask }
  | { readonly type: 'close' };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export type FromTrialWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly taskId: number; readonly result: TrialResult }
  | { readonly type: 'failed'; readonly taskId: number | null; readonly error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}

/** A trial worker's failure, rebuilt on the runner's side with the worker's name, message and stack. */
export class TrialWorkerError extends Error {
  override readonly name = 'TrialWorkerError';
  constructor(
    readonly remote: SerializedError,
    readonly task: TrialTask | null,
  ) {
    super(
      `${task ? `trial ${task.trialIndex} of ${task.model} at fraction ${task.fraction}: ` : ''}${remote.name}: ${remote.message}`,
    );
  }
}

/** The `workerData` marker a trial worker entry checks before serving. */
export const TRIAL_WORKER_MARKER = 'fairbound-trial-worker';
