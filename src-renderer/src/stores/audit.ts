/**
 * The audit page's last result (replaced whole: shallowRef), the input that gave it, the audit job
 * running or last run (audit.start: its progress and end arrive as job.* events into the jobs store),
 * and the last export of that result as a report (audit.report).
 */
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { errorFromData, type AuditInput, type AuditReportOutput, type AuditResult, type FairboundError } from '../../../src-shared/contract';
import { asFairboundError, call } from '../lib/api';
import { useJobsStore } from './jobs';

export const useAuditStore = defineStore('audit', () => {
  const jobs = useJobsStore();
  const result = shallowRef<AuditResult | null>(null);
  const error = shallowRef<FairboundError | null>(null);
  /** Why the last audit stopped early (jobs.cancel), else null. */
  const cancelled = ref<string | null>(null);
  /** The current audit job's id; null before the first and while audit.start has not replied. */
  const jobId = ref<string | null>(null);
  const starting = ref(false);
  /** The input of the shown result (what was audited; the report is written from the result itself). */
  const input = shallowRef<AuditInput | null>(null);
  /** The id under which main keeps the shown result's probabilities (audit.atThreshold), if it does. */
  const thresholdId = ref<string | null>(null);
  const report = shallowRef<AuditReportOutput | null>(null);
  const reportError = shallowRef<FairboundError | null>(null);
  const exporting = ref(false);
  let pending: AuditInput | null = null;
  let request = 0;

  const job = computed(() => jobs.get(jobId.value));
  // Running from the click until the job's end event (its first events may arrive after the reply).
  const running = computed(() => starting.value || (jobId.value !== null && (job.value === undefined || job.value.status === 'running')));

  function clearReport(): void {
    report.value = null;
    reportError.value = null;
  }

  // The job's end (only the current job's: a page shows its current job, never a late event of an earlier one).
  watch(
    () => job.value?.status,
    (status) => {
      const state = job.value;
      if (!state || status === 'running') return;
      if (status === 'done' && state.result?.kind === 'audit') {
        result.value = state.result.result;
        input.value = pending;
        thresholdId.value = state.result.thresholdId ?? null;
      } else if (status === 'failed' && state.error) {
        error.value = errorFromData(state.error);
      } else if (status === 'cancelled') {
        cancelled.value = state.reason ?? 'cancelled';
      }
    },
  );

  async function run(next: AuditInput): Promise<void> {
    const mine = ++request;
    starting.value = true;
    error.value = null;
    cancelled.value = null;
    result.value = null;
    input.value = null;
    thresholdId.value = null;
    jobId.value = null;
    pending = next;
    clearReport();
    try {
      const started = await call('audit.start', next);
      if (mine === request) jobId.value = started.jobId;
    } catch (err) {
      if (mine === request) error.value = asFairboundError(err);
    } finally {
      if (mine === request) starting.value = false;
    }
  }

  /** Asks the running audit to stop; its job.cancelled event ends it. */
  async function cancel(): Promise<void> {
    if (jobId.value === null) return;
    try {
      await call('jobs.cancel', { jobId: jobId.value });
    } catch (err) {
      error.value = asFairboundError(err);
    }
  }

  /**
   * Writes the shown result as an HTML report at `out` (server-side), and a PDF when asked. The result
   * itself is sent, so the report is that audit's and nothing is run again (a model audit's inference
   * on a large dataset took tens of seconds, in one request without progress or cancel). An existing
   * file is replaced only with `overwrite` (the user confirmed); otherwise main answers `conflict`.
   */
  async function exportReport(out: string, pdf?: string, overwrite = false): Promise<void> {
    const shown = result.value;
    if (shown === null) return;
    const mine = request;
    exporting.value = true;
    clearReport();
    try {
      const value = await call('audit.report', { result: shown, out, ...(pdf !== undefined ? { pdf } : {}), overwrite });
      if (mine === request) report.value = value;
    } catch (err) {
      if (mine === request) reportError.value = asFairboundError(err);
    } finally {
      exporting.value = false;
    }
  }

  return { result, error, cancelled, job, running, run, cancel, input, thresholdId, report, reportError, exporting, exportReport, clearReport };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAuditStore, import.meta.hot));
