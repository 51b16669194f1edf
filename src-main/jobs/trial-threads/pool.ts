/**
 * Trial workers (node:worker_threads) and the entry file they start from. The entry has to work in two
 * builds:
 * - TypeScript source (vitest, tsx): Node cannot start a `.ts` worker, so `trial-worker.ts` is bundled
 *   once per process with esbuild (a dev dependency, present wherever the source is) into
 *   node_modules/.cache/fairbound/, named by its content hash and written atomically;
 * - the CLI bundle (`out/cli/fairbound.mjs`, one file): a sibling `trial-worker.mjs` if a build put one
 *   there, else the bundle itself, started with argv `experiment __trial-worker` so that the CLI's own
 *   entry dispatches to the hidden worker command instead of parsing the parent's arguments.
 * Other hosts (the Electron main bundle) pass their own entry: any module that calls
 * `serveTrialWorker(parentPort)` when `workerData === TRIAL_WORKER_MARKER`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSourceWorker } from '../source-bundle';
import { Worker } from 'node:worker_threads';
import type { TrialProgress } from '../../experiments/models/model-type';
import type { TrialResult, TrialTask } from '../../experiments/types';
import { TRIAL_WORKER_MARKER, TrialWorkerError, type FromTrialWorker, type ToTrialWorker } from './protocol';

export interface TrialWorkerEntry {
  readonly filename: string | URL;
  /** Appended to the worker's process.argv. */
  readonly argv?: readonly string[];
}

/** The CLI's hidden subcommand that serves a trial worker (see src-main/cli/commands/experiment.ts). */
export const CLI_WORKER_ARGV = ['experiment', '__trial-worker'] as const;

/** How long a closing worker may take to exit on its own before it is terminated. */
const CLOSE_GRACE_MS = 5000;

let sourceBuild: Promise<string> | null = null;


/** The entry for this build (see the file comment). */
export async function defaultTrialWorkerEntry(): Promise<TrialWorkerEntry> {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    sourceBuild ??= bundleSourceWorker(join(dirname(here), 'entry.ts'), 'trial-worker');
    return { filename: await sourceBuild };
  }
  const sibling = join(dirname(here), 'trial-worker.mjs');
  if (existsSync(sibling)) return { filename: sibling };
  return { filename: here, argv: CLI_WORKER_ARGV };
}

export type TrialWorkerInit = Extract<ToTrialWorker, { type: 'init' }>;

/** Runs trials one at a time, somewhere: a worker thread, the deep-work process, or the calling thread. */
export interface TrialSlot {
  /** `onProgress`: progress inside the trial, where the slot reports it (the deep-work process does). */
  run(task: TrialTask, onProgress?: (progress: TrialProgress) => void): Promise<TrialResult>;
  /** Ends the slot after its current task (if any). */
  close(): Promise<void>;
  /** Ends it now; a task in flight is rejected. */
  terminate(): Promise<void>;
}

/** A worker thread serving trials; resolves once the worker has built its executor. */
export function startWorkerSlot(entry: TrialWorkerEntry, init: TrialWorkerInit): Promise<TrialSlot> {
  const worker = new Worker(entry.filename, { workerData: TRIAL_WORKER_MARKER, argv: entry.argv ? [...entry.argv] : [] });
  let nextTaskId = 0;
  let pending: { taskId: number; task: TrialTask; resolve: (r: TrialResult) => void; reject: (e: Error) => void } | null = null;
  let ready: { resolve: (slot: TrialSlot) => void; reject: (e: Error) => void } | null = null;
  let exited = false;

  const fail = (error: Error): void => {
    if (ready) ready.reject(error);
    ready = null;
    if (pending) pending.reject(error);
    pending = null;
  };

  const slot: TrialSlot = {
    run(task) {
      if (exited) return Promise.reject(new Error('trial worker has exited'));
      if (pending) return Promise.reject(new Error('trial worker is busy'));
      return new Promise<TrialResult>((resolve, reject) => {
        const taskId = nextTaskId++;
        pending = { taskId, task, resolve, reject };
        // A view's structured clone would carry its whole buffer (the full resample): send just the rows.
        worker.postMessage({ type: 'run', taskId, task: { ...task, rows: task.rows.slice() } } satisfies ToTrialWorker);
      });
    },
    async close() {
      if (exited) return;
      const done = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'close' } satisfies ToTrialWorker);
      // A host module that keeps the worker's event loop alive must not hang the run: end it after a grace period.
      const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
      await done;
      clearTimeout(timer);
    },
    async terminate() {
      if (exited) return;
      await worker.terminate();
    },
  };

  worker.on('message', (message: FromTrialWorker) => {
    switch (message.type) {
      case 'ready':
        ready?.resolve(slot);
        ready = null;
        return;
      case 'result':
        if (pending && pending.taskId === message.taskId) {
          const { resolve } = pending;
          pending = null;
          resolve(message.result);
        }
        return;
      case 'failed':
        fail(new TrialWorkerError(message.error, pending?.task ?? null));
        return;
    }
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => {
    exited = true;
    fail(new Error(`trial worker exited with code ${code}`));
  });
  return new Promise<TrialSlot>((resolve, reject) => {
    ready = { resolve, reject };
    worker.postMessage(init satisfies ToTrialWorker);
  });
}
