/**
 * The constraint builder's draft (shared with the audit page, which can audit it, and the run and
 * experiment forms, which can use it) and the saved constraints of the workspace. The draft is kept per
 * workspace (stores/drafts.ts); the first-time example is written in the columns of the workspace's
 * datasets, so it is never an M/F constraint where no dataset has M and F.
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { DatasetInfo, SavedConstraint } from '../../../src-shared/contract';
import type { SubRegime } from '../../../src-shared/constraint/ast';
import { call } from '../lib/api';
import { accuracyRatio } from '../lib/constraint-blocks';
import { mergeDraft } from '../lib/form-memory';
import { keepDraft } from './drafts';

const EXAMPLE = { source: accuracyRatio('M', 'F'), delta: 0.05, columnsText: 'M,F', subRegime: 'classification' as SubRegime, datasetId: null as number | null, edited: false };

export const useConstraintsStore = defineStore('constraints', () => {
  const source = ref(EXAMPLE.source);
  const delta = ref(EXAMPLE.delta);
  const columnsText = ref(EXAMPLE.columnsText);
  const subRegime = ref<SubRegime>(EXAMPLE.subRegime);
  const datasetId = ref<number | null>(EXAMPLE.datasetId);
  /** Whether the user has written or loaded a constraint (else the draft is the example, fitted to the datasets). */
  const edited = ref(false);
  const saved = shallowRef<SavedConstraint[]>([]);

  const columns = computed(() => columnsText.value.split(',').map((c) => c.trim()).filter((c) => c.length > 0));

  const restored = keepDraft(
    'constraint-builder',
    () => ({ source: source.value, delta: delta.value, columnsText: columnsText.value, subRegime: subRegime.value, datasetId: datasetId.value, edited: edited.value }),
    (draft) => {
      const d = mergeDraft(EXAMPLE, draft);
      source.value = d.source;
      delta.value = d.delta;
      columnsText.value = d.columnsText;
      subRegime.value = d.subRegime === 'multiclass_classification' ? 'multiclass_classification' : 'classification';
      datasetId.value = d.datasetId;
      edited.value = d.edited;
    },
  );

  /**
   * While the draft is still the example: writes it for the first dataset with two sensitive columns,
   * unless a dataset has M and F (the example's own columns). Waits for the saved draft first.
   */
  async function fitExample(datasets: readonly DatasetInfo[]): Promise<void> {
    await restored;
    if (edited.value || datasets.some((d) => d.sensitiveColumns.includes('M') && d.sensitiveColumns.includes('F'))) return;
    const d = datasets.find((x) => x.sensitiveColumns.length >= 2);
    if (!d || (datasetId.value === d.id && source.value !== EXAMPLE.source)) return;
    datasetId.value = d.id;
    columnsText.value = d.sensitiveColumns.join(',');
    subRegime.value = d.nClasses > 2 ? 'multiclass_classification' : 'classification';
    source.value = accuracyRatio(d.sensitiveColumns[0], d.sensitiveColumns[1]);
  }

  /** Resolves once the saved draft (if any) is in place. */
  async function whenRestored(): Promise<void> {
    await restored;
  }

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
    edited.value = true;
    if (c.columns.length > 0) columnsText.value = c.columns.join(',');
  }

  return { source, delta, columnsText, columns, subRegime, datasetId, edited, saved, whenRestored, fitExample, refresh, save, remove, load };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useConstraintsStore, import.meta.hot));
