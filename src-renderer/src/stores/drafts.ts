/** Ties a form to its draft in this workspace (lib/form-memory.ts says where and why). */
import { watch, type WatchStopHandle } from 'vue';
import { formKey, localDrafts, readDraft, writeDraft } from '../lib/form-memory';
import { useWorkspaceStore } from './workspace';

/**
 * Once the workspace is known: hands the saved draft (or null) to `restore`, then saves `snapshot()`
 * whenever it changes. Resolves to the watcher's stop handle (null when main could not be reached).
 */
export async function keepDraft(form: string, snapshot: () => unknown, restore: (saved: unknown) => void): Promise<WatchStopHandle | null> {
  const info = await useWorkspaceStore().load();
  if (!info) return null;
  const key = formKey(form, info.databasePath);
  restore(readDraft(localDrafts(), key));
  return watch(snapshot, (value) => writeDraft(localDrafts(), key, value), { deep: true });
}
