/**
 * THE contract between the UI and main: every route `{ name, input, output }` and
 * every event `{ name, payload }`, with runtime schemas. The Electron preload, the browser-mode client,
 * the bridge server and main's handler table are all typed from these two tables, and every value that
 * crosses a boundary is validated against them on both sides.
 *
 * The tables have no prototype, and names are only ever looked up with `isRouteName` / `isEventName`
 * (own properties), so `toString` or `__proto__` are not routes.
 */
import { z } from 'zod';
import { errorData } from './errors';
import { jobsInFlight } from './jobs';
import * as s from './schemas';
import { count, wireNumber } from './wire';

export interface RouteDef<N extends string = string, I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly name: N;
  readonly input: I;
  readonly output: O;
}

export interface EventDef<N extends string = string, P extends z.ZodType = z.ZodType> {
  readonly name: N;
  readonly payload: P;
}

type Catalog<T> = { readonly [K in keyof T & string]: T[K] & { readonly name: K } };

/** A frozen, prototype-less table whose entries carry their own name. */
function catalog<T extends Record<string, object>>(defs: T): Catalog<T> {
  const table = Object.create(null) as Record<string, object>;
  for (const [name, def] of Object.entries(defs)) table[name] = Object.freeze({ name, ...def });
  return Object.freeze(table) as Catalog<T>;
}

const routeCatalog = <T extends Record<string, Omit<RouteDef, 'name'>>>(defs: T): Catalog<T> => catalog(defs);
const eventCatalog = <T extends Record<string, Omit<EventDef, 'name'>>>(defs: T): Catalog<T> => catalog(defs);

export const routes = routeCatalog({
  /** Version, runtime and workspace database path. */
  'app.info': { input: s.empty, output: s.appInfo },
  /**
   * Opens the sample workspace (created on first use) in place of the current one. Only the desktop app
   * implements it; browser mode answers `not_available` (`fairbound serve --sample` opens it there).
   */
  'workspace.openSample': { input: s.empty, output: s.openedSample },

  'datasets.list': { input: s.empty, output: z.array(s.datasetInfo) },
  /** Per-group and per-intersection counts, label balance, small-group warnings. */
  'datasets.summary': { input: s.summaryInput, output: s.datasetSummary },
  'datasets.delete': { input: s.datasetRef, output: s.deleted },
  /** Starts an import job; its progress and outcome arrive as job.* events with the returned id. */
  'datasets.import': { input: s.importRequest, output: s.jobStarted },
  /** A few thumbnails per sensitive group, as PNG data URLs. */
  'datasets.preview': { input: s.previewInput, output: s.datasetPreview },

  /** The folders and files in a server-side folder (browser mode has no native file dialog). */
  'files.list': { input: s.filesListInput, output: s.filesList },
  /** The header and first rows of a CSV, for mapping its columns in the import wizard. */
  'files.peekCsv': { input: s.csvPeekInput, output: s.csvPeek },
  /**
   * A native open dialog for a file or folder, on the focused window. Only the desktop app implements
   * it; browser mode answers the error code `not_available` (the UI then uses `files.list`).
   */
  'dialogs.open': { input: s.dialogOpenInput, output: s.dialogOpenOutput },

  'constraints.list': { input: s.empty, output: z.array(s.savedConstraint) },
  /** Checks the constraint against its columns, then inserts or overwrites it. */
  'constraints.save': { input: s.saveConstraintInput, output: s.savedConstraint },
  'constraints.delete': { input: s.idRef, output: s.deleted },

  /** Bounds each constraint on a model's predictions: verdicts, base-node intervals, group table. */
  'audit.run': { input: s.auditInput, output: s.auditResult },
  /**
   * Runs the audit as audit.run does, as a job: job.progress per inference batch of a model source
   * ("predicting batch k of n (… images/s)", then "bounds"), cancelled through jobs.cancel, and the
   * result in job.done's `{ kind: 'audit', result }`. Bad input that needs no data (an unknown dataset)
   * is the reply's error; the rest is job.failed's.
   */
  'audit.start': { input: s.auditInput, output: s.jobStarted },
  /**
   * The audit audit.start kept (its job result's thresholdId) bounded again with hard decisions at another
   * threshold: rates, intervals and verdicts as the audit computes them, from its kept probabilities (the
   * model is not run again). Error `not_found` once the app no longer keeps them (it keeps a few).
   */
  'audit.atThreshold': { input: s.auditAtThresholdInput, output: s.auditResult },
  /**
   * Writes an audit's self-contained HTML report to `out` (and a PDF to `pdf` through Chromium; without
   * it the error code `not_available`, after the HTML is written). Given `result` (a finished audit's,
   * e.g. audit.start's job.done), it renders that result without running anything; given audit.run's
   * input instead, it runs the audit as audit.run does first.
   */
  'audit.report': { input: s.auditReportRequest, output: s.auditReportOutput },

  /**
   * A certificate of a finished audit (its input and result as given; nothing is re-run): the verdicts and
   * bounds with the SHA-256 of the model's files, the audited rows and the settings. Returned as JSON, and
   * written to `out` when given (an existing file is a `conflict` unless `overwrite`).
   */
  'certificates.audit': { input: s.auditCertificateInput, output: s.certificateWritten },
  /**
   * A certificate of a passed run: its exported Seldonian model run on its safety rows (in the training
   * worker), the safety test's bounds recomputed from it, and the same hashes. Error `conflict` as above.
   */
  'certificates.run': { input: s.runCertificateInput, output: s.certificateWritten },

  /** Training runs, newest first. */
  'runs.list': { input: s.empty, output: z.array(s.runSummary) },
  /** One run: settings, verdict, bounds per constraint and base node, per-group accuracy, timings, backend. */
  'runs.get': { input: s.runRef, output: s.runDetail },
  /** f, ĝ, λ and L per candidate-selection iteration. */
  'runs.iterations': { input: s.runRef, output: s.runIterations },
  /** Queues a run; its progress arrives as run.event (and its end as job.*) with the returned ids. */
  'runs.start': { input: s.runRequest, output: s.runStarted },
  /**
   * Queues a pretrained run (Tutorial J's pretrained-network path on a model file): as runs.start, with
   * progress latents → candidate_selection → safety_test. Bad input (no such file, a cut that does not
   * exist, a dataset without images) is the reply's error.
   */
  'runs.startPretrained': { input: s.pretrainedRunRequest, output: s.runStarted },
  /** Asks a run to stop; returns at once (false if it is not queued or running here). */
  'runs.cancel': { input: s.runRef, output: z.object({ cancelled: z.boolean() }) },
  /** Deletes a finished run and everything it stored (false if there is none); error code `conflict` while it is queued or running. */
  'runs.delete': { input: s.runRef, output: s.deleted },
  /**
   * Writes an export of a finished run into a server-side folder: its model in the TF.js layers format
   * or as one ONNX file, model.onnx (which: seldonian by default), or its head QSA as a Seldonian case
   * (data.csv.gz, metadata.json, theta_init.json, spec.json), as `fairbound run export-model [--format
   * onnx]` / `export-latents` do. Error code
   * `conflict` when a file exists and overwrite is not set.
   */
  'runs.export': { input: s.runExportInput, output: s.filesWritten },
  /**
   * Writes a stored run's or experiment's self-contained HTML report (and a PDF through Chromium, else
   * the error code `not_available` after the HTML is written), as `fairbound report` does.
   */
  'reports.write': { input: s.reportWriteInput, output: s.reportWriteOutput },
  /** A stored run's or experiment's report as HTML, to show in the app (what reports.write writes). */
  'reports.html': { input: s.reportHtmlInput, output: s.reportHtmlOutput },
  /** Per run, newest first: its accuracy on the safety rows, the safety test's bounds and its duration (the runs list's columns). */
  'runs.overview': { input: s.empty, output: z.array(s.runOverview) },
  /**
   * For a finished run, per constraint: the group with the fewest safety rows, about how many rows would
   * likely let the safety test pass (the audit's data-needed estimate on the run's base nodes), and whether
   * the estimate itself violates the constraint. The No Solution Found banner's advice.
   */
  'runs.advice': { input: s.runRef, output: s.runAdvice },
  /**
   * Writes an experiment's three-panel plots, one file per constraint, into a server-side folder: SVG as
   * the report draws them, or PNG rendered through Chromium (else the error code `not_available`).
   */
  'experiments.exportPlots': { input: s.experimentPlotsInput, output: s.filesWritten },
  /**
   * Runs the audit as audit.run does and returns, per sensitive column, its misclassified images (most
   * confident mistakes first) and its borderline ones (closest to the threshold), with true label,
   * decision, probability and a PNG thumbnail (image datasets).
   */
  'audit.examples': { input: s.auditExamplesInput, output: s.auditExamples },
  /** The backend chain per preference, and what the latest run loaded (and why others did not). */
  'backends.report': { input: s.empty, output: s.backendsReport },

  'experiments.list': { input: s.empty, output: z.array(s.experimentSummary) },
  /** The model types an experiment may use. */
  'experiments.models': { input: s.empty, output: s.experimentModelsList },
  /** Settings and the aggregates per model and data fraction (the three plots' data). */
  'experiments.get': { input: s.experimentRef, output: s.experimentDetail },
  /** Creates the experiment and runs its trials as a job (job.progress per trial, with ETA). */
  'experiments.start': { input: s.experimentStartInput, output: s.experimentStarted },
  /**
   * Runs the missing trials of a failed or cancelled experiment as a job, like experiments.start (its stored
   * trials are kept). Error codes: `not_found`; `conflict` while it runs here or in another live process,
   * when it is completed (nothing to resume) or its dataset was deleted.
   */
  'experiments.resume': { input: s.experimentResumeInput, output: s.experimentStarted },
  'experiments.cancel': { input: s.experimentRef, output: z.object({ cancelled: z.boolean() }) },
  /** Deletes an experiment with its trials (false if there is none); error code `conflict` while it is running. */
  'experiments.delete': { input: s.experimentRef, output: s.deleted },
  /** Writes the Seldonian Experiments CSV layout under a server-side folder. */
  'experiments.exportCsv': { input: s.exportCsvInput, output: s.exportCsvOutput },

  /**
   * Every job in flight (runs, experiments, audits, imports), oldest first, with its id, kind, subject,
   * state, latest progress and start time. The subscription is the events: a page that opens calls
   * jobs.list, then follows each listed job by its id through job.progress and run.event until its
   * job.done, job.failed or job.cancelled (a job that ended in between is no longer listed).
   */
  'jobs.list': { input: s.empty, output: jobsInFlight },
  /** Asks a job to stop; returns at once (false if the job is unknown or already over). */
  'jobs.cancel': { input: z.object({ jobId: s.jobId }), output: z.object({ cancelled: z.boolean() }) },
});

const jobRef = { jobId: s.jobId, kind: s.jobKind };

export const events = eventCatalog({
  'job.progress': {
    payload: z.object({
      ...jobRef,
      /** 0..1, or null while unknown. */
      fraction: wireNumber.nullable(),
      phase: z.string(),
      message: z.string(),
      etaSeconds: z.number().nonnegative().optional(),
      rowsDone: count.optional(),
    }),
  },
  'job.done': { payload: z.object({ ...jobRef, result: s.jobResult }) },
  'job.failed': { payload: z.object({ ...jobRef, error: errorData }) },
  'job.cancelled': { payload: z.object({ ...jobRef, reason: z.string() }) },
  /** A training run's own progress: status, phase, body-training batches, latents, QSA iterations, finished. */
  'run.event': { payload: z.object({ jobId: s.jobId, runId: s.runRef.shape.runId, event: s.runEvent }) },
});

export type Routes = typeof routes;
export type RouteName = keyof Routes & string;
export type Events = typeof events;
export type EventName = keyof Events & string;

/** What the caller passes and the handler receives (numbers in memory form). */
export type RouteInput<K extends RouteName> = z.output<Routes[K]['input']>;
export type RouteOutput<K extends RouteName> = z.output<Routes[K]['output']>;
export type EventPayload<K extends EventName> = z.output<Events[K]['payload']>;

export function isRouteName(name: unknown): name is RouteName {
  return typeof name === 'string' && Object.hasOwn(routes, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

export const ROUTE_NAMES = Object.freeze(Object.keys(routes)) as readonly RouteName[];
export const EVENT_NAMES = Object.freeze(Object.keys(events)) as readonly EventName[];
