/**
 * Keeps the runs and experiments stores in step with the jobs store, which is the truth about what runs:
 * a run job in flight is followed live by the runs store (its events then draw its charts), a run job that
 * ended settles its live run (also when the run's own last event was lost), and an experiment job in flight
 * becomes the experiment the Experiments page follows. Started once by main.ts, after the event bindings,
 * with the first `jobs.list`.
 */
import type { Pinia } from 'pinia';
import { watch } from 'vue';
import { useExperimentsStore } from './experiments';
import { useJobsStore, type JobState } from './jobs';
import { useRunsStore } from './runs';

const RETRY_MS = 2000;

export function startLiveSync(pinia: Pinia): void {
  const jobs = useJobsStore(pinia);
  const runs = useRunsStore(pinia);
  const experiments = useExperimentsStore(pinia);
  // Runs whose job ended without a result heard: their stored status is asked once.
  const asked = new Set<number>();

  function settleRun(job: JobState, runId: number): void {
    if (job.result?.kind === 'run') runs.settle(runId, job.result.status, job.result.error);
    else if (job.status === 'failed') runs.settle(runId, 'failed', job.error?.message ?? 'failed');
    else if (job.status === 'cancelled') runs.settle(runId, 'cancelled', job.reason ?? 'cancelled');
    else if (!asked.has(runId) && runs.liveRuns[runId] && !runs.liveRuns[runId].finished) {
      asked.add(runId);
      void runs.get(runId).then((d) => runs.settle(runId, d.run.status, d.run.error), () => undefined);
    }
  }

  watch(
    () => jobs.jobs,
    (all) => {
      for (const job of Object.values(all)) {
        if (job.subjectId === null) continue;
        if (job.kind === 'run') {
          if (job.status === 'running') runs.track(job.jobId, job.subjectId, job.queued ? 'queued' : 'running');
          else settleRun(job, job.subjectId);
        } else if (job.kind === 'experiment' && job.status === 'running') {
          experiments.adopt(job.jobId, job.subjectId, (id) => jobs.get(id)?.status === 'running');
        }
      }
    },
    { immediate: true },
  );

  const load = (): void => {
    jobs.load().catch(() => setTimeout(load, RETRY_MS));
  };
  load();
}
