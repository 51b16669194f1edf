/**
 * The messages between the app (or CLI) and its one long-lived training worker process (design §6,
 * style 6–7): a typed union each way, errors as data. The worker reads a run's settings from the
 * database, so `start` carries only where the run is.
 *
 * The same process runs the experiments' deep trials (qsa-head, qsa-full, cnn), one at a time between
 * runs: `trial` names the experiment (the worker loads its dataset, settings and constraints from the
 * database once per session and keeps them until `trials-close`) and carries one task; it answers with
 * `trial-progress` events and one `trial-result` or `trial-failed`.
 */
import type { TrialProgress } from '../experiments/models/model-type';
import type { TrialResult, TrialTask } from '../experiments/types';
import type { RunEvent, RunStatus } from './types';

/** Which experiment a trial session serves, and where it is stored. */
export interface TrialSessionSpec {
  readonly dbPath: string;
  /** better-sqlite3's addon for the worker's runtime, if not the default. */
  readonly nativeBinding?: string;
  readonly experimentId: number;
}

export type ToTrainingWorker =
  | {
      readonly type: 'start';
      readonly runId: number;
      readonly dbPath: string;
      /** better-sqlite3's addon for the worker's runtime, if not the default. */
      readonly nativeBinding?: string;
    }
  | { readonly type: 'cancel'; readonly runId: number; readonly reason?: string }
  /** One experiment trial of a deep model; the session is created on first use. */
  | {
      readonly type: 'trial';
      readonly sessionId: number;
      readonly session: TrialSessionSpec;
      readonly taskId: number;
      readonly task: TrialTask;
      /**
       * A file the host creates to cancel this trial. The worker polls it from the trial's progress: the
       * engine's candidate-selection loop is synchronous (qsa-full runs minutes in it), so a
       * `trial-cancel` message would only be read after it.
       */
      readonly cancelFile: string;
    }
  /** Stop that trial between batches / iterations (it then answers `trial-failed` with cancelled: true). */
  | { readonly type: 'trial-cancel'; readonly sessionId: number; readonly taskId: number }
  /** Free the session's models and dataset. */
  | { readonly type: 'trials-close'; readonly sessionId: number }
  /** Finish the current run (if any), close, exit. */
  | { readonly type: 'shutdown' };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

export type FromTrainingWorker =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'progress'; readonly runId: number; readonly event: RunEvent }
  /** The run ended and its outcome is in the database (passed, nsf, failed or cancelled). */
  | { readonly type: 'done'; readonly runId: number; readonly status: RunStatus; readonly error: string | null }
  /** The worker could not run it at all (e.g. the database would not open); the run may still say `queued`. */
  | { readonly type: 'failed'; readonly runId: number; readonly error: SerializedError }
  | { readonly type: 'trial-progress'; readonly sessionId: number; readonly taskId: number; readonly progress: TrialProgress }
  /** `pid`: the process that ran it (the app checks that deep work stays out of its main process). */
  | { readonly type: 'trial-result'; readonly sessionId: number; readonly taskId: number; readonly result: TrialResult; readonly pid: number; readonly backend: string | null }
  | { readonly type: 'trial-failed'; readonly sessionId: number; readonly taskId: number; readonly error: SerializedError; readonly cancelled: boolean };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

/** A worker-side failure rebuilt on this side of the boundary, keeping the original name and stack. */
export class TrainingWorkerError extends Error {
  override readonly name = 'TrainingWorkerError';
  readonly originalName: string;
  readonly code?: string;
  constructor(error: SerializedError) {
    super(`${error.name}: ${error.message}`);
    this.originalName = error.name;
    this.code = error.code;
    if (error.stack) this.stack = `${this.name} (from the training worker): ${error.stack}`;
  }
}
