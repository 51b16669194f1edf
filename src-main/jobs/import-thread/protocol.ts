/**
 * Messages between the services (main thread) and an import's worker thread: a typed union each way. An import runs in a worker of its own with its own SQLite connection to the workspace
 * file, so its one transaction, the decoding of every image and the final shuffle never block the main
 * thread; errors come back as contract ErrorData, so "row 12, column 'M'" survives.
 */
import type { ErrorData } from '../../../src-shared/contract/errors';
import type { ImportRequest } from '../../../src-shared/contract/schemas';
import type { ImportProgress } from '../../data/importers';
import type { OpenOptions } from '../../store/database';

/** The `workerData` marker an import worker entry checks before serving. */
export const IMPORT_WORKER_MARKER = 'fairbound-import-worker';

export type ToImportWorker =
  | { readonly type: 'start'; readonly dbPath: string; readonly openOptions: OpenOptions; readonly request: ImportRequest }
  /** Stop between rows and roll back; the worker answers `cancelled`. */
  | { readonly type: 'cancel'; readonly reason: string };

export interface ImportOutcome {
  readonly datasetId: number;
  readonly datasetName: string;
  readonly importJobId: number;
  readonly nRows: number;
}

export type FromImportWorker =
  | { readonly type: 'progress'; readonly progress: ImportProgress }
  | { readonly type: 'done'; readonly outcome: ImportOutcome }
  | { readonly type: 'cancelled'; readonly reason: string }
  | { readonly type: 'failed'; readonly error: ErrorData };
