/** What a run export writes (no TensorFlow.js here: the worker protocol and the services import it). */
import type { ExportedModel } from './export';

/** One export of a finished run into `outDir`: its model (TF.js layers, or one ONNX file) or its head QSA as a case. */
export type RunExportRequest =
  | { readonly artifact: 'tfjs-model' | 'onnx-model'; readonly runId: number; readonly outDir: string; readonly which: ExportedModel; readonly overwrite: boolean }
  | { readonly artifact: 'latents-case'; readonly runId: number; readonly outDir: string; readonly overwrite: boolean };

/** The one file an `onnx-model` export writes into its folder. */
export const ONNX_MODEL_FILE = 'model.onnx';
