/**
 * Training runs: the list, a detail cache, and the one run this window follows live. Live events come
 * in per animation frame through bindRunEvents (lib/run-events.ts); big, replace-only payloads sit in
 * shallowRefs, so Vue does not make every point of a series reactive.
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { BackendsReport, RunDetail, RunEventDto, RunIterations, RunRequestDto, RunSummaryDto } from '../../../src-shared/contract';
import { call } from '../lib/api';
import { applyRunEvents, newLiveRun, type LiveRun } from '../lib/run-live';

export const useRunsStore = defineStore('runs', () => {
  const list = shallowRef<RunSummaryDto[]>([]);
  const live = shallowRef<LiveRun | null>(null);
  const backends = shallowRef<BackendsReport | null>(null);
  /** Events that arrived before runs.start replied (keyed by run id), replayed once the run is known. */
  let early: { runId: number; event: RunEventDto }[] = [];

  async function refresh(): Promise<void> {
    list.value = await call('runs.list', {});
  }

  async function refreshBackends(): Promise<void> {
    backends.value = await call('backends.report', {});
  }

  async function start(request: RunRequestDto): Promise<number> {
    const { jobId, runId } = await call('runs.start', request);
    live.value = applyRunEvents(newLiveRun(jobId, runId), early);
    early = [];
    return runId;
  }

  async function cancel(): Promise<void> {
    if (live.value && !live.value.finished) await call('runs.cancel', { runId: live.value.runId });
  }

  function apply(batch: readonly { runId: number; event: RunEventDto }[]): void {
    if (live.value === null) {
      early = [...early, ...batch].slice(-200);
      return;
    }
    const before = live.value;
    const after = applyRunEvents(before, batch);
    if (after === before) early = [...early, ...batch.filter((e) => e.runId > before.runId)].slice(-200);
    live.value = after;
    if (after.finished && !before.finished) void refresh().catch(() => undefined);
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
    if (live.value?.runId === runId) live.value = null;
    await refresh();
    return deleted;
  }

  return { list, live, backends, refresh, refreshBackends, start, cancel, apply, get, iterations, remove };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRunsStore, import.meta.hot));
