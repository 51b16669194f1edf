/** A RunExportRequest carried out (in the worker process: the model export loads TensorFlow.js). */
import type { ReadableDB } from '../store/database';
import { exportLatentsCase, exportRunModel } from './export';
import type { RunExportRequest } from './export-types';

/** Writes the export; resolves with the files written. */
export async function runExport(db: ReadableDB, request: RunExportRequest): Promise<string[]> {
  const options = { overwrite: request.overwrite };
  if (request.artifact === 'latents-case') {
    const files = exportLatentsCase(db, request.runId, request.outDir, options);
    return [files.spec, files.data, files.metadata, files.thetaInit];
  }
  const files = await exportRunModel(db, request.runId, request.outDir, request.which, options);
  return [files.modelJson, files.weightsBin];
}
