/**
 * A request, from another page, to audit a stored run on its own safety rows: the run page's "Audit this
 * run" sets it and navigates to the Audit page, which takes it once (and clears it).
 */
import { ref } from 'vue';

export const auditRunRequest = ref<number | null>(null);

export function requestRunAudit(runId: number): void {
  auditRunRequest.value = runId;
  window.location.hash = '#/audit';
}
