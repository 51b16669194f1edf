import type { WritableDB } from '../../store/database';
import { runExperiment, type RunOptions, type RunSummary } from '../../experiments/runner';
import type { StartTrialThread } from '../../experiments/trial-slot';
import { defaultThreadEntry, type WorkerThreadEntry } from '../worker-thread';
import { startWorkerSlot } from './pool';

export interface ThreadedRunOptions extends Omit<RunOptions, 'startTrialThread'> {
  /** Where the trial worker threads start from (default: this build's trial worker entry). */
  readonly workerEntry?: WorkerThreadEntry;
}

/** The runner's StartTrialThread: worker threads from `entry`, else from this build's trial worker entry. */
export function trialThreadStarter(entry?: WorkerThreadEntry): StartTrialThread {
  return async (init) => startWorkerSlot(entry ?? (await defaultThreadEntry('trial-worker')), init);
}

/** runExperiment with its engine trials in worker threads of this process (see RunOptions.workers). */
export function runExperimentInThreads(db: WritableDB, experimentId: number, options: ThreadedRunOptions = {}): Promise<RunSummary> {
  const { workerEntry, ...run } = options;
  return runExperiment(db, experimentId, { ...run, startTrialThread: trialThreadStarter(workerEntry) });
}
