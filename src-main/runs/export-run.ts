/** A RunExportRequest carried out (in the worker process: the model export loads TensorFlow.js). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadableDB } from '../store/database';
import { exportLatentsCase, exportRunModel, exportRunModelOnnx } from './export';
import { ONNX_MODEL_FILE, type RunExportRequest } from './export-types';

/** Writes the export; resolves with the files written. */
export async function runExport(db: ReadableDB, request: RunExportRequest): Promise<string[]> {
  const options = { overwrite: request.overwrite };
  if (request.artifact === 'latents-case') {
    const files = exportLatentsCase(db, request.runId, request.outDir, options);
    return [files.spec, files.data, files.metadata, files.thetaInit];
  }
  if (request.artifact === 'onnx-model') {
    mkdirSync(request.outDir, { recursive: true });
    return [exportRunModelOnnx(db, request.runId, join(request.outDir, ONNX_MODEL_FILE), request.which, options).path];
  }
  const files = await exportRunModel(db, request.runId, request.outDir, request.which, options);
  return [files.modelJson, files.weightsBin];
}
