/**
 * Datasets: the list, the selected one's summary and thumbnails (shallowRef: replaced whole, never
 * mutated), and the id of the import this window started last.
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { DatasetInfo, DatasetPreview, DatasetSummary, FairboundError, ImportRequest } from '../../../src-shared/contract';
import { asFairboundError, call } from '../lib/api';

export const useDatasetsStore = defineStore('datasets', () => {
  const list = shallowRef<DatasetInfo[]>([]);
  const loaded = ref(false);
  const selectedId = ref<number | null>(null);
  const summary = shallowRef<DatasetSummary | null>(null);
  const preview = shallowRef<DatasetPreview | null>(null);
  const error = shallowRef<FairboundError | null>(null);
  const importJobId = ref<string | null>(null);

  const selected = computed(() => list.value.find((d) => d.id === selectedId.value) ?? null);

  async function refresh(): Promise<void> {
    try {
      list.value = await call('datasets.list', {});
      loaded.value = true;
      error.value = null;
    } catch (err) {
      error.value = asFairboundError(err);
    }
  }

  async function select(id: number | null): Promise<void> {
    selectedId.value = id;
    summary.value = null;
    preview.value = null;
    if (id === null) return;
    try {
      const [s, p] = await Promise.all([call('datasets.summary', { datasetId: id }), call('datasets.preview', { datasetId: id, perGroup: 6 })]);
      if (selectedId.value !== id) return; // another dataset was picked meanwhile
      summary.value = s;
      preview.value = p;
      error.value = null;
    } catch (err) {
      if (selectedId.value === id) error.value = asFairboundError(err);
    }
  }

  async function remove(id: number): Promise<void> {
    await call('datasets.delete', { datasetId: id });
    if (selectedId.value === id) await select(null);
    await refresh();
  }

  async function startImport(request: ImportRequest): Promise<string> {
    const { jobId } = await call('datasets.import', request);
    importJobId.value = jobId;
    return jobId;
  }

  async function cancelImport(): Promise<void> {
    if (importJobId.value !== null) await call('jobs.cancel', { jobId: importJobId.value });
  }

  return { list, loaded, selectedId, selected, summary, preview, error, importJobId, refresh, select, remove, startImport, cancelImport };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDatasetsStore, import.meta.hot));
