/**
 * Long work with a lifecycle and an id: `start` returns the job id at once and
 * the work runs after; it reports `job.progress` events and ends with exactly one of `job.done`,
 * `job.failed` or `job.cancelled`, every event carrying the id. `cancel` returns immediately: it aborts
 * the job's AbortSignal, which the work checks between chunks (the importers between rows) and then
 * rolls back what it wrote.
 */
import { randomUUID } from 'node:crypto';
import type { EventName, EventPayload } from '../../src-shared/contract/routes';
import type { JobProgressSnapshot } from '../../src-shared/contract/jobs';
import type { JobKind, JobResult } from '../../src-shared/contract/schemas';
import { isUnexpected, toErrorData } from './error-data';

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface JobProgress {
  /** 0..1, or null while unknown. */
  readonly fraction: number | null;
  readonly phase: string;
  readonly message: string;
  readonly rowsDone?: number;
  /** The work's own estimate of the seconds left (else one is made from the fraction and the time so far). */
  readonly etaSeconds?: number;
}

export interface JobControl {
  readonly jobId: string;
  readonly signal: AbortSignal;
  progress(progress: JobProgress): void;
}

export type JobWork = (control: JobControl) => Promise<JobResult>;

export interface JobRunnerOptions {
  /** Least time between two progress events of a job (a phase change or completion is always sent). */
  readonly progressIntervalMs?: number;
  readonly clock?: () => number;
  /** Where unexpected failures are logged with their stack (they reach the UI as data, without it). */
  readonly log?: (message: string, error: unknown) => void;
}

interface RunningJob {
  readonly kind: JobKind;
  readonly controller: AbortController;
  readonly settled: Promise<void>;
  /** The clock's time at start. */
  readonly startedAt: number;
  /** Its latest job.progress, as sent. */
  progress: JobProgressSnapshot | null;
}

/** A job still running, as jobs.list shows it. */
export interface RunningJobSnapshot {
  readonly jobId: string;
  readonly kind: JobKind;
  /** Asked to stop (its signal aborted), not stopped yet. */
  readonly cancelling: boolean;
  readonly progress: JobProgressSnapshot | null;
  /** The clock's time at start (ms). */
  readonly startedAt: number;
}

/** ETA from the elapsed time and the fraction done, once there is enough of both to mean something. */
export function estimateEta(elapsedMs: number, fraction: number | null): number | undefined {
  if (fraction === null || !(fraction > 0.02) || fraction >= 1 || elapsedMs < 1000) return undefined;
  return Math.round(((elapsedMs / 1000) * (1 - fraction)) / fraction);
}

export class JobRunner {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly interval: number;
  private readonly clock: () => number;
  private readonly log: (message: string, error: unknown) => void;

  constructor(
    private readonly emit: Emit,
    options: JobRunnerOptions = {},
  ) {
    this.interval = options.progressIntervalMs ?? 100;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((message, error) => console.error(message, error));
  }

  /** Ids of the jobs still running. */
  get running(): string[] {
    return [...this.jobs.keys()];
  }

  /** The jobs still running, oldest first. */
  list(): RunningJobSnapshot[] {
    return [...this.jobs].map(([jobId, job]) => ({ jobId, kind: job.kind, cancelling: job.controller.signal.aborted, progress: job.progress, startedAt: job.startedAt }));
  }

  /**
   * `onSettled` runs once the job has ended whichever way, also when it was cancelled before its work
   * began (the work's own `finally` never runs then): the place to undo bookkeeping done around `start`.
   */
  start(kind: JobKind, work: JobWork, onSettled?: (end: 'done' | 'failed' | 'cancelled') => void): string {
    const jobId = randomUUID();
    const controller = new AbortController();
    const started = this.clock();
    let lastSent = -Infinity;
    let lastPhase: string | undefined;
    const control: JobControl = {
      jobId,
      signal: controller.signal,
      progress: (p) => {
        const now = this.clock();
        const complete = p.fraction !== null && p.fraction >= 1;
        if (p.phase === lastPhase && !complete && now - lastSent < this.interval) return;
        lastSent = now;
        lastPhase = p.phase;
        const eta = p.etaSeconds ?? estimateEta(now - started, p.fraction);
        const progress: JobProgressSnapshot = {
          fraction: p.fraction === null ? null : Math.min(1, Math.max(0, p.fraction)),
          phase: p.phase,
          message: p.message,
          ...(eta !== undefined ? { etaSeconds: eta } : {}),
          ...(p.rowsDone !== undefined ? { rowsDone: p.rowsDone } : {}),
        };
        const running = this.jobs.get(jobId);
        if (running) running.progress = progress;
        this.emit('job.progress', { jobId, kind, ...progress });
      },
    };
    const settled = (async () => {
      let end: 'done' | 'failed' | 'cancelled' = 'failed';
      // Let the caller reply with the id before the first event can be sent.
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        controller.signal.throwIfAborted();
        const result = await work(control);
        end = 'done';
        this.emit('job.done', { jobId, kind, result });
      } catch (err) {
        if (controller.signal.aborted) {
          end = 'cancelled';
          const reason = controller.signal.reason instanceof Error ? controller.signal.reason.message : 'cancelled';
          this.emit('job.cancelled', { jobId, kind, reason });
        } else {
          if (isUnexpected(err)) this.log(`job ${jobId} (${kind}) failed unexpectedly:`, err);
          this.emit('job.failed', { jobId, kind, error: toErrorData(err) });
        }
      } finally {
        this.jobs.delete(jobId);
        if (onSettled) {
          try {
            onSettled(end);
          } catch (err) {
            this.log(`job ${jobId} (${kind}): its settlement callback failed:`, err);
          }
        }
      }
    })();
    this.jobs.set(jobId, { kind, controller, settled, startedAt: started, progress: null });
    return jobId;
  }

  /** Asks the job to stop; false if no such job is running. Returns at once. */
  cancel(jobId: string, reason = 'cancelled by the user'): boolean {
    const job = this.jobs.get(jobId);
    if (!job || job.controller.signal.aborted) return false;
    job.controller.abort(new Error(reason));
    return true;
  }

  /** Waits until every job running now has settled (without cancelling it). */
  async idle(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((j) => j.settled));
  }

  /** Cancels every job and waits until each has settled (rolled back, connection closed). */
  async shutdown(): Promise<void> {
    const jobs = [...this.jobs.values()];
    for (const job of jobs) job.controller.abort(new Error('Fairbound is shutting down'));
    await Promise.all(jobs.map((j) => j.settled));
  }
}
