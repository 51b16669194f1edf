/**
 * The model-inference half of an audit as a job of the training worker (runs/protocol.ts `audit-predict`):
 * what the app asks and what the worker answers. Types only, no TensorFlow.js, so the app's main process
 * can describe the job without loading tfjs (test/unit/main-bundle-tfjs.test.ts).
 */
import type { OnnxPreprocessingRecord } from '../../src-shared/contract/schemas';
import type { BackendPreference } from '../deep/backend-types';
import type { AuditModelSource } from './model-audit';
import type { HashedFile, ModelFiles } from './model-files';

export interface AuditPredictRequest {
  readonly dbPath: string;
  /** better-sqlite3's addon for the worker's runtime, if not the default. */
  readonly nativeBinding?: string;
  readonly datasetId: number;
  readonly source: AuditModelSource;
  /** Resize the images to resize×resize first (null: a run's own input size where it differs, else none). */
  readonly resize: number | null;
  /** The backend chain's preference, as for runs (the worker's local chain). */
  readonly backend: BackendPreference;
  /** The dataset rows to predict, in order; null: all of them. */
  readonly selection: Int32Array | null;
  /** Images per forward pass (default 256); one progress event per batch. */
  readonly batchSize?: number;
  /**
   * Also hash the model's files, for a certificate: a model file's own; a run's as `fairbound run
   * export-model` writes them, and its ONNX export (`--format onnx`) too.
   */
  readonly hashModelFiles?: boolean;
}

/** Inference progress: rows predicted so far of `total`. */
export interface AuditPredictProgress {
  readonly done: number;
  readonly total: number;
}

export interface AuditPredictReply {
  /** Row-major, `nRows × nOutputs`: P(y=1) for a binary model (nOutputs 1), else one column per class. */
  readonly probs: Float64Array;
  readonly nOutputs: number;
  readonly nRows: number;
  /** 'model <path>' or "run <id>'s <which> model", for messages. */
  readonly sourceText: string;
  /**
   * What ran the model, in one line: the TF.js backend the chain selected ('wasm (@tensorflow/… 4.22.0,
   * SIMD, 1 thread)'), or the ONNX Runtime execution provider and why the preferred ones did not run.
   */
  readonly backend: string;
  /** An ONNX model: how its input was fed and its output read. */
  readonly preprocessing?: OnnxPreprocessingRecord;
  /** That process's id (tests check it is not the app's). */
  readonly pid: number;
  /** With hashModelFiles: the model's files and their SHA-256 (audit/model-files.ts). */
  readonly modelFiles?: ModelFiles;
  /** With hashModelFiles, a run's model that has an ONNX form: that file as `run export-model --format onnx` writes it. */
  readonly onnxFile?: HashedFile;
}
