/**
 * Trial workers (node:worker_threads): a slot per thread, each serving one task at a time. Where the
 * entry comes from: worker-entry.ts. Other hosts (the Electron main bundle) pass their own entry: any
 * module that calls `serveTrialWorker(parentPort)` when `workerData === TRIAL_WORKER_MARKER`.
 */
import { startWorkerThread, type WorkerThreadEntry } from '../worker-thread';
import type { TrialExecutorInput } from '../../experiments/trial-executor';
import type { TrialSlot } from '../../experiments/trial-slot';
import type { TrialResult, TrialTask } from '../../experiments/types';
import { TRIAL_WORKER_MARKER, TrialWorkerError, type FromTrialWorker, type ToTrialWorker } from './protocol';

/** How long a closing worker may take to exit on its own before it is terminated. */
const CLOSE_GRACE_MS = 5000;

/** A worker thread serving trials; resolves once the worker has built its executor. */
export function startWorkerSlot(entry: WorkerThreadEntry, init: TrialExecutorInput): Promise<TrialSlot> {
  const worker = startWorkerThread(entry, TRIAL_WORKER_MARKER);
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
    worker.postMessage({ type: 'init', ...init } satisfies ToTrialWorker);
  });
}
