/**
 * An export of a finished run (its TF.js model or its head QSA as a case) as a job of the deep worker's
 * queue: the model export loads TensorFlow.js, which never loads in the app's main process. It is short
 * and writes through safe-write (a temporary file, then a rename), so a cancel only ends it before it
 * was sent; once running it finishes. An InputError (an unfinished run, an existing file) is rebuilt
 * here with its file, so the app shows it as an input error.
 */
import { CancelledError } from '../../deep/cancel';
import type { RunExportRequest } from '../../runs/export-types';
import { deserializeError, firstIssue } from '../envelope';
import type { WorkerProcess } from '../worker-process';
import { exportFromWorker } from '../worker-protocol';
import { KILLED_FOR_CANCEL, QueuedJobState, type JobMessage, type QueuedJob } from './queued-job';

export class ExportJob extends QueuedJobState implements QueuedJob {
  readonly kind = 'export';

  constructor(
    private readonly exportId: number,
    private readonly request: RunExportRequest & { readonly dbPath: string; readonly nativeBinding?: string },
    private readonly resolve: (files: string[]) => void,
    private readonly reject: (error: Error) => void,
  ) {
    super();
  }

  begin(worker: WorkerProcess): void {
    worker.send({ type: 'export', exportId: this.exportId, request: this.request });
  }

  accept(raw: JobMessage): (() => void) | undefined {
    if (raw.type !== 'export-result' && raw.type !== 'export-failed') return undefined;
    if (raw.exportId !== this.exportId) return undefined;
    const parsed = exportFromWorker.safeParse(raw);
    if (!parsed.success) return () => this.end(new Error(`the training worker sent an export message that does not match the protocol: ${firstIssue(parsed.error)}`));
    const message = parsed.data;
    return () => this.end(message.type === 'export-result' ? message.files : deserializeError(message.error));
  }

  cancelQueued(): void {
    this.end(new CancelledError('cancelled'));
  }

  requestStop(): void {
    // Nothing to stop between steps: the export ends on its own within moments.
  }

  failToStart(why: string): void {
    this.end(new Error(why));
  }

  workerDied(how: string, tail: string): void {
    this.end(this.killedForCancel ? new CancelledError(`cancelled ${KILLED_FOR_CANCEL}`) : new Error(`the training worker ${how} while exporting run ${this.request.runId}${tail}`));
  }

  private end(outcome: Error | string[]): void {
    if (!this.settleOnce()) return;
    if (outcome instanceof Error) this.reject(outcome);
    else this.resolve(outcome);
    this.markEnded();
  }
}
