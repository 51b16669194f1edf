/**
 * The shapes that cross the boundary, one schema per domain object. Inputs mirror the services'
 * options (src-main/data/importers, src-main/audit) but are written here, independently, so the
 * renderer never imports main; the services' handler table is type-checked against them.
 * Optional inputs have no `.default()`: defaults are the services' business, and a schema without
 * transforms encodes and decodes symmetrically.
 */
import { z } from 'zod';
import { count, id, text, wireNumber, wireNumberOrNull } from './wire';

export const empty = z.object({});

// ---------------------------------------------------------------------------------------------
// App

export const runtime = z.enum(['electron', 'browser']);
export type Runtime = z.infer<typeof runtime>;

export const appInfo = z.object({
  version: z.string(),
  runtime,
  databasePath: z.string(),
  platform: z.string(),
  node: z.string(),
  electron: z.string().nullable(),
  /** Where the file browser starts: the user's home folder. */
  homeDir: z.string(),
});

// ---------------------------------------------------------------------------------------------
// Datasets

export const datasetFormat = z.enum(['folder', 'pixels', 'idx', 'seldonian']);
export type DatasetFormat = z.infer<typeof datasetFormat>;

export const attributeFamily = z.object({ name: text(200), columns: z.array(text(200)).min(2).max(256) });

export const datasetInfo = z.object({
  id,
  name: z.string(),
  format: datasetFormat,
  /** The files and options of the import, as given. */
  source: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  nRows: count,
  labelColumn: z.string(),
  nClasses: count,
  labelMapping: z.object({ classes: z.array(z.string()).optional(), positiveClasses: z.array(z.string()).optional() }),
  shuffleSeed: z.number().int().nullable(),
  image: z.object({ width: count, height: count, channels: z.union([z.literal(1), z.literal(3)]) }).nullable(),
  features: z.object({ count, dtype: z.enum(['float32', 'float64']), names: z.array(z.string()) }).nullable(),
  sensitiveColumns: z.array(z.string()),
  attributes: z.array(z.object({ position: count, name: z.string(), family: z.string().nullable(), derivedFrom: z.string().nullable() })),
  families: z.array(z.object({ name: z.string(), columns: z.array(z.string()) })),
});
export type DatasetInfo = z.infer<typeof datasetInfo>;

const groupCount = z.object({
  /** `M`, or `M∧White` for an intersection. */
  name: z.string(),
  columns: z.array(z.string()),
  count,
  labelCounts: z.array(count),
});

export const datasetSummary = z.object({
  dataset: datasetInfo,
  minGroupSize: count,
  labelCounts: z.array(count),
  groups: z.array(groupCount),
  intersections: z.array(groupCount.extend({ families: z.tuple([z.string(), z.string()]) })),
  warnings: z.array(
    z.object({
      kind: z.enum(['small-group', 'small-label-group']),
      group: z.string(),
      count,
      label: count.optional(),
      message: z.string(),
    }),
  ),
});
export type DatasetSummary = z.infer<typeof datasetSummary>;

export const datasetRef = z.object({ datasetId: id });

export const summaryInput = datasetRef.extend({ minGroupSize: z.number().int().min(1).max(1_000_000).optional() });

export const previewInput = datasetRef.extend({
  /** Thumbnails per group (default 4). */
  perGroup: z.number().int().min(1).max(16).optional(),
  /** Longest side of a thumbnail in pixels (default 64; small images are scaled up without smoothing). */
  size: z.number().int().min(16).max(256).optional(),
});

export const datasetPreview = z.object({
  groups: z.array(
    z.object({
      /** A sensitive column. */
      group: z.string(),
      count,
      thumbnails: z.array(z.object({ row: count, label: count, dataUrl: z.string().startsWith('data:image/png;base64,') })),
    }),
  ),
});
export type DatasetPreview = z.infer<typeof datasetPreview>;

// ---------------------------------------------------------------------------------------------
// Import: one member per format, mirroring the importers' options

const columnName = text(200);
const path = text(4096);

const labelOptions = z.object({
  /** The allowed labels in class-id order; absent: labels are integers ≥ 0. */
  classes: z.array(columnName).min(2).max(65536).optional(),
  /** Binary: these labels → 1, all others → 0. */
  positiveClasses: z.array(columnName).min(1).max(65536).optional(),
});

const derivedAttribute = z.object({
  column: columnName,
  values: z.array(z.object({ value: z.string().max(200), name: columnName })).min(2).max(256),
  family: columnName.optional(),
});

const attributeOptions = {
  /** One-hot 0/1 columns of the CSV. */
  sensitive: z.array(columnName).max(256).optional(),
  /** One-hot columns derived from categorical columns; each forms a family. */
  derive: z.array(derivedAttribute).max(64).optional(),
  /** Columns exactly one of which is 1 in every row. */
  families: z.array(attributeFamily).max(64).optional(),
};

const common = {
  name: text(200),
  shuffleSeed: z.number().int().min(0).max(0xffffffff).optional(),
};

export const importFolder = z.object({
  format: z.literal('folder'),
  ...common,
  ...attributeOptions,
  csv: path,
  fileColumn: columnName.optional(),
  labelColumn: columnName,
  labels: labelOptions.optional(),
  resize: z.number().int().min(1).max(4096).optional(),
  channels: z.union([z.literal(1), z.literal(3)]).optional(),
});

export const importPixels = z.object({
  format: z.literal('pixels'),
  ...common,
  ...attributeOptions,
  csv: path,
  pixelsColumn: columnName.optional(),
  labelColumn: columnName,
  labels: labelOptions.optional(),
});

export const importIdx = z.object({
  format: z.literal('idx'),
  ...common,
  pairs: z.array(z.object({ images: path, labels: path })).min(1).max(16),
  attributes: z.discriminatedUnion('kind', [z.object({ kind: z.literal('csv'), csv: path, ...attributeOptions }), z.object({ kind: z.literal('brightness') })]),
  labels: labelOptions.optional(),
});

export const importSeldonian = z.object({
  format: z.literal('seldonian'),
  ...common,
  csv: path,
  metadata: path,
  families: z.array(attributeFamily).max(64).optional(),
  positiveClasses: z.array(columnName).min(1).max(65536).optional(),
});

export const importRequest = z.discriminatedUnion('format', [importFolder, importPixels, importIdx, importSeldonian]);
export type ImportRequest = z.infer<typeof importRequest>;

export const jobId = z.string().min(1).max(100);
export const jobStarted = z.object({ jobId });

// ---------------------------------------------------------------------------------------------
// Files (the server-side file browser of browser mode, and CSV headers for column mapping)

export const filesListInput = z.object({
  /** Absent: the user's home folder. */
  path: path.optional(),
  /** Show only files ending in one of these (case-insensitive, e.g. ".csv"); folders are always shown. */
  extensions: z.array(z.string().max(20)).max(20).optional(),
  showHidden: z.boolean().optional(),
});

export const fileEntry = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['directory', 'file']),
  size: count.nullable(),
});

export const filesList = z.object({
  /** The absolute folder listed. */
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(fileEntry),
  /** More entries than the listing limit: some are not shown. */
  truncated: z.boolean(),
});
export type FilesList = z.infer<typeof filesList>;

// ---------------------------------------------------------------------------------------------
// Native dialogs (the desktop app only; browser mode answers `not_available` and the UI falls back to
// its server-side file browser over `files.list`)

/** A file-type filter of a native open dialog: extensions without the dot (`csv`), or `*` for any file. */
export const dialogFilter = z.object({
  name: z.string().min(1).max(100),
  extensions: z
    .array(z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,19})$/, 'an extension without its dot, e.g. "csv", or "*"'))
    .min(1)
    .max(20),
});
export const dialogOpenInput = z.object({
  kind: z.enum(['file', 'folder']),
  title: z.string().max(200).optional(),
  filters: z.array(dialogFilter).max(20).optional(),
});
export type DialogOpenInput = z.infer<typeof dialogOpenInput>;
/** The picked absolute path, or null when the user cancelled. */
export const dialogOpenOutput = z.object({ path: z.string().min(1).nullable() });

export const csvPeekInput = z.object({ path, rows: z.number().int().min(0).max(50).optional() });
export const csvPeek = z.object({ path: z.string(), header: z.array(z.string()), rows: z.array(z.array(z.string())) });
export type CsvPeek = z.infer<typeof csvPeek>;

// ---------------------------------------------------------------------------------------------
// Saved constraints

export const subRegime = z.enum(['classification', 'multiclass_classification']);
export const delta = z.number().gt(0).lt(1);

export const savedConstraint = z.object({
  id,
  name: z.string(),
  source: z.string(),
  delta,
  /** The sensitive columns it was written for (checked against them when saved). */
  columns: z.array(z.string()),
  subRegime,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SavedConstraint = z.infer<typeof savedConstraint>;

export const saveConstraintInput = z.object({
  /** Absent: a new constraint; else the one to overwrite. */
  id: id.optional(),
  name: text(200),
  source: text(4000),
  delta,
  columns: z.array(columnName).min(1).max(256),
  subRegime: subRegime.optional(),
});

export const idRef = z.object({ id });
export const deleted = z.object({ deleted: z.boolean() });

// ---------------------------------------------------------------------------------------------
// Audit

export const boundMethod = z.enum(['student-t', 'hoeffding']);

export const auditMatching = z.discriminatedUnion('kind', [z.object({ kind: z.literal('key'), column: columnName }), z.object({ kind: z.literal('order') })]);

/** Where the audited probabilities come from (as `fairbound audit --predictions | --model | --run`). */
export const auditSource = z.discriminatedUnion('kind', [
  /** Server-side path of the predictions CSV (`p`, or `p_0` … `p_{K-1}`), matched to the rows. */
  z.object({ kind: z.literal('predictions'), path, matching: auditMatching }),
  /** A TF.js layers model (model.json, weights next to it) run on the dataset's images, resized to resize×resize when given. */
  z.object({ kind: z.literal('model'), path, resize: z.number().int().min(1).max(4096).optional(), backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).optional() }),
  /** A stored run's model (default the seldonian one), on the chosen dataset. */
  z.object({ kind: z.literal('run'), id, which: z.enum(['seldonian', 'candidate', 'trained', 'initial']).optional() }),
]);
export type AuditSource = z.infer<typeof auditSource>;

export const auditInput = z.object({
  datasetId: id,
  source: auditSource,
  constraints: z.array(z.object({ source: text(4000), delta })).min(1).max(32),
  mode: z.discriminatedUnion('kind', [z.object({ kind: z.literal('hard'), threshold: z.number().min(0).max(1) }), z.object({ kind: z.literal('soft') })]),
  bound: boundMethod,
  rows: z.discriminatedUnion('kind', [z.object({ kind: z.literal('all') }), z.object({ kind: z.literal('safety'), fracSafety: z.number().gt(0).lt(1) })]),
  /** α of the per-group table's two-sided intervals (default 0.05). */
  groupAlpha: z.number().gt(0).lt(1).optional(),
  /** Extra groups for the table, e.g. [['M', 'White']]. */
  intersections: z.array(z.array(columnName).min(1).max(16)).max(64).optional(),
});
export type AuditInput = z.infer<typeof auditInput>;

export const auditedNode = z.object({
  name: z.string(),
  n: count,
  mean: wireNumber,
  std: wireNumber,
  lower: wireNumber,
  upper: wireNumber,
  lowerNeeded: z.boolean(),
  upperNeeded: z.boolean(),
  deltaLower: wireNumberOrNull,
  deltaUpper: wireNumberOrNull,
});
export type AuditedNode = z.infer<typeof auditedNode>;

export const verdict = z.enum(['holds', 'violated', 'inconclusive']);

export const auditedConstraint = z.object({
  source: z.string(),
  parsed: z.string(),
  delta,
  verdict,
  gPoint: wireNumber,
  gLower: wireNumber,
  gUpper: wireNumber,
  /** For an inconclusive verdict: about how much similar data would decide it (null: none would). */
  dataNeeded: z.object({ factor: wireNumber, rows: count, towards: z.enum(['holds', 'violated']) }).nullable(),
  /** The safety test's statement (bounds g from above). */
  baseNodes: z.array(auditedNode),
  /** The statement that bounds g from below. */
  lowerBoundBaseNodes: z.array(auditedNode),
  warnings: z.array(z.string()),
});
export type AuditedConstraint = z.infer<typeof auditedConstraint>;

export const rateInterval = z.object({ n: count, mean: wireNumber, lower: wireNumber, upper: wireNumber });

export const auditGroupRow = z.object({
  /** `all`, `M`, or `M & White`. */
  group: z.string(),
  columns: z.array(z.string()),
  n: count,
  rates: z.record(z.string(), rateInterval),
});
export type AuditGroupRow = z.infer<typeof auditGroupRow>;

export const auditResult = z.object({
  dataset: z.object({ id, name: z.string() }),
  /** Audited rows start … end−1 of the dataset's stored order; with ofRun, of that run's own safety rows (its order, its split). */
  rows: z.object({ which: z.enum(['all', 'safety']), start: count, end: count, ofRun: id.optional() }),
  /** 'predictions <file>', 'model <file>' or "run <id>'s <which> model". */
  source: z.string().optional(),
  /** The audit input's source kind, so that a report can be written from the result alone (audit.report). */
  sourceKind: z.enum(['predictions', 'model', 'run']),
  mode: auditInput.shape.mode,
  bound: boundMethod,
  constraints: z.array(auditedConstraint),
  groups: z.array(auditGroupRow),
  groupConfidence: wireNumber,
  /** A model source: the TF.js backend that ran it (in the training worker), e.g. 'wasm (@tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread)'. */
  backend: z.string().optional(),
});
export type AuditResult = z.infer<typeof auditResult>;

/** audit.report: audit.run's input plus where to write the report (server-side paths). */
export const auditReportInput = auditInput.extend({
  /** The self-contained HTML report's path (its folder must exist). */
  out: path,
  /** Also print it as PDF here (needs Chromium). */
  pdf: path.optional(),
});
export type AuditReportInput = z.infer<typeof auditReportInput>;

/**
 * audit.report from a finished audit: the result audit.start's job.done (or audit.run) gave, plus the
 * report paths. Nothing is re-run (no inference, no bounds): the report shows exactly that result.
 */
export const auditReportFromResultInput = z.object({
  result: auditResult,
  out: path,
  pdf: path.optional(),
});
export type AuditReportFromResultInput = z.infer<typeof auditReportFromResultInput>;

/** audit.report's input: a finished audit's result (the app's form), or an audit to run (the CLI-like form). */
export const auditReportRequest = z.union([auditReportFromResultInput, auditReportInput]);
export type AuditReportRequest = z.infer<typeof auditReportRequest>;

export const auditReportOutput = z.object({ html: path, pdf: path.nullable() });
export type AuditReportOutput = z.infer<typeof auditReportOutput>;

// ---------------------------------------------------------------------------------------------
// Jobs

export const jobKind = z.enum(['import', 'run', 'experiment', 'audit']);
export type JobKind = z.infer<typeof jobKind>;

export const jobResult = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('import'), datasetId: id, datasetName: z.string(), importJobId: id, nRows: count }),
  z.object({ kind: z.literal('run'), runId: id, status: z.enum(['passed', 'nsf', 'failed', 'cancelled']), error: z.string().nullable() }),
  z.object({ kind: z.literal('experiment'), experimentId: id, status: z.enum(['completed', 'cancelled', 'failed']), trialsRun: count, seconds: wireNumber }),
  /** audit.start: the audit's result, as audit.run returns it (nothing is stored). */
  z.object({ kind: z.literal('audit'), result: auditResult }),
]);
export type JobResult = z.infer<typeof jobResult>;

// ---------------------------------------------------------------------------------------------
// Training runs (src-main/runs, src-main/store/runs)

export const runStatus = z.enum(['queued', 'running', 'passed', 'nsf', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof runStatus>;
export const runPipeline = z.enum(['head', 'full']);
export const runPhase = z.enum(['loading', 'training', 'latents', 'candidate_selection', 'safety_test', 'saving']);
export const architecture = z.enum(['tutorial-j-cnn', 'tutorial-g-cnn']);
export const backendPreference = z.enum(['auto', 'tensorflow', 'wasm', 'cpu']);
export type BackendPreference = z.infer<typeof backendPreference>;
const seed = z.number().int().min(0).max(0xffffffff);

export const runRequest = z.object({
  /** Dataset id. */
  dataset: id,
  constraints: z.array(z.object({ source: text(4000), delta })).min(1).max(32),
  pipeline: runPipeline,
  architecture,
  epochs: z.number().int().min(1).max(10_000).optional(),
  batchSize: z.number().int().min(1).max(1_000_000).optional(),
  learningRate: z.number().positive().max(10).optional(),
  iterations: z.number().int().min(1).max(1_000_000).optional(),
  fracSafety: z.number().gt(0).lt(1).optional(),
  seed: seed.optional(),
  backend: backendPreference.optional(),
  rows: z.number().int().min(2).optional(),
  resize: z.number().int().min(4).max(1024).optional(),
});
export type RunRequestDto = z.infer<typeof runRequest>;

export const backendAttempt = z.object({ candidate: z.string(), ok: z.boolean(), reason: z.string() });
const loadedBackendReport = z.object({
  name: z.string(),
  package: z.string(),
  version: z.string(),
  device: z.enum(['gpu', 'cpu']).optional(),
  simd: z.boolean().optional(),
  threads: count.optional(),
  /** The GPU as the browser names it (webgpu/webgl in the desktop app's GPU window). */
  adapter: z.string().optional(),
  /** Set when the backend runs outside the training process: in the desktop app's GPU window. */
  where: z.literal('gpu-window').optional(),
  preference: backendPreference,
  attempts: z.array(backendAttempt),
});
export const backendReport = loadedBackendReport.extend({
  /** With where 'gpu-window' (it trained the body): the training process's own backend, for latents and the QSA. */
  local: loadedBackendReport.optional(),
});
export type BackendReportDto = z.infer<typeof backendReport>;

export const runConstraintSpec = z.object({ source: z.string(), parsed: z.string(), delta });

const timings = z.record(z.string(), wireNumber);

export const runSummary = z.object({
  id,
  datasetId: id.nullable(),
  datasetName: z.string(),
  pipeline: runPipeline,
  architecture: z.string(),
  constraints: z.array(runConstraintSpec),
  seed: z.number().int(),
  backendPreference,
  backend: z.string().nullable(),
  status: runStatus,
  phase: runPhase.nullable(),
  error: z.string().nullable(),
  nRows: count,
  nCandidate: count,
  nSafety: count,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type RunSummaryDto = z.infer<typeof runSummary>;

export const runNodeBound = z.object({
  name: z.string(),
  lower: wireNumber,
  upper: wireNumber,
  lowerNeeded: z.boolean(),
  upperNeeded: z.boolean(),
  deltaLower: wireNumberOrNull,
  deltaUpper: wireNumberOrNull,
  nSamples: count,
  mean: wireNumber,
  std: wireNumber,
});
export type RunNodeBoundDto = z.infer<typeof runNodeBound>;

export const runConstraintResult = runConstraintSpec.extend({
  position: count,
  upperBound: wireNumberOrNull,
  pointEstimate: wireNumberOrNull,
  passed: z.boolean().nullable(),
  nodes: z.array(runNodeBound),
});
export type RunConstraintResultDto = z.infer<typeof runConstraintResult>;

export const groupAccuracy = z.object({ group: z.string(), n: count, accuracy: wireNumber });
export type GroupAccuracyDto = z.infer<typeof groupAccuracy>;

export const runDetail = z.object({
  run: runSummary,
  /** The stored settings, as resolved (RunSettings), and the seeds of every random stream. */
  settings: z.record(z.string(), z.unknown()),
  seeds: z.record(z.string(), z.number()),
  backend: backendReport.nullable(),
  timings,
  verdict: z.enum(['passed', 'nsf']).nullable(),
  outcome: z.object({ kind: z.string(), reason: z.string().nullable(), message: z.string().nullable() }).nullable(),
  candidateSelection: z
    .object({ iterationsPlanned: count, iterationsRun: count, chosenIndex: count.nullable(), foundFeasible: z.boolean(), returnedNsf: z.boolean() })
    .nullable(),
  constraints: z.array(runConstraintResult),
  groupAccuracy: z.object({ of: z.enum(['solution', 'candidate']), threshold: wireNumber, groups: z.array(groupAccuracy) }).nullable(),
  trainedCnnGroupAccuracy: z.array(groupAccuracy).nullable(),
  bodyTraining: z.array(z.object({ epoch: count, meanLoss: wireNumber, accuracy: wireNumber, seconds: wireNumber })).nullable(),
});
export type RunDetail = z.infer<typeof runDetail>;

export const runRef = z.object({ runId: id });

export const runIterations = z.object({
  runId: id,
  iterations: z.array(z.object({ iteration: count, f: wireNumber, g: z.array(wireNumber), lambda: z.array(wireNumber), lagrangian: wireNumber })),
});
export type RunIterations = z.infer<typeof runIterations>;

export const runStarted = z.object({ jobId, runId: id });

/** One event of a running training run (src-main/runs RunEvent), as it crosses the boundary. */
export const runEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), runId: id, status: runStatus }),
  z.object({ type: z.literal('phase'), runId: id, phase: runPhase, backend: z.string().optional() }),
  z.object({
    type: z.literal('batch'),
    runId: id,
    epoch: count,
    epochs: count,
    batch: count,
    batchesPerEpoch: count,
    loss: wireNumber,
    accuracy: wireNumber,
    imagesPerSecond: wireNumber,
    fraction: wireNumber,
    etaSeconds: wireNumber,
  }),
  z.object({ type: z.literal('latents'), runId: id, done: count, total: count }),
  z.object({
    type: z.literal('iteration'),
    runId: id,
    iteration: count,
    total: count,
    f: wireNumber,
    g: z.array(wireNumber),
    lambda: z.array(wireNumber),
    etaSeconds: wireNumber,
  }),
  z.object({ type: z.literal('finished'), runId: id, status: runStatus, error: z.string().nullable() }),
]);
export type RunEventDto = z.infer<typeof runEvent>;

export const backendsReport = z.object({
  preferences: z.array(z.object({ preference: backendPreference, candidates: z.array(z.string()) })),
  /** The backend the latest started run loaded, with every candidate tried and why it failed; null before the first run. */
  latest: z.object({ runId: id, report: backendReport }).nullable(),
  /**
   * Desktop app only (absent in browser mode and the CLI): the hidden GPU window's links, webgpu then
   * webgl, with the adapter probe's reason for each, e.g. "webgl skipped: software renderer SwiftShader".
   */
  gpuWindow: z
    .object({
      attempts: z.array(backendAttempt),
      /** Whether runs train through the window yet (see the note when not). */
      usedByRuns: z.boolean(),
      note: z.string(),
    })
    .optional(),
});
export type BackendsReport = z.infer<typeof backendsReport>;

// ---------------------------------------------------------------------------------------------
// Experiments (src-main/experiments)

export const experimentStatus = z.enum(['running', 'completed', 'cancelled', 'failed']);

export const experimentStartInput = z.object({
  name: text(200).optional(),
  datasetId: id,
  constraints: z.array(z.object({ source: text(4000), delta })).min(1).max(16),
  fractions: z.array(z.number().gt(0).max(1)).min(1).max(64),
  nTrials: z.number().int().min(1).max(10_000),
  /** Model list entries as the CLI takes them: `qsa-features`, `logistic`, `weighted-random:0.7`. */
  models: z.array(text(200)).min(1).max(16),
  performance: z.enum(['accuracy', 'probabilistic-accuracy', 'log-loss']).optional(),
  iterations: z.number().int().min(1).max(100_000).optional(),
  fracSafety: z.number().gt(0).lt(1).optional(),
  seed: seed.optional(),
  workers: z.number().int().min(1).max(64).optional(),
  /** Deep models (qsa-head, qsa-full, cnn): the CNN, unless a model entry names one (`qsa-head:tutorial-g-cnn`). */
  architecture: architecture.optional(),
  /**
   * Deep models: body-training batch size × epochs per data fraction (the CLI's `--epochs-per-fraction
   * 0.001:24x50,…`, Tutorial J's batch_epoch_dict); a fraction not listed gets Tutorial J's rule.
   */
  epochsPerFraction: z
    .array(z.object({ fraction: z.number().gt(0).max(1), batchSize: z.number().int().min(1).max(100_000), epochs: z.number().int().min(1).max(10_000) }))
    .max(64)
    .optional(),
  /** Deep models: the TensorFlow.js backend of the worker process (its chain, as for runs). */
  backend: backendPreference.optional(),
});
export type ExperimentStartInput = z.infer<typeof experimentStartInput>;

export const experimentSummary = z.object({
  id,
  name: z.string(),
  datasetId: id.nullable(),
  datasetName: z.string(),
  nRows: count,
  constraints: z.array(runConstraintSpec),
  fractions: z.array(wireNumber),
  nTrials: count,
  models: z.array(z.object({ name: z.string(), type: z.string(), kind: z.string() })),
  performance: z.string(),
  seed: z.number().int(),
  status: experimentStatus,
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  runSeconds: wireNumber,
  trialsStored: count,
  trialsPlanned: count,
});
export type ExperimentSummaryDto = z.infer<typeof experimentSummary>;

const meanWithError = z.object({ mean: wireNumber, ste: wireNumber });

export const experimentAggregates = z.object({
  nRows: count,
  constraints: z.array(runConstraintSpec),
  performanceMetric: z.enum(['accuracy', 'probabilistic-accuracy', 'log-loss']),
  models: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['seldonian', 'baseline']),
      nTrials: count,
      fractions: z.array(
        z.object({
          fraction: wireNumber,
          amount: wireNumber,
          trials: count,
          solutions: count,
          performance: meanWithError.extend({ n: count }).nullable(),
          probabilityOfSolution: meanWithError,
          probabilityOfViolation: z.array(meanWithError),
        }),
      ),
    }),
  ),
});
export type ExperimentAggregatesDto = z.infer<typeof experimentAggregates>;

export const experimentDetail = z.object({
  experiment: experimentSummary,
  settings: z.record(z.string(), z.unknown()),
  aggregates: experimentAggregates,
});
export type ExperimentDetail = z.infer<typeof experimentDetail>;

export const experimentRef = z.object({ experimentId: id });
export const experimentStarted = z.object({ jobId, experimentId: id });
/** experiments.resume: the experiment whose missing trials to run, and the worker threads (as experiments.start). */
export const experimentResumeInput = experimentRef.extend({ workers: experimentStartInput.shape.workers });
export const experimentModelsList = z.array(z.object({ type: z.string(), kind: z.string(), execution: z.string() }));
export const exportCsvInput = experimentRef.extend({ folder: path });
export const exportCsvOutput = z.object({ folder: z.string(), files: z.array(z.string()) });
