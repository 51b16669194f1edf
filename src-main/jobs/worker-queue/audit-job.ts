/**
 * The app's audit of a model (services/audit.ts) as a job of the deep worker's queue: its inference runs
 * in the worker, so TensorFlow.js never loads in the app's main process. Progress per batch; cancel
 * through the caller's AbortSignal, a message to the worker that stops it between batches (killed with
 * its worker after the grace period); an InputError (a bad model file, a shape that does not fit) rebuilt
 * here with its file, so the app shows it as an input error. The worker's answers are checked against the
 * protocol's schema: the probabilities feed the audit's maths directly.
 */
import type { AuditPredictProgress, AuditPredictReply, AuditPredictRequest } from '../../audit/predict-types';
import { CancelledError } from '../../deep/cancel';
import { deserializeError, firstIssue } from '../envelope';
import type { WorkerProcess } from '../worker-process';
import { auditFromWorker, type FromTrainingWorker } from '../worker-protocol';
import { guarded, KILLED_FOR_CANCEL, QueuedJobState, type JobMessage, type QueuedJob } from './queued-job';

export interface PredictAuditOptions {
  /** Aborting it cancels the inference (queued: at once; running: between batches). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: AuditPredictProgress) => void;
}

export class AuditJob extends QueuedJobState implements QueuedJob {
  readonly kind = 'audit';
  private readonly onProgress: (progress: AuditPredictProgress) => void;
  /** Stops listening to the caller's signal once the job has ended. */
  private detach: () => void = () => undefined;

  constructor(
    private readonly auditId: number,
    private readonly request: AuditPredictRequest,
    options: PredictAuditOptions,
    private readonly resolve: (reply: AuditPredictReply) => void,
    private readonly reject: (error: Error) => void,
  ) {
    super();
    this.onProgress = guarded('audit progress listener', options.onProgress);
  }

  /** Cancels it (through `cancel`) when the caller's signal aborts. */
  listen(signal: AbortSignal | undefined, cancel: () => void): void {
    if (signal === undefined) return;
    signal.addEventListener('abort', cancel, { once: true });
    this.detach = () => signal.removeEventListener('abort', cancel);
  }

  begin(worker: WorkerProcess): void {
    worker.send({ type: 'audit-predict', auditId: this.auditId, request: this.request });
    if (this.cancelRequested) worker.send({ type: 'audit-cancel', auditId: this.auditId });
  }

  accept(raw: JobMessage): (() => void) | undefined {
    if (raw.type !== 'audit-progress' && raw.type !== 'audit-result' && raw.type !== 'audit-failed') return undefined;
    if (raw.auditId !== this.auditId) return undefined;
    const parsed = auditFromWorker.safeParse(raw);
    if (!parsed.success) return () => this.end(new Error(`the training worker sent an audit message that does not match the protocol: ${firstIssue(parsed.error)}`));
    const message = parsed.data;
    switch (message.type) {
      case 'audit-progress':
        if (!this.cancelRequested) this.onProgress(message.progress);
        return undefined;
      case 'audit-result':
        // Validated above; the original object is the typed one (zod's passthrough copy drops nothing).
        return () => this.end((raw as Extract<FromTrainingWorker, { type: 'audit-result' }>).reply);
      case 'audit-failed':
        return () => this.end(message.cancelled ? new CancelledError(message.error.message) : deserializeError(message.error));
    }
  }

  cancelQueued(): void {
    this.end(new CancelledError('cancelled'));
  }

  requestStop(worker: WorkerProcess | null): void {
    if (worker && this.sent) worker.send({ type: 'audit-cancel', auditId: this.auditId });
  }

  failToStart(why: string): void {
    this.end(this.cancelRequested ? new CancelledError('cancelled') : new Error(why));
  }

  workerDied(how: string, tail: string): void {
    this.end(this.killedForCancel ? new CancelledError(`cancelled ${KILLED_FOR_CANCEL}`) : new Error(`the training worker ${how} while running the audited model${tail}`));
  }

  private end(outcome: Error | AuditPredictReply): void {
    if (!this.settleOnce()) return;
    this.detach();
    if (outcome instanceof Error) this.reject(outcome);
    else this.resolve(outcome);
    this.markEnded();
  }
}
