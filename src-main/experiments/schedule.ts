/**
 * How an experiment's trials are spread over the places that run them: the worker threads' slots, the
 * deep-work process's slot and the calling thread, each draining its own queue, with one stop for a
 * cancel or the first failure.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { TrialProgress } from './models/model-type';
import type { TrialExecutor } from './trial-executor';
import type { TrialSlot } from './trial-slot';
import type { TrialResult, TrialTask } from './types';

/** How a run ended. */
export type ScheduleStatus = 'completed' | 'cancelled' | 'failed';

export interface ScheduleInput {
  readonly slots: readonly TrialSlot[];
  readonly workerTasks: readonly TrialTask[];
  /** The deep-work process's slot and its tasks (run one at a time, beside the others). */
  readonly processSlot: TrialSlot | null;
  readonly processTasks: readonly TrialTask[];
  readonly executor: TrialExecutor | null;
  readonly mainTasks: readonly TrialTask[];
  readonly onResult: (task: TrialTask, result: TrialResult) => void;
  readonly onTrialProgress?: (task: TrialTask, progress: TrialProgress) => void;
  readonly signal?: AbortSignal;
}

/**
 * Workers pull from one queue, the deep-work process's slot from a second, the calling thread from a
 * third (models that must run in-process, or everything with one worker). A cancel terminates the
 * workers at once (their trials in flight are dropped, to be run again on resume), cancels the deep
 * process's trial between batches, and stops the calling thread's trial where it checks the signal (deep
 * models between batches, others after the trial). The first error stops everything.
 */
export async function schedule(input: ScheduleInput): Promise<{ status: ScheduleStatus; error: string | null }> {
  const workerQueue = [...input.workerTasks];
  const processQueue = [...input.processTasks];
  const mainQueue = [...input.mainTasks];
  let stopped: { status: 'cancelled' | 'failed'; error: string | null } | null = null;
  const stop = (status: 'cancelled' | 'failed', error: string | null): void => {
    if (stopped) return;
    stopped = { status, error };
    for (const slot of input.slots) void slot.terminate().catch(() => undefined);
    void input.processSlot?.terminate().catch(() => undefined);
  };
  const onAbort = (): void => stop('cancelled', null);
  if (input.signal?.aborted) onAbort();
  input.signal?.addEventListener('abort', onAbort);

  const drain = async (queue: TrialTask[], run: (task: TrialTask) => Promise<TrialResult>, yieldBetween: boolean): Promise<void> => {
    while (queue.length > 0 && !stopped) {
      const task = queue.shift()!;
      let result: TrialResult;
      try {
        result = await run(task);
      } catch (error) {
        if (!stopped) stop('failed', error instanceof Error ? error.message : String(error));
        return;
      }
      // A trial that finished is kept, even when a cancel came in meanwhile.
      try {
        input.onResult(task, result);
      } catch (error) {
        stop('failed', error instanceof Error ? error.message : String(error));
        return;
      }
      // Trials on the calling thread block it: let the abort signal and worker messages through.
      if (yieldBetween) await yieldToEventLoop();
    }
  };
  try {
    const executor = input.executor;
    const processSlot = input.processSlot;
    const onTrialProgress = input.onTrialProgress;
    const progressOf = (task: TrialTask): ((p: TrialProgress) => void) | undefined => (onTrialProgress ? (p) => onTrialProgress(task, p) : undefined);
    await Promise.all([
      ...input.slots.map((slot) => drain(workerQueue, (task) => slot.run(task), false)),
      ...(processSlot ? [drain(processQueue, (task) => processSlot.run(task, progressOf(task)), false)] : []),
      ...(executor
        ? [
            drain(
              mainQueue,
              (task) => {
                const onProgress = progressOf(task);
                return executor.run(task, { ...(input.signal ? { signal: input.signal } : {}), ...(onProgress ? { onProgress } : {}) });
              },
              true,
            ),
          ]
        : []),
    ]);
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
  }
  const final = stopped as { status: 'cancelled' | 'failed'; error: string | null } | null;
  return final ?? { status: 'completed', error: null };
}
