/**
 * `fairbound verify`: recomputes a certificate from the files — the model's files and the dataset's
 * rows are hashed again, the model is run on the selected rows, the constraints are bounded again — and
 * compares: hashes and verdicts exactly, numbers within CERTIFICATE_RELATIVE_TOLERANCE (relative above
 * magnitude 1, absolute below). Every comparison is one check, named so that a mismatch says which.
 * A run's model is verified in either form the certificate hashed: its TF.js files, or (version 2) its
 * ONNX export, which ONNX Runtime then runs as an ONNX audit would.
 */
import { CERTIFICATE_RELATIVE_TOLERANCE, type BackendPreference, type Certificate, type CertifiedConstraint, type CertifiedNode } from '../../src-shared/contract/schemas';
import { hashedFile, modelFiles } from '../audit/model-files';
import { readPredictions } from '../audit/predictions';
import type { ReadableDB } from '../store/database';
import { datasetRowKeys, getDataset, loadDatasetForTraining } from '../store/datasets';
import { InputError } from '../errors/input-error';
import { settingsSha256 } from './build';
import { certifiedConstraints, type CertificatePredictor } from './compute';
import type { ReadCertificate } from './read';
import { rowsSha256, selectedIndices } from './rows';

export interface VerifyCheck {
  /** What was compared, e.g. "rows: SHA-256" or "constraint 1: gUpper". */
  readonly what: string;
  readonly certified: string;
  readonly recomputed: string;
  readonly ok: boolean;
}

export interface VerifyOutcome {
  readonly ok: boolean;
  readonly checks: readonly VerifyCheck[];
}

export interface VerifyRequest {
  readonly read: ReadCertificate;
  readonly db: ReadableDB;
  readonly datasetId: number;
  /** The model file (model.json or its folder, an ONNX file) or the predictions CSV. */
  readonly modelPath: string;
  /** Where the certificate was read from, for messages. */
  readonly certificateFile?: string;
  readonly predict: CertificatePredictor;
  /** Run the model on this backend instead of the certificate's. */
  readonly backend?: BackendPreference;
}

/** Equal, both NaN, or within the tolerance: |a − b| ≤ tol · max(1, |a|, |b|). */
export function numbersMatch(certified: number, recomputed: number, tolerance = CERTIFICATE_RELATIVE_TOLERANCE): boolean {
  if (certified === recomputed || (Number.isNaN(certified) && Number.isNaN(recomputed))) return true;
  if (!Number.isFinite(certified) || !Number.isFinite(recomputed)) return false;
  return Math.abs(certified - recomputed) <= tolerance * Math.max(1, Math.abs(certified), Math.abs(recomputed));
}

class Checks {
  readonly list: VerifyCheck[] = [];
  exact(what: string, certified: string | number | boolean, recomputed: string | number | boolean): boolean {
    const ok = certified === recomputed;
    this.list.push({ what, certified: String(certified), recomputed: String(recomputed), ok });
    return ok;
  }
  number(what: string, certified: number, recomputed: number): void {
    this.list.push({ what, certified: String(certified), recomputed: String(recomputed), ok: numbersMatch(certified, recomputed) });
  }
}

function compareNodes(checks: Checks, where: string, certified: readonly CertifiedNode[], recomputed: readonly CertifiedNode[]): void {
  if (!checks.exact(`${where}: node count`, certified.length, recomputed.length)) return;
  certified.forEach((c, i) => {
    const r = recomputed[i];
    const at = `${where} '${c.name}'`;
    checks.exact(`${at}: name`, c.name, r.name);
    checks.exact(`${at}: n`, c.n, r.n);
    for (const key of ['mean', 'std', 'lower', 'upper'] as const) checks.number(`${at}: ${key}`, c[key], r[key]);
  });
}

function compareConstraints(checks: Checks, certified: readonly CertifiedConstraint[], recomputed: readonly CertifiedConstraint[]): void {
  certified.forEach((c, i) => {
    const r = recomputed[i];
    const at = `constraint ${i + 1}`;
    checks.exact(`${at}: source`, c.source, r.source);
    checks.exact(`${at}: δ`, c.delta, r.delta);
    checks.exact(`${at}: verdict`, c.verdict, r.verdict);
    for (const key of ['gPoint', 'gLower', 'gUpper'] as const) checks.number(`${at}: ${key}`, c[key], r[key]);
    compareNodes(checks, `${at} upper-bound node`, c.nodes, r.nodes);
    compareNodes(checks, `${at} lower-bound node`, c.lowerNodes, r.lowerNodes);
  });
}

/** The same test as the audit's (audit/onnx/predict.ts): an ONNX model is a `.onnx` file. */
function isOnnxFile(path: string): boolean {
  return path.toLowerCase().endsWith('.onnx');
}

/** A `.onnx` file given for a model the certificate hashed as TF.js files: the run's ONNX export. */
function isOnnxForm(cert: Certificate, modelPath: string): boolean {
  return cert.model.format === 'tfjs-layers' && isOnnxFile(modelPath);
}

/** The certified ONNX export; InputError when the certificate hashed none (the file cannot be checked). */
function onnxFormOf(cert: Certificate, modelPath: string, certificateFile: string | undefined): NonNullable<Certificate['model']['onnx']> {
  if (cert.model.onnx) return cert.model.onnx;
  const files = cert.model.files.map((f) => f.name).join(', ');
  const why = cert.version === 1 ? 'a version 1 certificate, written before certificates hashed the ONNX export' : 'the model has no ONNX form';
  const id = cert.safetyTest ? String(cert.safetyTest.runId) : '<id>';
  throw new InputError(
    `the certificate records the model only as TF.js files (${files}), with no SHA-256 of an ONNX export (${why}): ` +
      `--model ${modelPath} cannot be checked against it. Verify the TF.js export instead (\`fairbound run export-model ${id} --out <dir>\`, ` +
      `then --model <dir>/model.json)${cert.version === 1 ? `, or write a new certificate (\`fairbound run certificate ${id}\`), which hashes both` : ''}`,
    certificateFile !== undefined ? { file: certificateFile, key: 'model' } : { key: 'model' },
  );
}

/** The model's (or predictions file's) probabilities for the selected rows, in selection order. */
async function probabilities(request: VerifyRequest, indices: Int32Array, nRows: number): Promise<{ probs: Float64Array; nOutputs: number }> {
  const { certificate: cert } = request.read;
  const settings = cert.settings;
  if (cert.model.format === 'predictions-csv') {
    const info = getDataset(request.db, request.datasetId)!;
    const matching = settings.matching ?? { kind: 'order' as const };
    const all = await readPredictions(request.modelPath, nRows, matching.kind === 'key' ? { kind: 'key', column: matching.column, rowKeys: datasetRowKeys(request.db, info.id, info.format) } : { kind: 'order' });
    const probs = new Float64Array(indices.length * all.nOutputs);
    indices.forEach((r, i) => probs.set(all.probs.subarray(r * all.nOutputs, (r + 1) * all.nOutputs), i * all.nOutputs));
    return { probs, nOutputs: all.nOutputs };
  }
  const reply = await request.predict({
    datasetId: request.datasetId,
    source: { kind: 'model', path: request.modelPath, ...(settings.onnx !== undefined ? { onnx: settings.onnx } : {}) },
    resize: settings.resize,
    backend: request.backend ?? settings.backend,
    selection: indices,
  });
  return { probs: reply.probs, nOutputs: reply.nOutputs };
}

export async function verifyCertificate(request: VerifyRequest): Promise<VerifyOutcome> {
  const { certificate: cert, raw } = request.read;
  const checks = new Checks();
  const done = (): VerifyOutcome => ({ ok: checks.list.every((c) => c.ok), checks: checks.list });

  checks.exact('settings: SHA-256', cert.settingsSha256, settingsSha256(raw.settings));

  if (isOnnxForm(cert, request.modelPath)) {
    const onnx = onnxFormOf(cert, request.modelPath, request.certificateFile);
    checks.exact(`model (ONNX export, ${onnx.name}): SHA-256`, onnx.sha256, hashedFile(request.modelPath).sha256);
  } else {
    const files = modelFiles(request.modelPath, { predictions: cert.model.format === 'predictions-csv' });
    checks.exact('model: format', cert.model.format, files.format);
    checks.exact('model: file count', cert.model.files.length, files.files.length);
    cert.model.files.forEach((f, i) => {
      const actual = files.files[i];
      checks.exact(`model file ${i + 1} (${f.name}): SHA-256`, f.sha256, actual?.sha256 ?? '(missing)');
    });
  }

  const info = getDataset(request.db, request.datasetId);
  if (!info) throw new InputError(`no dataset ${request.datasetId} in this workspace`);
  const groupsOk = checks.exact('dataset: sensitive columns', cert.dataset.sensitiveColumns.join(','), info.sensitiveColumns.join(','));
  const classesOk = checks.exact('dataset: classes', cert.dataset.nClasses, info.nClasses);
  // Other columns or classes: the constraints do not mean the same; nothing below would compare.
  if (!groupsOk || !classesOk) return done();
  const lastRow = cert.rows.selection.kind === 'range' ? cert.rows.selection.end - 1 : cert.rows.selection.indices.reduce((max, r) => Math.max(max, r), -1);
  if (!checks.exact('rows: all within the dataset', `row ${lastRow} of ${cert.dataset.nRows}`, lastRow < info.nRows ? `row ${lastRow} of ${cert.dataset.nRows}` : `only ${info.nRows} rows`)) return done();
  const indices = selectedIndices(cert.rows.selection, info.nRows, info.name);
  checks.exact('rows: count', cert.rows.count, indices.length);
  const data = loadDatasetForTraining(request.db, info.id);
  checks.exact('rows: SHA-256', cert.rows.sha256, rowsSha256(data, indices));

  const { probs, nOutputs } = await probabilities(request, indices, info.nRows);
  const recomputed = certifiedConstraints(data, indices, probs, nOutputs, cert.settings);
  if (checks.exact('constraint count', cert.constraints.length, recomputed.length)) compareConstraints(checks, cert.constraints, recomputed);
  if (cert.safetyTest) checks.exact('safety test: passed', cert.safetyTest.passed, recomputed.every((c) => c.gUpper <= 0));
  return done();
}
