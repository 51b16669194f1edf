/**
 * The state of every job this window knows of, keyed by id: the truth every page reads. At start the
 * window asks `jobs.list` for the jobs in flight (so a reload, or a page opened late, sees them), then
 * job.* and run.event events move them on (bound in lib/job-events.ts and lib/run-events.ts, in batches).
 * While a job runs, `jobs.list` is asked again now and then: a job that ended while the event socket was
 * reconnecting is then known to have ended. Events are recorded whatever job a page is showing, so one
 * that arrives before a route has returned its job id is not lost.
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { EventPayload, JobKind } from '../../../src-shared/contract';
import { call } from '../lib/api';
import type { JobEvent } from '../lib/job-events';
import { endedUnheard, nextJobState, withListed, withRunEvent, type JobState } from '../lib/job-state';

export type { JobState } from '../lib/job-state';

/** Jobs remembered at most; the oldest finished ones are forgotten first. */
const MAX_JOBS = 50;
/** How often jobs.list is asked again while a job runs. */
const RECONCILE_MS = 3000;

export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<Record<string, JobState>>({});
  /** Ended jobs the user has closed in the activity strip. */
  const dismissed = ref<ReadonlySet<string>>(new Set());
  let timer: ReturnType<typeof setTimeout> | undefined;

  function commit(next: Record<string, JobState>): void {
    const ids = Object.keys(next);
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_JOBS))) if (next[id].status !== 'running') delete next[id];
    jobs.value = next;
    scheduleReconcile();
  }

  function apply(batch: readonly JobEvent[]): void {
    const next = { ...jobs.value };
    for (const e of batch) next[e.payload.jobId] = nextJobState(next[e.payload.jobId], e);
    commit(next);
  }

  function applyRunEvents(batch: readonly EventPayload<'run.event'>[]): void {
    const next = { ...jobs.value };
    for (const e of batch) next[e.jobId] = withRunEvent(next[e.jobId], e);
    commit(next);
  }

  /** Asks main for every job in flight and merges the answer (see endedUnheard for the jobs it no longer lists). */
  async function load(): Promise<void> {
    const runningAtRequest = Object.values(jobs.value).filter((j) => j.status === 'running').map((j) => j.jobId);
    const listed = await call('jobs.list', {});
    const next = { ...jobs.value };
    for (const job of listed) next[job.jobId] = withListed(next[job.jobId], job);
    const still = new Set(listed.map((j) => j.jobId));
    for (const id of runningAtRequest) if (!still.has(id) && next[id]) next[id] = endedUnheard(next[id]);
    commit(next);
  }

  function scheduleReconcile(): void {
    if (timer !== undefined || !Object.values(jobs.value).some((j) => j.status === 'running')) return;
    timer = setTimeout(() => {
      timer = undefined;
      void load().catch(() => scheduleReconcile());
    }, RECONCILE_MS);
  }

  function get(jobId: string | null | undefined): JobState | undefined {
    return jobId === null || jobId === undefined ? undefined : jobs.value[jobId];
  }

  /** The newest job of `kind` still running, e.g. the experiment to follow after a reload. */
  function newestRunning(kind: JobKind): JobState | undefined {
    return Object.values(jobs.value).filter((j) => j.kind === kind && j.status === 'running').at(-1);
  }

  /** The job running for a run or an experiment. */
  function runningFor(kind: JobKind, subjectId: number): JobState | undefined {
    return Object.values(jobs.value).find((j) => j.kind === kind && j.subjectId === subjectId && j.status === 'running');
  }

  async function cancel(jobId: string): Promise<void> {
    await call('jobs.cancel', { jobId });
    const job = jobs.value[jobId];
    if (job?.status === 'running') jobs.value = { ...jobs.value, [jobId]: { ...job, cancelling: true } };
  }

  function dismiss(jobId: string): void {
    dismissed.value = new Set([...dismissed.value, jobId]);
  }

  /** What the activity strip shows: every running job, and the ended ones not dismissed yet. */
  const shown = computed(() => Object.values(jobs.value).filter((j) => j.status === 'running' || !dismissed.value.has(j.jobId)));

  return { jobs, shown, apply, applyRunEvents, load, get, newestRunning, runningFor, cancel, dismiss };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useJobsStore, import.meta.hot));
