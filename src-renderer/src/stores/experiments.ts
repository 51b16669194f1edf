/**
 * Seldonian experiments: the list, the one shown (with its aggregates), and the one running: started or
 * resumed here, or, after a reload or in another window, the experiment job in flight (lib/live-sync.ts
 * hands it over through `adopt`).
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ExperimentDetail, ExperimentStartInput, ExperimentSummaryDto, RouteOutput } from '../../../src-shared/contract';
import { call } from '../lib/api';

export const useExperimentsStore = defineStore('experiments', () => {
  const list = shallowRef<ExperimentSummaryDto[]>([]);
  const models = shallowRef<RouteOutput<'experiments.models'>>([]);
  const detail = shallowRef<ExperimentDetail | null>(null);
  const running = ref<{ jobId: string; experimentId: number } | null>(null);

  async function refresh(): Promise<void> {
    [list.value, models.value] = await Promise.all([call('experiments.list', {}), call('experiments.models', {})]);
  }

  async function show(experimentId: number): Promise<void> {
    detail.value = await call('experiments.get', { experimentId });
  }

  async function start(input: ExperimentStartInput): Promise<void> {
    running.value = await call('experiments.start', input);
    await refresh();
  }

  /** Runs the missing trials of a failed or cancelled experiment; it becomes the one running here, as a start. */
  async function resume(experimentId: number): Promise<void> {
    running.value = await call('experiments.resume', { experimentId });
    await refresh();
  }

  /** Follows an experiment job found in flight, unless the one followed is still running. */
  function adopt(jobId: string, experimentId: number, stillRunning: (jobId: string) => boolean): void {
    if (running.value && (running.value.jobId === jobId || stillRunning(running.value.jobId))) return;
    running.value = { jobId, experimentId };
  }

  async function cancel(): Promise<void> {
    if (running.value) await call('experiments.cancel', { experimentId: running.value.experimentId });
  }

  /** Existing files in `folder` are replaced only with `overwrite` (the user confirmed); otherwise main answers `conflict`. */
  function exportCsv(experimentId: number, folder: string, overwrite = false): Promise<RouteOutput<'experiments.exportCsv'>> {
    return call('experiments.exportCsv', { experimentId, folder, overwrite });
  }

  /** Deletes an experiment that is not running (main refuses a running one) and reloads the list. */
  async function remove(experimentId: number): Promise<boolean> {
    const { deleted } = await call('experiments.delete', { experimentId });
    if (detail.value?.experiment.id === experimentId) detail.value = null;
    await refresh();
    return deleted;
  }

  return { list, models, detail, running, refresh, show, start, resume, adopt, cancel, exportCsv, remove };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useExperimentsStore, import.meta.hot));
