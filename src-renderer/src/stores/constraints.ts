/**
 * The constraint builder's draft (shared with the audit page, which can audit it) and the saved
 * constraints of the workspace.
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { SavedConstraint } from '../../../src-shared/contract';
import type { SubRegime } from '../../../src-shared/constraint/ast';
import { call } from '../lib/api';

export const useConstraintsStore = defineStore('constraints', () => {
  const source = ref('min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8');
  const delta = ref(0.05);
  const columnsText = ref('M,F');
  const subRegime = ref<SubRegime>('classification');
  const datasetId = ref<number | null>(null);
  const saved = shallowRef<SavedConstraint[]>([]);

  const columns = computed(() => columnsText.value.split(',').map((c) => c.trim()).filter((c) => c.length > 0));

  async function refresh(): Promise<void> {
    saved.value = await call('constraints.list', {});
  }

  async function save(name: string, id?: number): Promise<SavedConstraint> {
    const result = await call('constraints.save', { ...(id !== undefined ? { id } : {}), name, source: source.value, delta: delta.value, columns: columns.value, subRegime: subRegime.value });
    await refresh();
    return result;
  }

  async function remove(id: number): Promise<void> {
    await call('constraints.delete', { id });
    await refresh();
  }

  function load(c: SavedConstraint): void {
    source.value = c.source;
    delta.value = c.delta;
    subRegime.value = c.subRegime;
    if (c.columns.length > 0) columnsText.value = c.columns.join(',');
  }

  return { source, delta, columnsText, columns, subRegime, datasetId, saved, refresh, save, remove, load };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useConstraintsStore, import.meta.hot));
