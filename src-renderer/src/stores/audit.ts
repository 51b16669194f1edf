/** The audit page's last result (replaced whole: shallowRef) and whether one is running. */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { AuditInput, AuditResult, FairboundError } from '../../../src-shared/contract';
import { asFairboundError, call } from '../lib/api';

export const useAuditStore = defineStore('audit', () => {
  const result = shallowRef<AuditResult | null>(null);
  const error = shallowRef<FairboundError | null>(null);
  const running = ref(false);
  let request = 0;

  async function run(input: AuditInput): Promise<void> {
    const mine = ++request;
    running.value = true;
    error.value = null;
    try {
      const value = await call('audit.run', input);
      if (mine === request) result.value = value;
    } catch (err) {
      if (mine === request) {
        error.value = asFairboundError(err);
        result.value = null;
      }
    } finally {
      if (mine === request) running.value = false;
    }
  }

  return { result, error, running, run };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAuditStore, import.meta.hot));
