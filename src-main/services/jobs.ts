/**
 * jobs.list: every job in flight, from the job runner (each job's kind, start and latest job.progress)
 * joined with what the services know of its subject (the run or experiment it works on) and, for a run,
 * with the deep worker queue's view (queued behind other work or running, and its latest run event).
 */
import type { JobInFlight, JobProgressSnapshot } from '../../src-shared/contract/jobs';
import type { RunEvent } from '../runs/types';
import type { Handler } from './context';

function eta(seconds: number): { etaSeconds?: number } {
  return Number.isFinite(seconds) && seconds >= 0 ? { etaSeconds: seconds } : {};
}

/** A run's progress event as a job's progress; null for the events that carry none. */
function runProgress(event: RunEvent): JobProgressSnapshot | null {
  switch (event.type) {
    case 'phase':
      return { fraction: null, phase: event.phase, message: event.backend !== undefined ? `${event.phase} on ${event.backend}` : event.phase };
    case 'batch':
      return { fraction: event.fraction, phase: 'training', message: `body training: epoch ${event.epoch} of ${event.epochs}, batch ${event.batch} of ${event.batchesPerEpoch}`, ...eta(event.etaSeconds) };
    case 'latents':
      return { fraction: event.total > 0 ? event.done / event.total : null, phase: 'latents', message: `latents ${event.done} of ${event.total}` };
    case 'iteration':
      return { fraction: event.total > 0 ? event.iteration / event.total : null, phase: 'candidate_selection', message: `QSA iteration ${event.iteration} of ${event.total}`, ...eta(event.etaSeconds) };
    default:
      return null;
  }
}

export const listJobsHandler: Handler<'jobs.list'> = (_input, ctx) => {
  const runOfJob = new Map([...ctx.activeRuns].map(([runId, jobId]) => [jobId, runId]));
  const experimentOfJob = new Map([...ctx.activeExperiments].map(([experimentId, jobId]) => [jobId, experimentId]));
  const queuedRuns = new Map((ctx.deepWorkerIfStarted()?.runsInFlight() ?? []).map((run) => [run.runId, run]));
  return ctx.jobs.list().map((job): JobInFlight => {
    const runId = runOfJob.get(job.jobId);
    const run = runId !== undefined ? queuedRuns.get(runId) : undefined;
    const progress = run?.lastProgress ? runProgress(run.lastProgress) : job.progress;
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
