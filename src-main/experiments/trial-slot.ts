/**
 * The places outside the calling thread where the runner sends trials, as ports the runner defines and
 * its caller implements (src-main/jobs: worker threads, the deep-work process), so that experiments
 * never depend on how workers are started.
 */
import type { TrialProgress } from './models/model-type';
import type { TrialExecutorInput } from './trial-executor';
import type { TrialResult, TrialTask } from './types';

/** Runs trials one at a time, somewhere: a worker thread, the deep-work process, or the calling thread. */
export interface TrialSlot {
  /** `onProgress`: progress inside the trial, where the slot reports it (the deep-work process does). */
  run(task: TrialTask, onProgress?: (progress: TrialProgress) => void): Promise<TrialResult>;
  /** Ends the slot after its current task (if any). */
  close(): Promise<void>;
  /** Ends it now; a task in flight is rejected. */
  terminate(): Promise<void>;
}

/** Starts a worker thread serving trials on `init` (its dataset on shared memory); resolves once it is ready. */
export type StartTrialThread = (init: TrialExecutorInput) => Promise<TrialSlot>;
