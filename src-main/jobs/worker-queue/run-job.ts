/**
 * A training run as a job of the deep worker's queue. Its row is the record: `queued` (written by the
 * queue with its settings) → `running` → `passed` / `nsf` (results written by the worker in one
 * transaction) | `failed` (with the reason; a crash of the worker is recorded here) | `cancelled`. A
 * running run's cancel is a message to the worker plus its database flag, because the worker polls the
 * flag inside the engine's synchronous loops, where no message is read (and a run is cancelled by the
 * flag alone from another process: `fairbound runs cancel`).
 */
import { openWorkspace, type WritableDB } from '../../store/database';
import { endRun, getRun, requestRunCancel } from '../../store/runs';
import type { RunOutcome } from '../../runs/pipeline';
import type { RunEvent } from '../../runs/types';
import type { WorkerProcess } from '../worker-process';
import { guarded, KILLED_FOR_CANCEL, QueuedJobState, type JobMessage, type QueuedJob } from './queued-job';

export interface StartRunOptions {
  readonly onEvent?: (event: RunEvent) => void;
}

export interface QueuedRunHandle {
  readonly runId: number;
  /** Resolves when the run has ended, with its final status; never rejects. */
  readonly done: Promise<RunOutcome>;
  /** Returns at once; `done` tells when the run has stopped. */
  cancel(reason?: string): void;
}

/** A run queued or running, as jobs.list shows it. */
export interface RunInFlight {
  readonly runId: number;
  readonly state: 'queued' | 'running';
  readonly cancelRequested: boolean;
  /** Its latest progress event (phase, batch, latents or iteration); null before the first. */
  readonly lastProgress: RunEvent | null;
}

export interface RunJobSpec {
  readonly runId: number;
  readonly dbPath: string;
  /** better-sqlite3's addon for both sides, if not the default. */
  readonly nativeBinding?: string;
}

export class RunJob extends QueuedJobState implements QueuedJob {
  readonly kind = 'run';
  readonly runId: number;
  readonly done: Promise<RunOutcome>;
  private finishedEmitted = false;
  private lastProgress: RunEvent | null = null;
  private readonly resolve: (outcome: RunOutcome) => void;
  private readonly onEvent: (event: RunEvent) => void;

  constructor(
    private readonly spec: RunJobSpec,
    options: StartRunOptions,
  ) {
    super();
    this.runId = spec.runId;
    let resolve!: (outcome: RunOutcome) => void;
    this.done = new Promise<RunOutcome>((r) => (resolve = r));
    this.resolve = resolve;
    this.onEvent = guarded(`training run ${spec.runId}: an event listener`, options.onEvent);
    this.onEvent({ type: 'status', runId: spec.runId, status: 'queued' });
  }

  snapshot(state: RunInFlight['state']): RunInFlight {
    return { runId: this.runId, state, cancelRequested: this.cancelRequested, lastProgress: this.lastProgress };
  }

  private openDb(): WritableDB {
    return openWorkspace(this.spec.dbPath, this.spec.nativeBinding ? { nativeBinding: this.spec.nativeBinding } : {});
  }

  begin(worker: WorkerProcess): void {
    worker.send({
      type: 'start',
      runId: this.runId,
      dbPath: this.spec.dbPath,
      ...(this.spec.nativeBinding ? { nativeBinding: this.spec.nativeBinding } : {}),
    });
    if (this.cancelRequested) worker.send({ type: 'cancel', runId: this.runId, reason: this.cancelReason });
  }

  accept(message: JobMessage): (() => void) | undefined {
    if (message.type !== 'progress' && message.type !== 'done' && message.type !== 'failed') return undefined;
    if (message.runId !== this.runId) return undefined;
    switch (message.type) {
      case 'progress':
        if (message.event.type === 'finished') this.finishedEmitted = true;
        else if (message.event.type !== 'status') this.lastProgress = message.event;
        this.onEvent(message.event);
        return undefined;
      case 'done':
        return () => this.settle({ runId: this.runId, status: message.status, error: message.error });
      case 'failed':
        return () => this.record('failed', `the training worker failed: ${message.error.name}: ${message.error.message}`);
    }
  }

  cancelQueued(): void {
    this.record('cancelled', this.cancelReason);
  }

  requestStop(worker: WorkerProcess | null): void {
    const db = this.openDb();
    try {
      requestRunCancel(db, this.runId);
    } finally {
      db.close();
    }
    worker?.send({ type: 'cancel', runId: this.runId, reason: this.cancelReason });
  }

  failToStart(why: string): void {
    if (this.cancelRequested) this.record('cancelled', this.cancelReason);
    else this.record('failed', why);
  }

  workerDied(how: string, tail: string): void {
    if (this.killedForCancel) this.record('cancelled', `${this.cancelReason} ${KILLED_FOR_CANCEL}`);
    else this.record('failed', `the training worker ${how} during the run${tail}`);
  }

  /** Ends it from this side (not started, or its worker died): records it unless already ended. */
  private record(status: 'failed' | 'cancelled', error: string): void {
    let outcome: RunOutcome = { runId: this.runId, status, error };
    try {
      const db = this.openDb();
      try {
        endRun(db, this.runId, { status, error });
        const run = getRun(db, this.runId);
        if (run) outcome = { runId: this.runId, status: run.status, error: run.error };
      } finally {
        db.close();
      }
    } catch (dbError) {
      outcome = { runId: this.runId, status, error: `${error} (and it could not be recorded: ${dbError instanceof Error ? dbError.message : String(dbError)})` };
    }
    this.settle(outcome);
  }

  private settle(outcome: RunOutcome): void {
    if (!this.settleOnce()) return;
    if (!this.finishedEmitted) {
      this.finishedEmitted = true;
      this.onEvent({ type: 'finished', runId: this.runId, status: outcome.status, error: outcome.error });
    }
    this.resolve(outcome);
    this.markEnded();
  }
}
