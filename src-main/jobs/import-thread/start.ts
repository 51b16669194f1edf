/**
 * Imports run in a worker thread (long work never runs on the main thread). The thread opens
 * its own SQLite connection to the workspace file and runs the importer there, so the import's single
 * transaction stays atomic exactly as before, while the main thread only forwards messages: progress in,
 * cancel out. A worker that dies without answering (a crash, an exception outside the importer) fails
 * the job with what is known; the app keeps working.
 *
 * The entry file depends on the build, as for the experiments' trial workers:
 * - TypeScript source (vitest): `import-worker-entry.ts` bundled once per process with esbuild;
 * - a bundle with a sibling `import-worker.mjs` (the Electron main bundle; main.ts also passes it);
 * - the CLI bundle (`fairbound serve`): the bundle itself, started with argv `import __worker`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImportRequest } from '../../../src-shared/contract/schemas';
import type { ImportProgress } from '../../data/importers';
import type { OpenOptions } from '../../store/database';
import { bundleSourceWorker } from '../source-bundle';
import { ReportedError } from '../../errors/reported-error';
import { IMPORT_WORKER_MARKER, type FromImportWorker, type ImportOutcome, type ToImportWorker } from './protocol';

export interface ImportWorkerEntry {
  readonly filename: string | URL;
  /** Appended to the worker's process.argv. */
  readonly argv?: readonly string[];
}

/** The CLI's hidden subcommand that serves an import worker (src-main/cli/commands/import.ts). */
export const CLI_IMPORT_WORKER_ARGV = ['import', '__worker'] as const;

let sourceBuild: Promise<string> | null = null;

/** The entry for this build (see the file comment). */
export async function defaultImportWorkerEntry(): Promise<ImportWorkerEntry> {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    sourceBuild ??= bundleSourceWorker(join(dirname(here), 'entry.ts'), 'import-worker');
    return { filename: await sourceBuild };
  }
  const sibling = join(dirname(here), 'import-worker.mjs');
  if (existsSync(sibling)) return { filename: sibling };
  return { filename: here, argv: CLI_IMPORT_WORKER_ARGV };
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
  entry: ImportWorkerEntry,
  task: ImportTask,
  control: { readonly signal: AbortSignal; readonly onProgress: (progress: ImportProgress) => void },
): Promise<ImportOutcome> {
  return new Promise<ImportOutcome>((resolve, reject) => {
    const worker = new Worker(entry.filename, { workerData: IMPORT_WORKER_MARKER, argv: entry.argv ? [...entry.argv] : [] });
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
