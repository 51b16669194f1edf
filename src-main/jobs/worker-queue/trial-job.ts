/**
 * An experiment's deep trial (qsa-head, qsa-full, cnn) as a job of the deep worker's queue, so that
 * TensorFlow.js never loads in the app's main process. A trial's cancel is a message to the worker plus
 * a cancel file that the worker polls from the trial's progress: the engine's candidate selection is a
 * synchronous loop (qsa-full runs minutes in it), where no message is read. A failure comes back as data
 * (the worker's error name and message) and fails that experiment only; a cancelled trial is dropped,
 * to be run again on resume.
 */
import { rmSync, writeFileSync } from 'node:fs';
import type { TrialProgress } from '../../experiments/models/model-type';
import type { TrialSlot } from '../../experiments/trial-slot';
import type { TrialResult, TrialTask } from '../../experiments/types';
import { TrainingWorkerError } from '../envelope';
import type { WorkerProcess } from '../worker-process';
import type { TrialSessionSpec } from '../worker-protocol';
import { guarded, KILLED_FOR_CANCEL, QueuedJobState, type JobMessage, type QueuedJob } from './queued-job';

/** A cancelled trial's rejection (the runner drops the trial; a resume runs it again). */
export class TrialCancelledError extends Error {
  override readonly name = 'TrialCancelledError';
}

/** What a trial session's slot tells about where its trials ran (tests check it is not this process). */
export interface TrialSessionSlot extends TrialSlot {
  readonly sessionId: number;
  /** The pid of the process that ran the last trial, and its TensorFlow.js backend; null before the first. */
  readonly lastRunBy: TrialRunBy | null;
}

export interface TrialRunBy {
  readonly pid: number;
  readonly backend: string | null;
}

/** One trial session as its jobs see it. */
export interface TrialSession {
  readonly sessionId: number;
  readonly spec: TrialSessionSpec;
  /** The process that ran its last trial. */
  lastRunBy: TrialRunBy | null;
}

export class TrialJob extends QueuedJobState implements QueuedJob {
  readonly kind = 'trial';
  private readonly onProgress: (progress: TrialProgress) => void;
  private readonly task: TrialTask;

  constructor(
    readonly session: TrialSession,
    private readonly taskId: number,
    task: TrialTask,
    /** Created to cancel the running trial (the worker polls it), removed when it ends. */
    private readonly cancelFile: string,
    onProgress: ((progress: TrialProgress) => void) | undefined,
    private readonly resolve: (result: TrialResult) => void,
    private readonly reject: (error: Error) => void,
  ) {
    super();
    // A view's serialisation would carry its whole buffer (the full resample): send just the rows.
    this.task = { ...task, rows: task.rows.slice() };
    this.onProgress = guarded('trial progress listener', onProgress);
  }

  begin(worker: WorkerProcess): void {
    const { sessionId, spec } = this.session;
    worker.send({ type: 'trial', sessionId, session: spec, taskId: this.taskId, task: this.task, cancelFile: this.cancelFile });
    if (this.cancelRequested) worker.send({ type: 'trial-cancel', sessionId, taskId: this.taskId });
  }

  accept(message: JobMessage): (() => void) | undefined {
    if (message.type !== 'trial-progress' && message.type !== 'trial-result' && message.type !== 'trial-failed') return undefined;
    if (message.sessionId !== this.session.sessionId || message.taskId !== this.taskId) return undefined;
    switch (message.type) {
      case 'trial-progress':
        if (!this.cancelRequested) this.onProgress(message.progress);
        return undefined;
      case 'trial-result':
        return () => {
          this.session.lastRunBy = { pid: message.pid, backend: message.backend };
          this.end(message.result);
        };
      case 'trial-failed':
        // Errors as data: the worker's error name and message, rebuilt here.
        return () => this.end(message.cancelled ? new TrialCancelledError('cancelled') : new TrainingWorkerError(message.error));
    }
  }

  cancelQueued(): void {
    this.end(new TrialCancelledError(this.cancelReason));
  }

  requestStop(worker: WorkerProcess | null): void {
    if (worker && this.sent) worker.send({ type: 'trial-cancel', sessionId: this.session.sessionId, taskId: this.taskId });
    try {
      writeFileSync(this.cancelFile, '');
    } catch {
      // The message above and the kill after the grace period still stop it.
    }
  }

  failToStart(why: string): void {
    this.end(this.cancelRequested ? new TrialCancelledError('cancelled') : new Error(why));
  }

  workerDied(how: string, tail: string): void {
    const task = this.task;
    this.end(
      this.killedForCancel
        ? new TrialCancelledError(`cancelled ${KILLED_FOR_CANCEL}`)
        : new Error(`the training worker ${how} during trial ${task.trialIndex} of ${task.model} at fraction ${task.fraction}${tail}`),
    );
  }

  private end(outcome: Error | TrialResult): void {
    if (!this.settleOnce()) return;
    if (this.cancelRequested) rmSync(this.cancelFile, { force: true });
    if (outcome instanceof Error) this.reject(outcome);
    else this.resolve(outcome);
    this.markEnded();
  }
}
