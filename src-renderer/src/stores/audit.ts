/**
 * The audit page's last result (replaced whole: shallowRef), the input that gave it, whether one is
 * running, and the last export of that result as a report (audit.report).
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { AuditInput, AuditReportOutput, AuditResult, FairboundError } from '../../../src-shared/contract';
import { asFairboundError, call } from '../lib/api';

export const useAuditStore = defineStore('audit', () => {
  const result = shallowRef<AuditResult | null>(null);
  const error = shallowRef<FairboundError | null>(null);
  const running = ref(false);
  /** The input of the shown result: the report re-runs exactly this audit. */
  const input = shallowRef<AuditInput | null>(null);
  const report = shallowRef<AuditReportOutput | null>(null);
  const reportError = shallowRef<FairboundError | null>(null);
  const exporting = ref(false);
  let request = 0;

  function clearReport(): void {
    report.value = null;
    reportError.value = null;
  }

  async function run(next: AuditInput): Promise<void> {
    const mine = ++request;
    running.value = true;
    error.value = null;
    clearReport();
    try {
      const value = await call('audit.run', next);
      if (mine === request) {
        result.value = value;
        input.value = next;
      }
    } catch (err) {
      if (mine === request) {
        error.value = asFairboundError(err);
        result.value = null;
        input.value = null;
      }
    } finally {
      if (mine === request) running.value = false;
    }
  }

  /** Writes the shown result's audit as an HTML report at `out` (server-side), and a PDF when asked. */
  async function exportReport(out: string, pdf?: string): Promise<void> {
    const audited = input.value;
    if (audited === null) return;
    const mine = request;
    exporting.value = true;
    clearReport();
    try {
      const value = await call('audit.report', { ...audited, out, ...(pdf !== undefined ? { pdf } : {}) });
      if (mine === request) report.value = value;
    } catch (err) {
      if (mine === request) reportError.value = asFairboundError(err);
    } finally {
      exporting.value = false;
    }
  }

  return { result, error, running, run, input, report, reportError, exporting, exportReport, clearReport };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAuditStore, import.meta.hot));
