/**
 * The state of every job this window has heard of, keyed by id. Events are recorded whatever job a page
 * is showing, so one that arrives before `datasets.import` has returned its id is not lost; a page
 * shows only its current job, never a late event of an earlier one. Fed in batches by lib/job-events.ts.
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { ref } from 'vue';
import type { JobEvent } from '../lib/job-events';
import { nextJobState, type JobState } from '../lib/job-state';

export type { JobState } from '../lib/job-state';

/** Jobs remembered at most; the oldest finished ones are forgotten first. */
const MAX_JOBS = 50;

export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<Record<string, JobState>>({});

  function apply(batch: readonly JobEvent[]): void {
    const next = { ...jobs.value };
    for (const e of batch) next[e.payload.jobId] = nextJobState(next[e.payload.jobId], e);
    const ids = Object.keys(next);
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_JOBS))) if (next[id].status !== 'running') delete next[id];
    jobs.value = next;
  }

  function get(jobId: string | null): JobState | undefined {
    return jobId === null ? undefined : jobs.value[jobId];
  }

  return { jobs, apply, get };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useJobsStore, import.meta.hot));
