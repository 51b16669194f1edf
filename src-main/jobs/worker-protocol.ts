/**
 * The messages between the app (or CLI) and its one long-lived training worker process: a typed union
 * each way, errors as data (envelope.ts). The worker reads a run's settings from the
 * database, so `start` carries only where the run is.
 *
 * The same process runs the experiments' deep trials (qsa-head, qsa-full, cnn), one at a time between
 * runs: `trial` names the experiment (the worker loads its dataset, settings and constraints from the
 * database once per session and keeps them until `trials-close`) and carries one task; it answers with
 * `trial-progress` events and one `trial-result` or `trial-failed`.
 *
 * The app's audit of a model (a TF.js model file or a stored run's model) runs its inference here too, so
 * TensorFlow.js never loads in the app's main process: `audit-predict` carries the request (the rows to
 * predict, the model, the backend preference); the worker answers `audit-progress` per batch and one
 * `audit-result` (the probabilities as a Float64Array, which structured clone keeps) or `audit-failed`;
 * `audit-cancel` stops it between batches. The host checks `audit-result` against a zod schema (the
 * probabilities' length) before the audit's maths use it.
 */
import { z } from 'zod';
import type { AuditPredictProgress, AuditPredictReply, AuditPredictRequest } from '../audit/predict-types';
import type { QsaKernelOptions } from '../engine/kernels/kernel-info';
import type { TrialProgress } from '../experiments/models/model-type';
import type { TrialResult, TrialTask } from '../experiments/types';
import type { RunExportRequest } from '../runs/export-types';
import type { RunEvent, RunStatus } from '../runs/types';
import { serializedError, type SerializedError } from './envelope';

/** Which experiment a trial session serves, and where it is stored. */
export interface TrialSessionSpec {
  readonly dbPath: string;
  /** better-sqlite3's addon for the worker's runtime, if not the default. */
  readonly nativeBinding?: string;
  readonly experimentId: number;
  /** The session's share of the cores for qsa-head's SIMD kernel (trial threads run beside it); default all. */
  readonly kernel?: QsaKernelOptions;
}

export type ToTrainingWorker =
  | {
      readonly type: 'start';
      readonly runId: number;
      readonly dbPath: string;
      /** better-sqlite3's addon for the worker's runtime, if not the default. */
      readonly nativeBinding?: string;
    }
  | { readonly type: 'cancel'; readonly runId: number; readonly reason?: string }
  /** One experiment trial of a deep model; the session is created on first use. */
  | {
      readonly type: 'trial';
      readonly sessionId: number;
      readonly session: TrialSessionSpec;
      readonly taskId: number;
      readonly task: TrialTask;
      /**
       * A file the host creates to cancel this trial. The worker polls it from the trial's progress: the
       * engine's candidate-selection loop is synchronous (qsa-full runs minutes in it), so a
       * `trial-cancel` message would only be read after it.
       */
      readonly cancelFile: string;
    }
  /** Stop that trial between batches / iterations (it then answers `trial-failed` with cancelled: true). */
  | { readonly type: 'trial-cancel'; readonly sessionId: number; readonly taskId: number }
  /** Free the session's models and dataset. */
  | { readonly type: 'trials-close'; readonly sessionId: number }
  /** Run an audited model over the request's rows (answered by audit-progress* and audit-result | audit-failed). */
  | { readonly type: 'audit-predict'; readonly auditId: number; readonly request: AuditPredictRequest }
  /** Stop that inference between batches (it then answers audit-failed with cancelled: true). */
  | { readonly type: 'audit-cancel'; readonly auditId: number }
  /** Write an export of a finished run (answered by export-result | export-failed). */
  | { readonly type: 'export'; readonly exportId: number; readonly request: RunExportRequest & { readonly dbPath: string; readonly nativeBinding?: string } }
  /** Finish the current run (if any), close, exit. */
  | { readonly type: 'shutdown' };

export type FromTrainingWorker =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'progress'; readonly runId: number; readonly event: RunEvent }
  /** The run ended and its outcome is in the database (passed, nsf, failed or cancelled). */
  | { readonly type: 'done'; readonly runId: number; readonly status: RunStatus; readonly error: string | null }
  /** The worker could not run it at all (e.g. the database would not open); the run may still say `queued`. */
  | { readonly type: 'failed'; readonly runId: number; readonly error: SerializedError }
  | { readonly type: 'trial-progress'; readonly sessionId: number; readonly taskId: number; readonly progress: TrialProgress }
  /** `pid`: the process that ran it (the app checks that deep work stays out of its main process). */
  | { readonly type: 'trial-result'; readonly sessionId: number; readonly taskId: number; readonly result: TrialResult; readonly pid: number; readonly backend: string | null }
  | { readonly type: 'trial-failed'; readonly sessionId: number; readonly taskId: number; readonly error: SerializedError; readonly cancelled: boolean }
  | { readonly type: 'audit-progress'; readonly auditId: number; readonly progress: AuditPredictProgress }
  | { readonly type: 'audit-result'; readonly auditId: number; readonly reply: AuditPredictReply }
  | { readonly type: 'audit-failed'; readonly auditId: number; readonly error: SerializedError; readonly cancelled: boolean }
  | { readonly type: 'export-result'; readonly exportId: number; readonly files: readonly string[] }
  | { readonly type: 'export-failed'; readonly exportId: number; readonly error: SerializedError };

const auditId = z.number().int().min(1);
const count = z.number().int().min(0);

/**
 * The worker's audit messages, as the host checks them: the probabilities are a Float64Array of exactly
 * nRows × nOutputs finite-or-not numbers (the audit's maths index into it), and the backend report names
 * a backend.
 */
export const auditFromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('audit-progress'), auditId, progress: z.object({ done: count, total: count }) }),
  z.object({
    type: z.literal('audit-result'),
    auditId,
    reply: z
      .object({
        probs: z.instanceof(Float64Array),
        nOutputs: z.number().int().min(1),
        nRows: count,
        sourceText: z.string(),
        backend: z.string(),
        pid: z.number().int(),
      })
      .refine((r) => r.probs.length === r.nRows * r.nOutputs, { message: 'probs.length must be nRows × nOutputs', path: ['probs'] }),
  }),
  z.object({ type: z.literal('audit-failed'), auditId, error: serializedError, cancelled: z.boolean() }),
]);

/** The worker's export answers, as the host checks them. */
export const exportFromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('export-result'), exportId: z.number().int().min(1), files: z.array(z.string()) }),
  z.object({ type: z.literal('export-failed'), exportId: z.number().int().min(1), error: serializedError }),
]);
