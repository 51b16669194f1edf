/**
 * What `jobs.list` answers: every job in flight (runs, experiments, audits, imports), so that any page
 * can find them and then follow each one through the job.* and run.event events by its id.
 */
import { z } from 'zod';
import { jobId, jobKind } from './schemas';
import { count, wireNumber } from './wire';

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
