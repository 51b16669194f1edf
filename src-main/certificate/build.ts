/**
 * Writing a certificate (README, "Certificates"): of an audit, from its input and the result it gave
 * (nothing recomputed), or of a passed run, whose exported Seldonian model is run on the run's safety
 * rows and bounded as its safety test bounds (Student-t, the engine's soft estimators). Either way the
 * certificate records the SHA-256 of the model's files, of the rows and of the settings. A run's model is
 * hashed in both forms Fairbound hands out: its TF.js export and its ONNX export.
 */
import { z } from 'zod';
import {
  certificate,
  certificateSettings,
  CERTIFICATE_FORMAT,
  CERTIFICATE_VERSION,
  CERTIFICATE_RELATIVE_TOLERANCE,
  ROWS_LAYOUT,
  type AuditInput,
  type AuditResult,
  type BackendPreference,
  type Certificate,
  type CertificateSettings,
} from '../../src-shared/contract/schemas';
import { modelFiles, sha256Hex, type ModelFiles } from '../audit/model-files';
import { pretrainedExportPreprocessing } from '../runs/pretrained-export';
import { runBoundMethod } from '../../src-shared/domain/runs';
import type { AuditPredictReply } from '../audit/predict-types';
import { InputError } from '../errors/input-error';
import type { ReadableDB } from '../store/database';
import { getDataset, loadDatasetForTraining, loadDatasetLabels, type DatasetInfo } from '../store/datasets';
import { getRunConstraints, getRunRows } from '../store/run-results';
import { getRun, type RunInfo } from '../store/runs';
import { canonicalJson } from './canonical-json';
import { certifiedConstraints, constraintsOfResult, type CertificatePredictor } from './compute';
import { rowsSha256, selectionOf } from './rows';

export const TOLERANCE_RULE = '|certified − recomputed| ≤ relative · max(1, |certified|, |recomputed|); hashes and verdicts exactly';

export interface CertificateEnvironment {
  readonly db: ReadableDB;
  readonly predict: CertificatePredictor;
  /** Fairbound's version, recorded in the certificate. */
  readonly version: string;
}

/** SHA-256 of the settings as canonical JSON of their wire form (what the certificate file holds). */
export function settingsSha256(encodedSettings: unknown): string {
  return sha256Hex(canonicalJson(encodedSettings));
}

/** The certificate as its file holds it: the contract's wire form, pretty-printed (a row list on one line). */
export function certificateJson(value: Certificate): string {
  const wire = z.encode(certificate, value);
  const selection = wire.rows.selection;
  if (selection.kind === 'range') return `${JSON.stringify(wire, null, 2)}\n`;
  // The placeholder is a string no certificate holds otherwise; its quotes go with it.
  const placeholder = '@row-indices@';
  const text = JSON.stringify({ ...wire, rows: { ...wire.rows, selection: { kind: 'indices', indices: placeholder } } }, null, 2);
  return `${text.replace(`"${placeholder}"`, JSON.stringify(selection.indices))}\n`;
}

function requireDatasetOf(db: ReadableDB, id: number | null, what: string): DatasetInfo {
  const info = id === null ? undefined : getDataset(db, id);
  if (!info) throw new InputError(`${what}'s dataset is no longer in this workspace: its rows cannot be hashed`);
  return info;
}

/** A run's input size where its images were resized (the audit of a run's model resizes to it too). */
function runResize(run: RunInfo, info: DatasetInfo): number | null {
  // A pretrained run's images are fed to its source model (and so to its export) resized as the run resized them.
  if (run.settings.pretrained) return run.settings.resize;
  const [height, width] = run.settings.inputShape;
  return info.image && (info.image.height !== height || info.image.width !== width) ? height : null;
}

/** The run's safety rows: its row order after its candidate rows. */
function runSafetyRows(db: ReadableDB, run: RunInfo): Int32Array {
  const rows = getRunRows(db, run.id);
  if (!rows) throw new InputError(`run ${run.id} has no stored row order: its safety rows are unknown`);
  return Int32Array.from(rows.rowOrder.subarray(run.nCandidate));
}

/**
 * A pretrained run on an ONNX model is verified as its ONNX export: the input pre-processing verify gives
 * it again. One on a TF.js model is verified as its TF.js export, which takes the images as the source did.
 */
function pretrainedOnnxSettings(run: RunInfo): Pick<CertificateSettings, 'onnx'> {
  return run.settings.pretrained?.kind === 'onnx' ? { onnx: pretrainedExportPreprocessing(run) } : {};
}

/** What a run's certificate certifies: the export `fairbound run export-model` writes. */
function runSubject(run: RunInfo, hasOnnx: boolean): string {
  const source = run.settings.pretrained;
  if (source?.kind === 'onnx') return `run ${run.id}'s seldonian model (as \`fairbound run export-model ${run.id} --format onnx\` writes it: the source model ${source.path} cut at its latent features with the run's head)`;
  if (source) return `run ${run.id}'s seldonian model (as \`fairbound run export-model ${run.id}\` writes it: the TF.js source model ${source.path} cut before its last dense layer with the run's head)`;
  return `run ${run.id}'s seldonian model (as \`fairbound run export-model ${run.id}\` writes it${hasOnnx ? ', or with --format onnx' : ''})`;
}

function runRowsText(run: RunInfo, n: number): string {
  const s = run.settings;
  const order = s.shuffleSeed === null ? `the first ${s.rows} rows in the dataset's stored order` : `the first ${s.rows} rows shuffled with seed ${s.shuffleSeed}`;
  return `the ${n} safety rows of run ${run.id}: of ${order}, the rows after its ${run.nCandidate} candidate rows (frac_safety ${s.fracSafety})`;
}

function seal(parts: Omit<Certificate, 'format' | 'version' | 'fairboundVersion' | 'createdAt' | 'settingsSha256' | 'tolerance'>, version: string): Certificate {
  return {
    format: CERTIFICATE_FORMAT,
    version: CERTIFICATE_VERSION,
    fairboundVersion: version,
    createdAt: new Date().toISOString(),
    ...parts,
    settingsSha256: settingsSha256(z.encode(certificateSettings, parts.settings)),
    tolerance: { relative: CERTIFICATE_RELATIVE_TOLERANCE, rule: TOLERANCE_RULE },
  };
}

function datasetPart(info: DatasetInfo): Certificate['dataset'] {
  return { name: info.name, nRows: info.nRows, nClasses: info.nClasses, sensitiveColumns: [...info.sensitiveColumns] };
}

function rowsPart(db: ReadableDB, info: DatasetInfo, indices: Int32Array, chosenAs: string): Certificate['rows'] {
  return { selection: selectionOf(indices), chosenAs, count: indices.length, layout: ROWS_LAYOUT, sha256: rowsSha256(loadDatasetForTraining(db, info.id), indices) };
}

function filesOf(files: ModelFiles | undefined, source: string): Certificate['model'] {
  if (!files) throw new Error(`the model's files were not hashed (${source})`);
  return { format: files.format, files: files.files.map((f) => ({ ...f })) };
}

/** A run's model as the predictor hashed it: its TF.js export's files, and its ONNX export where it has one. */
function runModelOf(reply: AuditPredictReply): Certificate['model'] {
  return { ...filesOf(reply.modelFiles, reply.sourceText), ...(reply.onnxFile ? { onnx: { ...reply.onnxFile } } : {}) };
}

/** A passed run's certificate. `backend`: the TF.js backend preference its model runs with. */
export async function buildRunCertificate(env: CertificateEnvironment, runId: number, backend: BackendPreference): Promise<Certificate> {
  const run = getRun(env.db, runId);
  if (!run) throw new InputError(`no run ${runId} in this workspace (see \`fairbound runs\`)`);
  if (run.status !== 'passed') throw new InputError(`run ${runId} is ${run.status}: only a passed run has a Seldonian model to certify (an audit can certify any model)`);
  const info = requireDatasetOf(env.db, run.datasetId, `run ${runId}`);
  const indices = runSafetyRows(env.db, run);
  const resize = runResize(run, info);
  const reply = await env.predict({ datasetId: info.id, source: { kind: 'run', id: run.id, which: 'seldonian' }, resize, backend, selection: indices, hashModelFiles: true });
  const settings: CertificateSettings = {
    constraints: run.constraints.map((c) => ({ source: c.source, delta: c.delta })),
    mode: { kind: 'soft' },
    // The bound the run's safety test used: a pretrained run's is a choice, the other pipelines' Student-t.
    bound: run.settings.pretrained ? runBoundMethod(run.settings) : 'student-t',
    resize,
    backend,
    ...pretrainedOnnxSettings(run),
    run: { ...run.settings },
  };
  const constraints = certifiedConstraints(loadDatasetLabels(env.db, info.id), indices, reply.probs, reply.nOutputs, settings);
  return seal(
    {
      kind: 'run',
      subject: runSubject(run, reply.onnxFile !== undefined),
      dataset: datasetPart(info),
      model: runModelOf(reply),
      rows: rowsPart(env.db, info, indices, runRowsText(run, indices.length)),
      settings,
      safetyTest: { runId: run.id, passed: constraints.every((c) => c.gUpper <= 0), storedUpperBounds: getRunConstraints(env.db, run.id).map((c) => c.upperBound) },
      constraints,
    },
    env.version,
  );
}

/** How a model or run source's images were fed to the model: what the audit's caller used. */
export interface AuditInference {
  readonly backend: BackendPreference;
  /** The resize the caller applied (the CLI's --resize); null: the source's own (a run's input size). */
  readonly resize: number | null;
}

/** The audited rows as dataset indices, from the result's rows (a run's own safety rows, or a range). */
function auditedIndices(db: ReadableDB, result: AuditResult): { indices: Int32Array; chosenAs: string } {
  const rows = result.rows;
  if (rows.ofRun !== undefined) {
    const run = getRun(db, rows.ofRun);
    if (!run) throw new InputError(`run ${rows.ofRun}, whose safety rows were audited, is no longer in this workspace`);
    const indices = runSafetyRows(db, run);
    if (indices.length !== rows.end - rows.start) throw new InputError(`run ${run.id} now has ${indices.length} safety rows, the audit had ${rows.end - rows.start}`);
    return { indices, chosenAs: runRowsText(run, indices.length) };
  }
  const indices = Int32Array.from({ length: rows.end - rows.start }, (_, i) => rows.start + i);
  return { indices, chosenAs: rows.which === 'all' ? 'every row of the dataset, in its stored order' : `rows ${rows.start}–${rows.end - 1} of the stored order: the engine's split's safety rows` };
}

/** A finished audit's certificate: its input, the result it gave and how its model ran (CLI flags or the app's defaults). */
export async function buildAuditCertificate(env: CertificateEnvironment, input: AuditInput, result: AuditResult, inference: AuditInference): Promise<Certificate> {
  if (input.datasetId !== result.dataset.id || input.source.kind !== result.sourceKind || input.constraints.length !== result.constraints.length) {
    throw new InputError('the audit input and its result do not belong together (dataset, source or constraints differ)');
  }
  const info = requireDatasetOf(env.db, result.dataset.id, 'the audit');
  const { indices, chosenAs } = auditedIndices(env.db, result);
  const src = input.source;
  let model: Certificate['model'];
  let resize: number | null = null;
  let backend: BackendPreference = inference.backend;
  let pretrained: Pick<CertificateSettings, 'onnx'> = {};
  if (src.kind === 'predictions') {
    model = filesOf(modelFiles(src.path, { predictions: true }), src.path);
  } else if (src.kind === 'model') {
    model = filesOf(modelFiles(src.path), src.path);
    resize = src.resize ?? inference.resize;
    backend = src.backend ?? inference.backend;
  } else {
    const run = getRun(env.db, src.id);
    if (!run) throw new InputError(`no run ${src.id} in this workspace`);
    resize = inference.resize ?? runResize(run, info);
    pretrained = pretrainedOnnxSettings(run);
    // No rows: only the model, exported as `fairbound run export-model` exports it (both formats), and its files' hashes.
    const reply = await env.predict({ datasetId: info.id, source: { kind: 'run', id: src.id, which: src.which ?? 'seldonian' }, resize, backend, selection: new Int32Array(0), hashModelFiles: true });
    model = runModelOf(reply);
  }
  const settings: CertificateSettings = {
    constraints: input.constraints.map((c) => ({ source: c.source, delta: c.delta })),
    mode: input.mode,
    bound: result.bound,
    resize,
    backend,
    ...(src.kind === 'predictions' ? { matching: src.matching } : {}),
    ...(src.kind === 'model' && src.onnx !== undefined ? { onnx: src.onnx } : {}),
    ...pretrained,
  };
  return seal(
    {
      kind: 'audit',
      subject: result.source ?? result.sourceKind,
      dataset: datasetPart(info),
      model,
      rows: rowsPart(env.db, info, indices, chosenAs),
      settings,
      guarantee: result.guarantee,
      constraints: constraintsOfResult(result),
    },
    env.version,
  );
}

/** A file name to offer for a certificate. */
export function certificateFileName(value: Certificate): string {
  const subject = value.safetyTest ? `run-${value.safetyTest.runId}` : `audit-${value.dataset.name}`;
  return `fairbound-${subject.replace(/[^A-Za-z0-9_.-]+/g, '_')}-certificate.json`;
}
