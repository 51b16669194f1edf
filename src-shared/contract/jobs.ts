/**
 * What `jobs.list` answers: every job in flight (runs, experiments, audits, imports), so that any page
 * can find them and then follow each one through the job.* and run.event events by its id.
 */
import { z } from 'zod';
import { jobId, jobKind } from './schemas';
import type { RunEventDto } from './schemas/runs';
import { count, wireNumber, type ReadonlyDeep } from './wire';

/** A job's latest progress, as its last job.progress (or, for a run, its last run.event) said. */
export const jobProgressSnapshot = z.object({
  /** 0..1, or null while unknown. */
  fraction: wireNumber.nullable(),
  phase: z.string(),
  message: z.string(),
  etaSeconds: z.number().nonnegative().optional(),
  rowsDone: count.optional(),
});
export type JobProgressSnapshot = z.infer<typeof jobProgressSnapshot>;

export const jobInFlight = z.object({
  jobId,
  kind: jobKind,
  /**
   * What it works on: the run's id (kind `run`), the experiment's id (`experiment`); null where the job
   * has none yet (an import's dataset exists once it is done; an audit is not stored).
   */
  subjectId: z.number().int().min(1).nullable(),
  /** `queued`: a run waiting for the deep worker; `cancelling`: asked to stop, not stopped yet. */
  state: z.enum(['queued', 'running', 'cancelling']),
  /** null before its first progress. */
  progress: jobProgressSnapshot.nullable(),
  /** When it was started (ISO 8601). */
  startedAt: z.string(),
});
export type JobInFlight = z.infer<typeof jobInFlight>;

/** Oldest first. */
export const jobsInFlight = z.array(jobInFlight);

function eta(seconds: number): { etaSeconds?: number } {
  return Number.isFinite(seconds) && seconds >= 0 ? { etaSeconds: seconds } : {};
}

/**
 * A run's event as its job's progress (what jobs.list reports for a run, and what the UI shows for a run
 * followed through run.event, which sends no job.progress); null for the events that carry none.
 */
export function runEventProgress(event: ReadonlyDeep<RunEventDto>): JobProgressSnapshot | null {
  switch (event.type) {
    case 'phase':
      return { fraction: null, phase: event.phase, message: event.backend !== undefined ? `${event.phase.replace('_', ' ')} on ${event.backend}` : event.phase.replace('_', ' ') };
    case 'batch':
      return { fraction: event.fraction, phase: 'training', message: `body training: epoch ${event.epoch + 1} of ${event.epochs}, batch ${event.batch + 1} of ${event.batchesPerEpoch}`, ...eta(event.etaSeconds) };
    case 'latents':
      return { fraction: event.total > 0 ? event.done / event.total : null, phase: 'latents', message: `latents ${event.done} of ${event.total}` };
    case 'iteration':
      return { fraction: event.total > 0 ? (event.iteration + 1) / event.total : null, phase: 'candidate_selection', message: `QSA iteration ${event.iteration + 1} of ${event.total}`, ...eta(event.etaSeconds) };
    default:
      return null;
  }
}
