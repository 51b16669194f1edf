/**
 * The messages between the app (or CLI) and its one long-lived training worker process (design §6,
 * style 6–7): a typed union each way, errors as data. The worker reads a run's settings from the
 * database, so `start` carries only where the run is.
 */
import type { RunEvent, RunStatus } from './types';

export type ToTrainingWorker =
  | {
      readonly type: 'start';
      readonly runId: number;
      readonly dbPath: string;
      /** better-sqlite3's addon for the worker's runtime, if not the default. */
      readonly nativeBinding?: string;
    }
  | { readonly type: 'cancel'; readonly runId: number; readonly reason?: string }
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
  | { readonly type: 'failed'; readonly runId: number; readonly error: SerializedError };

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
