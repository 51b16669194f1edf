/**
 * Certificates (src-main/certificate): what a passed run's safety test or an audit concluded, with the
 * SHA-256 of every input it was computed from, so that anyone holding the model file and the dataset can
 * recompute it (`fairbound verify`). The README's "Certificates" section documents the hashed byte layouts.
 */
import { z } from 'zod';
import { count, id, wireNumber, wireNumberOrNull } from '../wire';
import { auditGuarantee, auditInput, auditMatching, auditResult, boundMethod, onnxPreprocessing, verdict } from './audit';
import { delta } from './constraints';
import { path } from './fields';
import { backendPreference } from './runs';

export const CERTIFICATE_FORMAT = 'fairbound-certificate';
/**
 * The schema versions this build reads; a certificate names its own. Version 2 added `model.onnx` (a
 * run's model also as its ONNX export); a version 1 certificate has none and still verifies as before.
 */
export const CERTIFICATE_VERSIONS = [1, 2] as const;
/** The version this build writes. */
export const CERTIFICATE_VERSION = 2;
/** The byte layout of the hashed rows (README, "Certificates"). */
export const ROWS_LAYOUT = 'fairbound-rows-v1';
/**
 * Numbers match when |certified − recomputed| ≤ CERTIFICATE_RELATIVE_TOLERANCE · max(1, |certified|,
 * |recomputed|): relative for magnitudes above 1, absolute below (a bound near 0 has no useful relative
 * error). Equal non-finite values (∞, NaN) match; hashes and verdicts are compared exactly.
 */
export const CERTIFICATE_RELATIVE_TOLERANCE = 1e-6;

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lowercase hexadecimal digits');

/** One file of the model, hashed as it is on disk. */
export const certifiedFile = z.object({ name: z.string().min(1), bytes: count, sha256: sha256Hex });

/**
 * The model's files in a fixed order: a TF.js layers model is its model.json, then each weight file in
 * the order its weightsManifest lists them; any other model (ONNX) or a predictions CSV is its one file.
 */
export const certifiedModel = z.object({
  format: z.enum(['tfjs-layers', 'single-file', 'predictions-csv']),
  files: z.array(certifiedFile).min(1),
  /**
   * A run's model (version 2): the same model as the one ONNX file `fairbound run export-model <id>
   * --format onnx` writes, so that either form Fairbound hands out can be verified. Absent where the
   * model has no ONNX form (a model file, a predictions CSV, a version 1 certificate).
   */
  onnx: certifiedFile.optional(),
});
export type CertifiedModel = z.infer<typeof certifiedModel>;

/** Which dataset rows (stored-order indices), in the order they were audited. */
export const rowSelection = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('range'), start: count, end: count }),
  z.object({ kind: z.literal('indices'), indices: z.array(count) }),
]);
export type RowSelection = z.infer<typeof rowSelection>;

export const certifiedRows = z.object({
  selection: rowSelection,
  /** How the rows were chosen, in words (e.g. the run's split: its shuffle seed and safety share). */
  chosenAs: z.string(),
  count,
  layout: z.literal(ROWS_LAYOUT),
  sha256: sha256Hex,
});

/** Everything the recomputation depends on besides the files: hashed as canonical JSON (settingsSha256). */
export const certificateSettings = z.object({
  constraints: z.array(z.object({ source: z.string().min(1), delta })).min(1),
  mode: auditInput.shape.mode,
  bound: boundMethod,
  /** The images were resized to resize×resize (bilinear) before the model; null: at their own size. */
  resize: z.number().int().min(1).nullable(),
  /** The TF.js backend preference the numbers were computed with (verify uses it unless told otherwise). */
  backend: backendPreference,
  /** A predictions CSV: how its lines are matched to the dataset's rows. */
  matching: auditMatching.optional(),
  /** An ONNX model: the pre-processing options the audit was given (verify gives them again). */
  onnx: onnxPreprocessing.optional(),
  /** A run's certificate: the run's stored settings (provenance; the run's own safety test used them). */
  run: z.record(z.string(), z.unknown()).optional(),
});
export type CertificateSettings = z.infer<typeof certificateSettings>;

export const certifiedNode = z.object({ name: z.string(), n: count, mean: wireNumber, std: wireNumber, lower: wireNumber, upper: wireNumber });
export type CertifiedNode = z.infer<typeof certifiedNode>;

export const certifiedConstraint = z.object({
  source: z.string(),
  parsed: z.string(),
  delta,
  verdict,
  gPoint: wireNumber,
  gLower: wireNumber,
  gUpper: wireNumber,
  /** The safety test's statement (bounds g from above). */
  nodes: z.array(certifiedNode),
  /** The statement that bounds g from below. */
  lowerNodes: z.array(certifiedNode),
});
export type CertifiedConstraint = z.infer<typeof certifiedConstraint>;

export const certificate = z.object({
  format: z.literal(CERTIFICATE_FORMAT),
  version: z.union([z.literal(1), z.literal(2)]),
  kind: z.enum(['run', 'audit']),
  fairboundVersion: z.string(),
  createdAt: z.string(),
  /** What was certified, in words ("run 3's seldonian model", "model /path/model.json"). */
  subject: z.string(),
  dataset: z.object({ name: z.string(), nRows: count, nClasses: count, sensitiveColumns: z.array(z.string()) }),
  model: certifiedModel,
  rows: certifiedRows,
  settings: certificateSettings,
  settingsSha256: sha256Hex,
  /** An audit's: what its verdicts can claim given which rows trained the model. */
  guarantee: auditGuarantee.optional(),
  /** A run's: the safety test passes when every constraint's upper bound is ≤ 0. */
  safetyTest: z
    .object({
      runId: id,
      passed: z.boolean(),
      /** The upper bounds the run itself stored (its head in float64); not compared by verify. */
      storedUpperBounds: z.array(wireNumberOrNull),
    })
    .optional(),
  constraints: z.array(certifiedConstraint).min(1),
  tolerance: z.object({ relative: wireNumber, rule: z.string() }),
});
export type Certificate = z.infer<typeof certificate>;

/** certificates.audit: a finished audit (its input and the result it gave) to certify. */
export const auditCertificateInput = z.object({
  input: auditInput,
  result: auditResult,
  /** Also write it here (server-side path); omitted: only returned (the app downloads it). */
  out: path.optional(),
  /** Replace an existing `out` (the user confirmed); otherwise it is a `conflict`. */
  overwrite: z.boolean().optional(),
});

/** certificates.run: a passed run to certify (its Seldonian model recomputed on its safety rows). */
export const runCertificateInput = z.object({ runId: id, out: path.optional(), overwrite: z.boolean().optional() });

export const certificateWritten = z.object({
  /** A file name to offer (e.g. for a download). */
  fileName: z.string(),
  /** The certificate as written: pretty-printed JSON. */
  json: z.string(),
  /** Where it was written, or null. */
  written: path.nullable(),
});
export type CertificateWritten = z.infer<typeof certificateWritten>;
