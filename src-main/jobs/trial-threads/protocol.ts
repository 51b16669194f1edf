/**
 * Messages between the experiment runner and its trial workers: a typed union each way. The dataset
 * crosses once, in `init`, as views on SharedArrayBuffers (no copy per worker); each `run` carries one
 * task with its rows; errors come back as data (envelope.ts).
 */
import type { CompiledConstraint } from '../../../src-shared/constraint/ast';
import type { QsaKernelOptions } from '../../engine/kernels/select';
import type { ExperimentDataset, ExperimentSettings, TrialResult, TrialTask } from '../../experiments/types';
import type { SerializedError } from '../envelope';

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

export type FromTrialWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly taskId: number; readonly result: TrialResult }
  | { readonly type: 'failed'; readonly taskId: number | null; readonly error: SerializedError };

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
