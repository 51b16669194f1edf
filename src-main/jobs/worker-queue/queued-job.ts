/**
 * One job of the deep worker's queue, whatever its kind (a training run, an experiment trial, an audit's
 * inference), as the queue drives it through the one lifecycle: queued → running (`begin`) → ended by
 * the worker's answer (`accept`), by its cancel, by a worker that could not start, or by a worker that
 * died. The queue owns the order and the worker; each kind owns its messages and how it ends.
 */
import type { WorkerProcess } from '../worker-process';
import type { FromTrainingWorker } from '../worker-protocol';

/** The worker's messages about a job (not its `ready`). */
export type JobMessage = Exclude<FromTrainingWorker, { type: 'ready' }>;

export interface QueuedJob {
  readonly kind: 'run' | 'trial' | 'audit' | 'export';
  /** It has ended, whichever way. */
  readonly settled: boolean;
  /** The worker was sent its start. */
  sent: boolean;
  cancelRequested: boolean;
  /** Its worker was killed because it did not stop within the grace period after a cancel. */
  killedForCancel: boolean;
  /** The latest cancel's reason. */
  cancelReason: string;
  killTimer: NodeJS.Timeout | null;
  /** Resolves once the job has ended, however (the queue's close waits for it: the worker is free again). */
  readonly ended: Promise<void>;

  /** Sends its start (and the cancel asked for while it was starting) to the worker. */
  begin(worker: WorkerProcess): void | Promise<void>;
  /**
   * A message of the worker: undefined when it is not this job's or only reports progress; else the
   * function that ends the job, which the queue calls once the job is no longer the one running.
   */
  accept(message: JobMessage): (() => void) | undefined;
  /** Ends it as cancelled before it was sent to a worker. */
  cancelQueued(): void;
  /** Asks the running job to stop; `worker` is the process running it (null if it has none yet). */
  requestStop(worker: WorkerProcess | null): void;
  /** Ends it: the worker could not be started (`why`). */
  failToStart(why: string): void;
  /** Ends it: its worker exited or crashed (`how`, and the tail of its stderr). */
  workerDied(how: string, tail: string): void;
}

/**
 * The bookkeeping every kind shares: the queue's flags, the kill timer and `ended`. A kind ends once,
 * through `settleOnce` (false if it had already ended; else the timer is stopped) and then `markEnded`.
 */
export abstract class QueuedJobState {
  settled = false;
  sent = false;
  cancelRequested = false;
  killedForCancel = false;
  cancelReason = 'cancelled';
  killTimer: NodeJS.Timeout | null = null;
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor() {
    this.ended = new Promise<void>((resolve) => (this.resolveEnded = resolve));
  }

  protected settleOnce(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.killTimer) clearTimeout(this.killTimer);
    return true;
  }

  protected markEnded(): void {
    this.resolveEnded();
  }
}

/** Wraps a listener so that its bug cannot stop the queue's bookkeeping. */
export function guarded<A>(what: string, listener: ((value: A) => void) | undefined): (value: A) => void {
  return (value) => {
    try {
      listener?.(value);
    } catch (error) {
      process.emitWarning(`${what} threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}

/** The reason given when a job's worker was killed after its cancel's grace period. */
export const KILLED_FOR_CANCEL = '(the worker did not stop within the grace period and was killed)';
