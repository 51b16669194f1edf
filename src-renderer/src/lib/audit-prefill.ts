/**
 * Requests, from another page, to the Audit page: audit a stored run on its own safety rows (the run
 * page's "Audit this run"), or repeat a pretrained run. Each is set, the page opened, and the Audit page
 * takes it once (and clears it).
 */
import { ref, shallowRef } from 'vue';
import type { PretrainedRerun } from './rerun';

export const auditRunRequest = ref<number | null>(null);

/** A pretrained run to repeat: the run page's "Re-run" fills the Audit page's "Retrain the head" with it. */
export const retrainHeadRequest = shallowRef<PretrainedRerun | null>(null);

export function requestRetrainHead(rerun: PretrainedRerun): void {
  retrainHeadRequest.value = rerun;
  window.location.hash = '#/audit';
}

export function requestRunAudit(runId: number): void {
  auditRunRequest.value = runId;
  window.location.hash = '#/audit';
}
