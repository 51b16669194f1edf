/**
 * Training runs: the list, a detail cache, and every run in flight followed live. Live events come in per
 * animation frame through bindRunEvents (lib/run-events.ts): a run.event of a run not known yet (started
 * in another window, or before a reload) starts following it, so every page sees every running run. The
 * New run page shows one of them, `live`: the one it started, or after a reload the newest in flight.
 * Big, replace-only payloads sit in shallowRefs, so Vue does not make every point of a series reactive.
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BackendsReport, PretrainedRunRequest, RunDetail, RunEventDto, RunIterations, RunRequestDto, RunStatus, RunSummaryDto } from '../../../src-shared/contract';
import { call } from '../lib/api';
import { applyRunEvents, newLiveRun, type LiveRun } from '../lib/run-live';

/** Finished runs kept live at most (their series stay for the New run page until another run starts). */
const MAX_FINISHED = 4;

export const useRunsStore = defineStore('runs', () => {
  const list = shallowRef<RunSummaryDto[]>([]);
  const liveRuns = shallowRef<Readonly<Record<number, LiveRun>>>({});
  const followed = ref<number | null>(null);
  const live = computed(() => (followed.value === null ? null : (liveRuns.value[followed.value] ?? null)));
  const backends = shallowRef<BackendsReport | null>(null);

  async function refresh(): Promise<void> {
    list.value = await call('runs.list', {});
  }

  async function refreshBackends(): Promise<void> {
    backends.value = await call('backends.report', {});
  }

  function prune(next: Record<number, LiveRun>): Record<number, LiveRun> {
    const finished = Object.values(next).filter((r) => r.finished && r.runId !== followed.value);
    for (const r of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED))) delete next[r.runId];
    return next;
  }

  /** Starts following a run in flight (known from jobs.list) unless it is followed already. */
  function track(jobId: string, runId: number, status: 'queued' | 'running' = 'queued'): void {
    if (liveRuns.value[runId]) return;
    liveRuns.value = prune({ ...liveRuns.value, [runId]: { ...newLiveRun(jobId, runId), status } });
  }

  /** A followed run whose job has ended: finished with its stored status, if its own last event was lost. */
  function settle(runId: number, status: RunStatus, error: string | null): void {
    const run = liveRuns.value[runId];
    if (!run || run.finished) return;
    liveRuns.value = { ...liveRuns.value, [runId]: { ...run, status, error, finished: true, etaSeconds: null } };
    void refresh().catch(() => undefined);
  }

  /** Shows this run on the New run page. */
  function follow(runId: number): void {
    followed.value = runId;
  }

  async function start(request: RunRequestDto): Promise<number> {
    const { jobId, runId } = await call('runs.start', request);
    // Its first events may have come before the reply: they started following it already.
    track(jobId, runId);
    follow(runId);
    return runId;
  }

  /** Queues a pretrained run (the Audit page's Tutorial J on a model file); followed like any run. */
  async function startPretrained(request: PretrainedRunRequest): Promise<number> {
    const { jobId, runId } = await call('runs.startPretrained', request);
    track(jobId, runId);
    return runId;
  }

  async function cancel(): Promise<void> {
    if (live.value && !live.value.finished) await call('runs.cancel', { runId: live.value.runId });
  }

  function apply(batch: readonly { jobId: string; runId: number; event: RunEventDto }[]): void {
    const next: Record<number, LiveRun> = { ...liveRuns.value };
    let ended = false;
    for (const runId of new Set(batch.map((e) => e.runId))) {
      const events = batch.filter((e) => e.runId === runId);
      const before = next[runId] ?? newLiveRun(events[0].jobId, runId);
      const after = applyRunEvents(before, events);
      ended ||= after.finished && !before.finished;
      next[runId] = after;
    }
    liveRuns.value = prune(next);
    if (ended) void refresh().catch(() => undefined);
  }

  function get(runId: number): Promise<RunDetail> {
    return call('runs.get', { runId });
  }

  function iterations(runId: number): Promise<RunIterations> {
    return call('runs.iterations', { runId });
  }

  /** Deletes a finished run (main refuses a queued or running one) and reloads the list. */
  async function remove(runId: number): Promise<boolean> {
    const { deleted } = await call('runs.delete', { runId });
    if (liveRuns.value[runId]) {
      const next = { ...liveRuns.value };
      delete next[runId];
      liveRuns.value = next;
    }
    if (followed.value === runId) followed.value = null;
    await refresh();
    return deleted;
  }

  return { list, liveRuns, live, backends, refresh, refreshBackends, track, settle, follow, start, startPretrained, cancel, apply, get, iterations, remove };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRunsStore, import.meta.hot));
