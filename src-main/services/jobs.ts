/**
 * jobs.list: every job in flight, from the job runner (each job's kind, start and latest job.progress)
 * joined with what the services know of its subject (the run or experiment it works on) and, for a run,
 * with the deep worker queue's view (queued behind other work or running, and its latest run event).
 */
import { runEventProgress, type JobInFlight } from '../../src-shared/contract/jobs';
import type { Handler } from './context';

export const listJobsHandler: Handler<'jobs.list'> = (_input, ctx) => {
  const runOfJob = new Map([...ctx.activeRuns].map(([runId, jobId]) => [jobId, runId]));
  const experimentOfJob = new Map([...ctx.activeExperiments].map(([experimentId, jobId]) => [jobId, experimentId]));
  const queuedRuns = new Map((ctx.deepWorkerIfStarted()?.runsInFlight() ?? []).map((run) => [run.runId, run]));
  return ctx.jobs.list().map((job): JobInFlight => {
    const runId = runOfJob.get(job.jobId);
    const run = runId !== undefined ? queuedRuns.get(runId) : undefined;
    const progress = run?.lastProgress ? runEventProgress(run.lastProgress) : job.progress;
    return {
      jobId: job.jobId,
      kind: job.kind,
      subjectId: runId ?? experimentOfJob.get(job.jobId) ?? null,
      state: job.cancelling || run?.cancelRequested ? 'cancelling' : run?.state === 'queued' ? 'queued' : 'running',
      progress,
      startedAt: new Date(job.startedAt).toISOString(),
    };
  });
};
