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

export const auditInput = z.object({
  datasetId: id,
  /** Server-side path of the predictions CSV (`p`, or `p_0` … `p_{K-1}`). */
  predictions: path,
  matching: z.discriminatedUnion('kind', [z.object({ kind: z.literal('key'), column: columnName }), z.object({ kind: z.literal('order') })]),
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
  rows: z.object({ which: z.enum(['all', 'safety']), start: count, end: count }),
  mode: auditInput.shape.mode,
  bound: boundMethod,
  constraints: z.array(auditedConstraint),
  groups: z.array(auditGroupRow),
  groupConfidence: wireNumber,
});
export type AuditResult = z.infer<typeof auditResult>;

// ---------------------------------------------------------------------------------------------
// Jobs

export const jobKind = z.enum(['import']);
export type JobKind = z.infer<typeof jobKind>;

export const jobResult = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('import'), datasetId: id, datasetName: z.string(), importJobId: id, nRows: count }),
]);
export type JobResult = z.infer<typeof jobResult>;
