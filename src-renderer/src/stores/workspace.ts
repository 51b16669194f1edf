/**
 * Which app and workspace this window talks to (`app.info`, asked once): the footer shows it, and the
 * forms keep their drafts under its database path (lib/form-memory.ts).
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { RouteOutput } from '../../../src-shared/contract';
import { call } from '../lib/api';

export const useWorkspaceStore = defineStore('workspace', () => {
  const info = shallowRef<RouteOutput<'app.info'> | null>(null);
  let asked: Promise<RouteOutput<'app.info'> | null> | null = null;

  /** app.info, asked once (null when main cannot be reached; asked again next time). */
  function load(): Promise<RouteOutput<'app.info'> | null> {
    asked ??= call('app.info', {}).then(
      (value) => (info.value = value),
      () => {
        asked = null;
        return null;
      },
    );
    return asked;
  }

  return { info, load };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useWorkspaceStore, import.meta.hot));
