/**
 * Imports run in a worker thread (long work never runs on the main thread). The thread opens
 * its own SQLite connection to the workspace file and runs the importer there, so the import's single
 * transaction stays atomic exactly as before, while the main thread only forwards messages: progress in,
 * cancel out. A worker that dies without answering (a crash, an exception outside the importer) fails
 * the job with what is known; the app keeps working.
 *
 * Where the entry comes from: worker-entry.ts (the Electron main bundle passes its sibling
 * `import-worker.mjs`).
 */
import type { ImportRequest } from '../../../src-shared/contract/schemas';
import type { ImportProgress } from '../../data/importers';
import type { OpenOptions } from '../../store/database';
import { cliWorkerArgs } from '../worker-entry';
import { defaultThreadEntry, startWorkerThread, type WorkerThreadEntry } from '../worker-thread';
import { ReportedError } from '../../errors/reported-error';
import { IMPORT_WORKER_MARKER, type FromImportWorker, type ImportOutcome, type ToImportWorker } from './protocol';

/** The CLI's hidden subcommand that serves an import worker (src-main/cli/commands/import.ts). */
export const CLI_IMPORT_WORKER_ARGV = cliWorkerArgs('import-worker');

/** The import worker's entry for this build. */
export function defaultImportWorkerEntry(): Promise<WorkerThreadEntry> {
  return defaultThreadEntry('import-worker');
}

export interface ImportTask {
  readonly dbPath: string;
  readonly openOptions: OpenOptions;
  readonly request: ImportRequest;
}

/**
 * Runs one import in a new worker thread. Resolves with the dataset made; rejects with an
 * ReportedError for a reported failure, or an Error for a cancel (the signal's reason) or a worker
 * that stopped without answering. Aborting the signal asks the worker to stop between rows and roll back.
 */
export function importInWorker(
  entry: WorkerThreadEntry,
  task: ImportTask,
  control: { readonly signal: AbortSignal; readonly onProgress: (progress: ImportProgress) => void },
): Promise<ImportOutcome> {
  return new Promise<ImportOutcome>((resolve, reject) => {
    const worker = startWorkerThread(entry, IMPORT_WORKER_MARKER);
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      control.signal.removeEventListener('abort', onAbort);
      finish();
    };
    const post = (message: ToImportWorker): void => worker.postMessage(message);
    const onAbort = (): void => {
      const reason = control.signal.reason instanceof Error ? control.signal.reason.message : 'cancelled';
      post({ type: 'cancel', reason });
    };
    worker.on('message', (message: FromImportWorker) => {
      switch (message.type) {
        case 'progress':
          if (!settled) control.onProgress(message.progress);
          break;
        case 'done':
          settle(() => resolve(message.outcome));
          break;
        case 'cancelled':
          settle(() => reject(new Error(message.reason)));
          break;
        case 'failed':
          settle(() => reject(new ReportedError(message.error)));
          break;
      }
    });
    worker.on('error', (err) => settle(() => reject(new Error(`the import worker crashed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }))));
    worker.on('exit', (code) => settle(() => reject(new Error(`the import worker stopped before the import ended (exit code ${code})`))));
    post({ type: 'start', dbPath: task.dbPath, openOptions: task.openOptions, request: task.request });
    if (control.signal.aborted) onAbort();
    else control.signal.addEventListener('abort', onAbort, { once: true });
  });
}
