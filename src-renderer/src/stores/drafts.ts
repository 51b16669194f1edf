/** Ties a form to its draft in this workspace (lib/form-memory.ts says where and why). */
import { watch, type WatchStopHandle } from 'vue';
import { formKey, readDraft, writeDraft, type DraftStorage } from '../lib/form-memory';
import { useWorkspaceStore } from './workspace';

/** The page's localStorage, or null where the browser refuses it. */
function localDrafts(): DraftStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

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
