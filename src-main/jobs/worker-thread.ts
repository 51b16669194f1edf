/**
 * The thread counterpart of worker-process.ts: a node:worker_threads Worker started from an entry,
 * marked so that its entry module knows which worker to serve.
 */
import { Worker } from 'node:worker_threads';
import { resolveWorkerEntry, type WorkerName } from './worker-entry';

export interface WorkerThreadEntry {
  readonly filename: string | URL;
  /** Appended to the worker's process.argv. */
  readonly argv?: readonly string[];
}

/** The thread entry of a named worker for this build (see worker-entry.ts). */
export async function defaultThreadEntry(name: WorkerName): Promise<WorkerThreadEntry> {
  const { file, args } = await resolveWorkerEntry(name);
  return { filename: file, ...(args ? { argv: args } : {}) };
}

/** Starts a worker thread; `marker` is its workerData, which its entry checks before serving. */
export function startWorkerThread(entry: WorkerThreadEntry, marker: string): Worker {
  return new Worker(entry.filename, { workerData: marker, argv: entry.argv ? [...entry.argv] : [] });
}
