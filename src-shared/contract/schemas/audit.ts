/** Audits: what to audit, the result, and the report written from it (src-main/audit, src-main/report). */
import { z } from 'zod';
import { AUDIT_BOUND_METHODS, AUDIT_GUARANTEES, DEFAULT_AUDIT_BOUND } from '../../bounds/audit-labels';
import { count, id, text, wireNumber, wireNumberOrNull } from '../wire';
import { delta } from './constraints';
import { columnName, path } from './fields';

/**
 * An audit's bound: 'exact' (the default: Clopper–Pearson for hard decisions, the betting bound for soft
 * estimators, both valid without approximation), 'hoeffding', or 'student-t' (the engine's, approximate).
 */
export const boundMethod = z.enum(AUDIT_BOUND_METHODS);

/**
 * What the audited rows allow the verdicts to claim:
 * - 'independent': rows the run's model neither trained on nor was chosen on: another dataset's rows,
 *   the run's safety rows for its 'trained' CNN (trained on the candidate rows, never safety-tested),
 *   any rows for its 'initial' (untrained) model;
 * - 'repeats-safety-test': the run's own safety rows for its Seldonian or candidate model — the verdict
 *   repeats the safety test the run already ran on them: not an independent confirmation;
 * - 'none-trained-rows': the rows include rows that trained the run's model (its candidate rows, asked
 *   for with rows {kind: 'all'}): no guarantee at all;
 * - 'unknown-training-rows': a model or predictions file, whose training rows the audit cannot know:
 *   the verdicts hold only if none of the audited rows trained that model.
 */
export const auditGuarantee = z.enum(AUDIT_GUARANTEES);
export type AuditGuarantee = z.infer<typeof auditGuarantee>;

export const auditMatching = z.discriminatedUnion('kind', [z.object({ kind: z.literal('key'), column: columnName }), z.object({ kind: z.literal('order') })]);

/**
 * How an ONNX model's input is fed and its output read, as the user states it (`fairbound audit --model
 * m.onnx --layout … --normalize … --channels … --output … --positive-class …`). Omitted fields are
 * detected from the model where it says (layout from the input shape, output meaning from its last
 * operator), else the audit refuses with the option to give. Pixels are scaled to [0, 1] first; with
 * `normalize`, then (x − mean) / std per channel (torchvision's Normalize; one pair applies to every
 * channel).
 */
export const onnxPreprocessing = z.object({
  layout: z.enum(['NCHW', 'NHWC']).optional(),
  normalize: z.array(z.object({ mean: z.number(), std: z.number().positive() })).min(1).max(4).optional(),
  /** Convert the dataset's images to this many channels: 3 replicates grey into R, G, B; 1 is the luma of RGB. */
  channels: z.union([z.literal(1), z.literal(3)]).optional(),
  /** 'logits': softmax over K outputs, sigmoid over one; 'probabilities': as they are. */
  output: z.enum(['logits', 'probabilities']).optional(),
  /** A binary audit of a multiclass model: P(y = 1) is the model's probability of this class. */
  positiveClass: z.number().int().min(0).max(65535).optional(),
});
export type OnnxPreprocessing = z.infer<typeof onnxPreprocessing>;

/** What an ONNX audit fed the model and how it read it: recorded with the result. */
export const onnxPreprocessingRecord = z.object({
  /** The model's input name and shape as it declares it, e.g. 'input [batch, 1, 28, 28]'. */
  input: z.string(),
  layout: z.enum(['NCHW', 'NHWC']),
  layoutFrom: z.enum(['input shape', 'option']),
  /** The fed images' size and channels. */
  height: count,
  width: count,
  channels: count,
  /** Resized to resize×resize first (bilinear), or null. */
  resize: count.nullable(),
  channelConversion: z.enum(['none', 'grey to RGB (replicated)', 'RGB to grey (luma)']),
  /** Per fed channel; null: pixels in [0, 1]. */
  normalize: z.array(z.object({ mean: z.number(), std: z.number() })).nullable(),
  output: z.enum(['logits', 'probabilities']),
  outputFrom: z.enum(['graph', 'option']),
  /** The model's output scores per row. */
  outputs: count,
  positiveClass: count.nullable(),
});
export type OnnxPreprocessingRecord = z.infer<typeof onnxPreprocessingRecord>;

/** Where the audited probabilities come from (as `fairbound audit --predictions | --model | --run`). */
export const auditSource = z.discriminatedUnion('kind', [
  /** Server-side path of the predictions CSV (`p`, or `p_0` … `p_{K-1}`), matched to the rows. */
  z.object({ kind: z.literal('predictions'), path, matching: auditMatching }),
  /**
   * A TF.js layers model (model.json, weights next to it) or an ONNX model (a path ending in .onnx, with
   * its pre-processing in `onnx`) run on the dataset's images, resized to resize×resize when given.
   */
  z.object({ kind: z.literal('model'), path, resize: z.number().int().min(1).max(4096).optional(), backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow', 'webgpu', 'onnxruntime']).optional(), onnx: onnxPreprocessing.optional() }),
  /** A stored run's model (default the seldonian one), on the chosen dataset. */
  z.object({ kind: z.literal('run'), id, which: z.enum(['seldonian', 'candidate', 'trained', 'initial']).optional() }),
]);
export type AuditSource = z.infer<typeof auditSource>;

export const auditInput = z.object({
  datasetId: id,
  source: auditSource,
  constraints: z.array(z.object({ source: text(4000), delta })).min(1).max(32),
  mode: z.discriminatedUnion('kind', [z.object({ kind: z.literal('hard'), threshold: z.number().min(0).max(1) }), z.object({ kind: z.literal('soft') })]),
  /** Default 'exact'. */
  bound: boundMethod.default(DEFAULT_AUDIT_BOUND),
  /**
   * Which rows. Omitted: a run on its own dataset audits its own safety rows (its row order, its split),
   * anything else every row. 'all' on a run's own dataset includes the rows that trained it (the result
   * says there is no guarantee); 'safety' there is the run's own safety rows too (fracSafety unused).
   */
  rows: z.discriminatedUnion('kind', [z.object({ kind: z.literal('all') }), z.object({ kind: z.literal('safety'), fracSafety: z.number().gt(0).lt(1) })]).optional(),
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
  /**
   * Audited rows start … end−1 of the dataset's stored order; with ofRun, of that run's own safety rows
   * (its order, its split). The exact bound of soft estimators (betting) takes the rows in this order.
   */
  rows: z.object({ which: z.enum(['all', 'safety']), start: count, end: count, ofRun: id.optional() }),
  /** 'predictions <file>', 'model <file>' or "run <id>'s <which> model". */
  source: z.string().optional(),
  /** The audit input's source kind, so that a report can be written from the result alone (audit.report). */
  sourceKind: z.enum(['predictions', 'model', 'run']),
  mode: auditInput.shape.mode,
  bound: boundMethod,
  /** What the verdicts can claim, given which rows trained the model (see auditGuarantee). */
  guarantee: auditGuarantee,
  /**
   * true for a pretrained run's model: its body was trained elsewhere on rows Fairbound does not know, so
   * every verdict holds only if none of the audited rows trained it (pretrainedBodySentence). Absent otherwise.
   */
  pretrainedBody: z.literal(true).optional(),
  constraints: z.array(auditedConstraint),
  groups: z.array(auditGroupRow),
  groupConfidence: wireNumber,
  /**
   * A model source: what ran it (in the training worker), e.g. 'wasm (@tensorflow/tfjs-backend-wasm 4.22.0,
   * SIMD, 1 thread)' or 'onnxruntime cpu (onnxruntime-node 1.31.1; cuda: …)' for an ONNX model.
   */
  backend: z.string().optional(),
  /** An ONNX model: how its input was fed and its output read. */
  preprocessing: onnxPreprocessingRecord.optional(),
});
export type AuditResult = z.infer<typeof auditResult>;

/** The id of an audit whose probabilities the app keeps (audit.start's job result). */
export const auditThresholdId = z.string().min(1).max(100);
/** audit.atThreshold: a kept audit, and the decision threshold to bound it at. */
export const auditAtThresholdInput = z.object({ thresholdId: auditThresholdId, threshold: auditInput.shape.mode.options[0].shape.threshold });

/** audit.report: audit.run's input plus where to write the report (server-side paths). */
export const auditReportInput = auditInput.extend({
  /** The self-contained HTML report's path (its folder must exist). */
  out: path,
  /** Also print it as PDF here (needs Chromium). */
  pdf: path.optional(),
  /** Replace existing report files (the user confirmed); otherwise an existing file is a `conflict`. */
  overwrite: z.boolean().default(false),
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
  /** Replace existing report files (the user confirmed); otherwise an existing file is a `conflict`. */
  overwrite: z.boolean().default(false),
});
export type AuditReportFromResultInput = z.infer<typeof auditReportFromResultInput>;

/** audit.report's input: a finished audit's result (the app's form), or an audit to run (the CLI-like form). */
export const auditReportRequest = z.union([auditReportFromResultInput, auditReportInput]);
export type AuditReportRequest = z.infer<typeof auditReportRequest>;

export const auditReportOutput = z.object({ html: path, pdf: path.nullable() });
export type AuditReportOutput = z.infer<typeof auditReportOutput>;
