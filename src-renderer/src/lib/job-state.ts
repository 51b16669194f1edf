/** One job's state as the UI shows it, and how each event changes it (pure). */
import type { ErrorData, JobKind, JobResult } from '../../../src-shared/contract';
import type { JobEvent } from './job-events';

export interface JobState {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly status: 'running' | 'done' | 'failed' | 'cancelled';
  readonly fraction: number | null;
  readonly phase: string;
  readonly message: string;
  readonly etaSeconds?: number;
  readonly result?: JobResult;
  readonly error?: ErrorData;
  readonly reason?: string;
}

export function nextJobState(previous: JobState | undefined, e: JobEvent): JobState {
  const base: JobState = previous ?? { jobId: e.payload.jobId, kind: e.payload.kind, status: 'running', fraction: null, phase: 'starting', message: '' };
  switch (e.event) {
    case 'job.progress':
      // A late progress event never reopens a finished job.
      if (base.status !== 'running') return base;
      return { ...base, fraction: e.payload.fraction, phase: e.payload.phase, message: e.payload.message, etaSeconds: e.payload.etaSeconds };
    case 'job.done':
      return { ...base, status: 'done', fraction: 1, result: e.payload.result, etaSeconds: undefined };
    case 'job.failed':
      return { ...base, status: 'failed', error: e.payload.error, etaSeconds: undefined };
    case 'job.cancelled':
      return { ...base, status: 'cancelled', reason: e.payload.reason, etaSeconds: undefined };
  }
}
