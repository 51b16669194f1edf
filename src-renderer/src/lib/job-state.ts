/**
 * One job's state as the UI shows it, and how each event, each run event and each `jobs.list` answer
 * changes it (pure, so it is unit-tested). The server is the truth: a page opened late learns the jobs in
 * flight from `jobs.list`, then the events move them on; an ended job is never reopened by a late event
 * or by a list answer taken before its end.
 */
import type { ErrorData, EventPayload, JobKind, JobResult } from '../../../src-shared/contract';
import { runEventProgress, type JobInFlight } from '../../../src-shared/contract/jobs';
import type { JobEvent } from './job-events';

export interface JobState {
  readonly jobId: string;
  readonly kind: JobKind;
  /** The run's or experiment's id, once known (from jobs.list, a run event or the job's result). */
  readonly subjectId: number | null;
  readonly status: 'running' | 'done' | 'failed' | 'cancelled';
  /** While running: waiting in the deep worker's queue behind other work. */
  readonly queued: boolean;
  /** While running: asked to stop, not stopped yet. */
  readonly cancelling: boolean;
  readonly fraction: number | null;
  readonly phase: string;
  readonly message: string;
  readonly etaSeconds?: number;
  readonly result?: JobResult;
  readonly error?: ErrorData;
  readonly reason?: string;
}

function fresh(jobId: string, kind: JobKind): JobState {
  return { jobId, kind, subjectId: null, status: 'running', queued: false, cancelling: false, fraction: null, phase: 'starting', message: '' };
}

function subjectOf(result: JobResult): number | null {
  switch (result.kind) {
    case 'run':
      return result.runId;
    case 'experiment':
      return result.experimentId;
    default:
      return null;
  }
}

export function nextJobState(previous: JobState | undefined, e: JobEvent): JobState {
  const base = previous ?? fresh(e.payload.jobId, e.payload.kind);
  switch (e.event) {
    case 'job.progress':
      // A late progress event never reopens a finished job.
      if (base.status !== 'running') return base;
      return { ...base, queued: false, fraction: e.payload.fraction, phase: e.payload.phase, message: e.payload.message, etaSeconds: e.payload.etaSeconds };
    case 'job.done':
      return { ...base, status: 'done', subjectId: base.subjectId ?? subjectOf(e.payload.result), fraction: 1, result: e.payload.result, etaSeconds: undefined, queued: false, cancelling: false };
    case 'job.failed':
      return { ...base, status: 'failed', error: e.payload.error, etaSeconds: undefined, queued: false, cancelling: false };
    case 'job.cancelled':
      return { ...base, status: 'cancelled', reason: e.payload.reason, etaSeconds: undefined, queued: false, cancelling: false };
  }
}

/** A run's own event as its job's progress (a run job sends run.event, not job.progress). */
export function withRunEvent(previous: JobState | undefined, e: EventPayload<'run.event'>): JobState {
  const base = previous ?? { ...fresh(e.jobId, 'run'), subjectId: e.runId };
  if (base.status !== 'running') return base;
  const withSubject = base.subjectId === null ? { ...base, subjectId: e.runId } : base;
  if (e.event.type === 'status') return { ...withSubject, queued: e.event.status === 'queued' };
  const progress = runEventProgress(e.event);
  if (progress === null) return withSubject;
  return { ...withSubject, queued: false, fraction: progress.fraction, phase: progress.phase, message: progress.message, etaSeconds: progress.etaSeconds };
}

/** A job as `jobs.list` lists it: its progress is taken only where no event has told more yet. */
export function withListed(previous: JobState | undefined, listed: JobInFlight): JobState {
  const base = previous ?? fresh(listed.jobId, listed.kind);
  if (base.status !== 'running') return base;
  const heard = base.message !== '' || base.fraction !== null;
  const progress = !heard && listed.progress ? { fraction: listed.progress.fraction, phase: listed.progress.phase, message: listed.progress.message, etaSeconds: listed.progress.etaSeconds } : {};
  return { ...base, ...progress, subjectId: base.subjectId ?? listed.subjectId, queued: listed.state === 'queued', cancelling: listed.state === 'cancelling' };
}

/**
 * A job that was running when a `jobs.list` request was sent and is not in its answer has ended, though
 * its end event was lost (the event socket was reconnecting): it is shown as ended, without a result.
 */
export function endedUnheard(previous: JobState): JobState {
  if (previous.status !== 'running') return previous;
  return { ...previous, status: 'done', queued: false, cancelling: false, etaSeconds: undefined, message: 'ended' };
}
