/**
 * The audit use-case, shared by every face: the app's audit.run / audit.start / audit.report routes and
 * `fairbound audit` (src-main/cli/commands/audit.ts) call runAudit with the contract's audit input and get
 * the contract's result. Which rows, the constraints, the bounds, the verdicts and the group table are
 * computed here, once.
 *
 * A model source (a TF.js or ONNX model file, or a stored run's model) is run by the caller's AuditPredictor: the
 * app's runs it in the deep worker queue's worker process, so that the main process's event loop stays free
 * and TensorFlow.js never loads in it; the CLI runs the same steps in its own process.
 *
 * audit.start runs the same computation as a job: the worker's per-batch progress becomes job.progress
 * ("predicting batch k of n (… images/s)", then "bounds"), jobs.cancel aborts the inference between
 * batches (the worker stays up for the next audit), and job.done carries the result.
 */
import { refuseExisting } from '../data/safe-write';
import type { AuditedNode as AuditedNodeDto, AuditGuarantee, AuditInput, AuditResult, OnnxPreprocessingRecord } from '../../src-shared/contract/schemas';
import { auditConstraints, exactKindOf, hardDecisions, type AuditedConstraint as AuditedConstraintFull, type AuditedNode, type EstimatorMode } from '../audit/audit';
import { groupTable, type GroupRow } from '../audit/group-table';
import type { AuditModelSource } from '../audit/model-audit';
import type { AuditPredictProgress, AuditPredictReply, AuditPredictRequest } from '../audit/predict-types';
import { selectRows } from '../audit/select-rows';
import { readPredictions, type RowMatching } from '../audit/predictions';
import { InputError } from '../errors/input-error';
import type { AuditReportInput } from '../report/audit-report';
import type { LabelledRows, RowRange } from '../engine/data';
import { compileForDataset } from '../engine/compile-for-dataset';
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { candidateSafetySplit } from '../engine/qsa';
import type { ReadableDB } from '../store/database';
import { datasetRowKeys, loadDatasetLabels, type DatasetInfo } from '../store/datasets';
import { getRunRows } from '../store/run-results';
import { getRun } from '../store/runs';
import { datasetSummary, type DatasetSummary } from '../store/summary';
import type { Handler, ServiceContext } from './context';
import { writeReportFiles } from './report-files';
import { requireDataset } from './datasets';
import { ConstraintListError } from '../errors/constraint-compile-error';
import type { JobControl } from '../jobs/job-runner';

const DEFAULT_GROUP_ALPHA = 0.05;

/**
 * Images per forward pass of a model audit, sent explicitly (it is also the worker's default) so that
 * the progress can say "batch k of n" from the rows done.
 */
const AUDIT_BATCH_SIZE = 256;

/** What a job's audit reports to and is cancelled by; audit.run passes none. */
type AuditJobControl = Pick<JobControl, 'signal' | 'progress'>;

/**
 * The worker's `{ done, total }` as the job's message: the batch and the speed. The speed is measured
 * from the first batch on, so it is the backend's and not the model's and the images' loading, which
 * the first batch's message states instead.
 */
function inferenceProgress(control: AuditJobControl, clock: () => number = Date.now): (p: { done: number; total: number }) => void {
  const started = clock();
  let first: { done: number; at: number } | null = null;
  return ({ done, total }) => {
    const now = clock();
    const batches = Math.max(1, Math.ceil(total / AUDIT_BATCH_SIZE));
    const batch = Math.min(batches, Math.ceil(done / AUDIT_BATCH_SIZE));
    let detail: string;
    if (first === null) {
      detail = `model and images loaded in ${((now - started) / 1000).toFixed(1)} s`;
      first = { done, at: now };
    } else {
      detail = `${Math.round((done - first.done) / Math.max(0.001, (now - first.at) / 1000)).toLocaleString('en-US')} images/s`;
    }
    control.progress({ fraction: total === 0 ? 1 : done / total, phase: 'predicting', message: `predicting batch ${batch} of ${batches} (${detail})`, rowsDone: done });
  };
}

function nodeDto(n: AuditedNode): AuditedNodeDto {
  return {
    name: n.spec.name,
    n: n.bound.nSamples,
    mean: n.bound.mean,
    std: n.bound.std,
    lower: n.bound.lower,
    upper: n.bound.upper,
    lowerNeeded: n.spec.lowerNeeded,
    upperNeeded: n.spec.upperNeeded,
    deltaLower: n.spec.deltaLower,
    deltaUpper: n.spec.deltaUpper,
  };
}

/** What one audit computes: the contract's result and the pieces the HTML report is built from. */
export interface AuditComputation {
  readonly result: AuditResult;
  readonly info: DatasetInfo;
  readonly results: readonly AuditedConstraintFull[];
  readonly groups: readonly GroupRow[];
  readonly mode: EstimatorMode;
  readonly nRows: number;
  readonly sourceText: string;
  /** The audited rows, their probabilities (row-major over every audited row) and each one's index in the dataset's stored order. */
  readonly rows: { readonly audited: LabelledRows; readonly range: RowRange; readonly probs: Float64Array; readonly nOutputs: number; readonly storedIndex: (row: number) => number };
}

/** Runs a model over chosen rows of a dataset and returns their class probabilities. */
export type AuditPredictor = (
  request: Omit<AuditPredictRequest, 'dbPath' | 'nativeBinding'>,
  options: { readonly signal?: AbortSignal; readonly onProgress?: (progress: AuditPredictProgress) => void },
) => Promise<AuditPredictReply>;

/** What the audit needs from the face that calls it. */
export interface AuditEnvironment {
  readonly db: ReadableDB;
  readonly predict: AuditPredictor;
}

/** The app's environment: the workspace's shared connection and the training worker's inference. */
export function appEnvironment(ctx: ServiceContext): AuditEnvironment {
  return { db: ctx.db, predict: (request, options) => ctx.deepWorker().predictAudit(ctx.dbPath, request, options) };
}

/** The audited rows and the probabilities of the rows `rows` picks, with how the result names them. */
export interface AuditedProbabilities {
  readonly audited: LabelledRows;
  readonly rows: RowRange;
  /** Row-major over every row of `audited`, `nOutputs` columns. */
  readonly probs: Float64Array;
  readonly nOutputs: number;
  readonly rowsDto: AuditResult['rows'];
  readonly sourceText: string;
  /** A model source: the backend that ran it. */
  readonly backendText?: string;
  /** An ONNX model: how it was fed and read. */
  readonly preprocessing?: OnnxPreprocessingRecord;
  /** What the verdicts can claim on these rows. */
  readonly guarantee: AuditGuarantee;
  /** A pretrained run's model: its body's training rows are unknown. */
  readonly pretrainedBody?: true;
  /** The dataset rows `audited` holds, in its order; null: all of them, in the stored order. */
  readonly selection: Int32Array | null;
}

type PredictionsSource = Extract<AuditInput['source'], { kind: 'predictions' }>;
type ModelOrRunSource = Exclude<AuditInput['source'], PredictionsSource>;

/** A predictions file matched to the dataset's rows (by key or by order); `rows` picks all or the split's safety rows. */
async function fromPredictions(input: AuditInput, src: PredictionsSource, env: AuditEnvironment, info: DatasetInfo, data: LabelledRows, control?: AuditJobControl): Promise<AuditedProbabilities> {
  const matching: RowMatching = src.matching.kind === 'key' ? { kind: 'key', column: src.matching.column, rowKeys: datasetRowKeys(env.db, info.id, info.format) } : { kind: 'order' };
  control?.progress({ fraction: null, phase: 'reading', message: `reading the predictions ${src.path}` });
  const predictions = await readPredictions(src.path, data.nRows, matching);
  control?.signal.throwIfAborted();
  if (predictions.nOutputs !== 1 && predictions.nOutputs !== info.nClasses) {
    throw new InputError(`the predictions have ${predictions.nOutputs} class columns but dataset '${info.name}' has ${info.nClasses} classes`, { file: src.path });
  }
  if (predictions.nOutputs === 1 && info.nClasses > 2) {
    throw new InputError(`dataset '${info.name}' is multiclass (${info.nClasses} classes): give p_0 … p_${info.nClasses - 1}`, { file: src.path });
  }
  const asked = input.rows ?? { kind: 'all' };
  const rows: RowRange = asked.kind === 'safety' ? candidateSafetySplit(data.nRows, asked.fracSafety).safety : { start: 0, end: data.nRows };
  return { audited: data, rows, probs: predictions.probs, nOutputs: predictions.nOutputs, rowsDto: { which: asked.kind, start: rows.start, end: rows.end }, sourceText: `predictions ${src.path}`, guarantee: 'unknown-training-rows', selection: null };
}

/** A model file or a stored run's model, run by the environment's predictor on the chosen rows. */
async function fromModel(input: AuditInput, src: ModelOrRunSource, env: AuditEnvironment, info: DatasetInfo, data: LabelledRows, control?: AuditJobControl): Promise<AuditedProbabilities> {
  const run = src.kind === 'run' ? getRun(env.db, src.id) : undefined;
  if (src.kind === 'run' && !run) throw new InputError(`no run ${src.id} in this workspace`);
  if (!info.image) throw new InputError(`dataset '${info.name}' holds numeric features, not images: a model is audited on an image dataset (audit its predictions instead)`);
  const modelSource: AuditModelSource = src.kind === 'model' ? { kind: 'model', path: src.path, ...(src.onnx ? { onnx: src.onnx } : {}) } : { kind: 'run', id: src.id, which: src.which ?? 'seldonian' };
  // Which rows. A run on its own dataset: its own safety rows (its row order, its split) unless every row is
  // asked for, which includes the rows that trained it. Otherwise all rows, or the engine's split of the
  // stored order.
  let selection: Int32Array | null = null;
  let rowsDto: AuditResult['rows'];
  let guarantee: AuditGuarantee;
  const ownDataset = run !== undefined && run.datasetId === info.id;
  // A run's 'initial' model was trained on no rows; its 'trained' CNN (head runs) on the candidate rows
  // only, and no safety test chose it; its candidate and Seldonian models are what the safety test tested.
  const which = src.kind === 'run' ? (src.which ?? 'seldonian') : null;
  const untrained = which === 'initial';
  // A pretrained run's body was trained elsewhere, on rows Fairbound does not know.
  const bodyUnknown = run?.pipeline === 'pretrained';
  if (run && ownDataset && input.rows?.kind !== 'all') {
    const runRows = getRunRows(env.db, run.id);
    if (!runRows) throw new InputError(`run ${run.id} has no stored row order`);
    selection = runRows.rowOrder.slice(run.nCandidate);
    rowsDto = { which: 'safety', start: 0, end: selection.length, ofRun: run.id };
    guarantee = which === 'seldonian' || which === 'candidate' ? 'repeats-safety-test' : bodyUnknown ? 'unknown-training-rows' : 'independent';
  } else {
    if (input.rows?.kind === 'safety') {
      const split = candidateSafetySplit(data.nRows, input.rows.fracSafety).safety;
      selection = Int32Array.from({ length: split.end - split.start }, (_, i) => split.start + i);
      rowsDto = { which: 'safety', start: split.start, end: split.end };
    } else {
      rowsDto = { which: 'all', start: 0, end: data.nRows };
    }
    guarantee = !run ? 'unknown-training-rows' : ownDataset && !untrained ? 'none-trained-rows' : bodyUnknown ? 'unknown-training-rows' : 'independent';
  }
  const predicted = await env.predict({
    datasetId: info.id,
    source: modelSource,
    resize: src.kind === 'model' ? (src.resize ?? null) : null,
    backend: src.kind === 'model' ? (src.backend ?? 'auto') : 'auto',
    selection,
    batchSize: AUDIT_BATCH_SIZE,
  }, control ? { signal: control.signal, onProgress: inferenceProgress(control) } : {});
  // The cancel may come after the last batch: the job still ends cancelled, not done.
  control?.signal.throwIfAborted();
  const audited = selection ? selectRows(data, selection) : data;
  if (predicted.nRows !== audited.nRows) throw new Error(`the model was run on ${predicted.nRows} rows, ${audited.nRows} were asked for`);
  return {
    audited,
    rows: { start: 0, end: audited.nRows },
    probs: predicted.probs,
    nOutputs: predicted.nOutputs,
    rowsDto,
    sourceText: predicted.sourceText,
    backendText: predicted.backend,
    ...(predicted.preprocessing ? { preprocessing: predicted.preprocessing } : {}),
    guarantee,
    ...(bodyUnknown ? { pretrainedBody: true as const } : {}),
    selection,
  };
}

/**
 * An audit up to its bounding: the dataset, the compiled constraints, and the audited rows with the
 * model's (or the file's) probabilities. The app keeps it (audit-threshold.ts), so another decision
 * threshold is bounded again from these probabilities without running the model again.
 */
export interface AuditedRows {
  readonly input: AuditInput;
  readonly info: DatasetInfo;
  readonly constraints: readonly CompiledConstraint[];
  readonly probabilities: AuditedProbabilities;
}

/**
 * The audit use-case. A constraint that does not compile throws ConstraintListError (its index in the
 * input's list); bad files and sources throw InputError naming the file, row or column.
 */
export async function runAudit(input: AuditInput, env: AuditEnvironment, control?: AuditJobControl): Promise<AuditComputation> {
  return boundAudit(await auditedRows(input, env, control), input.mode);
}

/** The audit's first half: what it audits, and the probabilities (the model runs here, for a model source). */
export async function auditedRows(input: AuditInput, env: AuditEnvironment, control?: AuditJobControl): Promise<AuditedRows> {
  const info = requireDataset(env, input.datasetId);
  control?.progress({ fraction: null, phase: 'loading', message: `loading dataset '${info.name}'` });
  // Labels and groups only: the audit's maths needs no pixels here, and a model's images are read by
  // whoever runs the model, so this process never copies the (large) image blobs.
  const data = loadDatasetLabels(env.db, info.id);
  const constraints = compileForDataset(input.constraints, { sensitiveColumns: data.sensitiveColumns, nClasses: info.nClasses }, (i, error) => new ConstraintListError(i, error));
  for (const cols of input.intersections ?? []) {
    const unknown = cols.find((c) => !data.sensitiveColumns.includes(c));
    if (unknown) throw new InputError(`the group table's intersection names unknown attribute '${unknown}' (known: ${data.sensitiveColumns.join(', ')})`);
  }
  const src = input.source;
  const probabilities = src.kind === 'predictions' ? await fromPredictions(input, src, env, info, data, control) : await fromModel(input, src, env, info, data, control);
  // The bounding comes next, whoever calls it.
  control?.progress({ fraction: null, phase: 'bounds', message: 'bounds: the constraints’ intervals and the group table' });
  return { input, info, constraints, probabilities };
}

/**
 * The audit's second half, the one bounding of every audit: the constraints' bounds and verdicts and the
 * group table of the kept probabilities under `decision` (the input's own mode, or another threshold).
 */
export function boundAudit({ input, info, constraints, probabilities }: AuditedRows, decision: AuditInput['mode']): AuditComputation {
  const src = input.source;
  const { audited, rows, probs: probsAll, nOutputs, rowsDto, sourceText, backendText, preprocessing, guarantee, pretrainedBody, selection } = probabilities;
  const probs = probsAll.subarray(rows.start * nOutputs, rows.end * nOutputs);
  const mode: EstimatorMode = decision.kind === 'hard' ? { kind: 'hard', threshold: decision.threshold } : { kind: 'soft' };
  const results = auditConstraints({ data: audited, probs, nOutputs, rows, constraints, mode, method: input.bound });
  const alpha = input.groupAlpha ?? DEFAULT_GROUP_ALPHA;
  const groupProbs = mode.kind === 'hard' ? hardDecisions(probs, nOutputs, mode.threshold) : probs;
  const groups = groupTable({ data: audited, probs: groupProbs, nOutputs, rows, intersections: input.intersections, alpha, method: input.bound, exactKind: exactKindOf(mode) });

  const result: AuditResult = {
    dataset: { id: info.id, name: info.name },
    rows: rowsDto,
    source: sourceText,
    sourceKind: src.kind,
    mode: decision,
    bound: input.bound,
    guarantee,
    ...(pretrainedBody ? { pretrainedBody } : {}),
    constraints: results.map((r) => ({
      source: r.constraint.source,
      parsed: r.constraint.parsed,
      delta: r.constraint.delta,
      verdict: r.verdict,
      gPoint: r.gPoint,
      gLower: r.gLower,
      gUpper: r.gUpper,
      dataNeeded: r.dataNeeded,
      baseNodes: r.upperStatement.nodes.map(nodeDto),
      lowerBoundBaseNodes: r.lowerStatement.nodes.map(nodeDto),
      warnings: [...r.constraint.warnings],
    })),
    groups: groups.map((g) => ({
      group: g.columns.length ? g.columns.join(' & ') : 'all',
      columns: [...g.columns],
      n: g.nRows,
      rates: Object.fromEntries(Object.entries(g.rates).filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== undefined)),
    })),
    groupConfidence: 1 - alpha,
    ...(backendText !== undefined ? { backend: backendText } : {}),
    ...(preprocessing !== undefined ? { preprocessing } : {}),
  };
  const storedIndex = (row: number): number => (selection ? selection[row] : row);
  return { result, info, results, groups, mode, nRows: rows.end - rows.start, sourceText, rows: { audited, range: rows, probs: probsAll, nOutputs, storedIndex } };
}

export const auditHandler: Handler<'audit.run'> = async (input, ctx) => (await runAudit(input, appEnvironment(ctx))).result;

/**
 * audit.start: the audit as a job. An unknown dataset is refused here (the reply's error, as audit.run
 * gives it); everything else — constraints, files, the model — is checked by the job and reaches the UI
 * as job.failed with the same error data.
 */
export const startAuditHandler: Handler<'audit.start'> = (input, ctx) => {
  requireDataset(ctx, input.datasetId);
  const jobId = ctx.jobs.start('audit', async (control) => {
    const rows = await auditedRows(input, appEnvironment(ctx), control);
    // The rows and probabilities are kept, so the threshold explorer's moves bound them again (audit.atThreshold) without running the model.
    return { kind: 'audit', result: boundAudit(rows, input.mode).result, thresholdId: ctx.auditRows.keep(rows) };
  });
  return { jobId };
};

/** The audited rows in words, for text output and the report. */
export function rowsText(rows: AuditResult['rows']): string {
  if (rows.ofRun !== undefined) return `the ${rows.end - rows.start} safety rows of run ${rows.ofRun}`;
  return `rows ${rows.start}–${rows.end - 1} (${rows.which})`;
}

/**
 * audit.report: the self-contained HTML report (and a PDF when asked). Given a finished audit's result
 * (the app's Audit page sends the one its job returned), it is rendered as it is: no inference, no
 * bounds, so the export takes a moment however large the dataset. Given audit.run's input (the old
 * form, kept for callers without a result), the audit is run first, in this request.
 */
export const auditReportHandler: Handler<'audit.report'> = async (input, ctx) => {
  const { out, pdf, overwrite } = input;
  // Existing files are refused (a `conflict`) before any work, unless the user chose to overwrite them.
  refuseExisting(pdf === undefined ? [out] : [out, pdf], { overwrite });
  const { auditReportInputFromResult, buildAuditReportHtml } = await import('../report/audit-report');
  let html: string;
  if ('result' in input) {
    const { result } = input;
    html = buildAuditReportHtml(auditReportInputFromResult(result, summaryOrNull(ctx.db, result.dataset.id), rowsText(result.rows)));
  } else {
    const { out: _out, pdf: _pdf, overwrite: _overwrite, ...auditInput } = input;
    html = buildAuditReportHtml(reportInput(await runAudit(auditInput, appEnvironment(ctx)), summaryOrNull(ctx.db, auditInput.datasetId)));
  }
  return writeReportFiles(html, out, pdf, { overwrite });
};

/** What the HTML report of a computed audit is built from (`buildAuditReportHtml` in report/audit-report.ts). */
export function reportInput(audit: AuditComputation, summary: DatasetSummary | null): AuditReportInput {
  const { result, info, results, groups, mode, nRows, sourceText } = audit;
  return {
    results,
    groups,
    summary,
    metadata: {
      datasetName: info.name,
      source: sourceText,
      sourceKind: result.sourceKind,
      mode,
      method: result.bound,
      guarantee: result.guarantee,
      ...(result.pretrainedBody ? { pretrainedBody: true } : {}),
      rowsText: rowsText(result.rows),
      nRows,
      groupConfidence: result.groupConfidence,
      ...(result.backend !== undefined ? { backend: result.backend } : {}),
      ...(result.preprocessing !== undefined ? { preprocessing: result.preprocessing } : {}),
    },
  };
}

/**
 * The dataset's summary for the report (labels and groups only, no pixels); null when it cannot be
 * computed — e.g. the audited dataset was deleted since — and the report then says it is unavailable.
 */
export function summaryOrNull(db: ReadableDB, datasetId: number): DatasetSummary | null {
  try {
    return datasetSummary(db, datasetId);
  } catch {
    return null;
  }
}
