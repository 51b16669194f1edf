/**
 * A stored pretrained run's model, audited or certified: its ONNX export (runs/pretrained-export.ts, the
 * source graph cut at the latent tensor plus the run's head, the very file `fairbound run export-model
 * <id> --format onnx` writes) run by ONNX Runtime as any ONNX audit is, with the run's recorded input
 * pre-processing. A run on a TF.js model has no such export yet, and is refused here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageSet } from '../deep/images';
import { exportRunModelOnnx, type ExportedModel } from '../runs/export';
import { pretrainedExportPreprocessing, requireOnnxPretrained } from '../runs/pretrained-export';
import type { ReadableDB } from '../store/database';
import type { RunInfo } from '../store/runs';
import { hashedFile } from './model-files';
import type { ModelPredictionOptions } from './model-source';
import { predictOnnx } from './onnx/predict';
import type { AuditPredictReply, AuditPredictRequest } from './predict-types';

/** The export's file name in certificates and messages. */
export function pretrainedExportName(run: RunInfo, which: ExportedModel): string {
  return `fairbound-run-${run.id}-${which}.onnx`;
}

/** The run's `which` model on the request's rows: written as its ONNX export, hashed when asked, then run. */
export async function predictPretrainedRun(
  db: ReadableDB,
  run: RunInfo,
  which: ExportedModel,
  request: Omit<AuditPredictRequest, 'dbPath' | 'nativeBinding'>,
  images: ImageSet,
  dataset: { readonly name: string; readonly nClasses: number },
  options: Pick<ModelPredictionOptions, 'signal' | 'onProgress'>,
): Promise<AuditPredictReply> {
  requireOnnxPretrained(run, 'an audit or certificate');
  const folder = mkdtempSync(join(tmpdir(), 'fairbound-pretrained-'));
  try {
    const file = join(folder, pretrainedExportName(run, which));
    exportRunModelOnnx(db, run.id, file, which);
    const rows = request.selection ?? undefined;
    const predicted = await predictOnnx(file, images, rows, dataset.nClasses, dataset.name, {
      preprocessing: pretrainedExportPreprocessing(run),
      resize: request.resize ?? run.settings.resize,
      ...options,
      ...(request.batchSize !== undefined ? { batchSize: request.batchSize } : {}),
    });
    return {
      probs: predicted.probs,
      nOutputs: predicted.nOutputs,
      nRows: rows ? rows.length : images.n,
      sourceText: `run ${run.id}'s ${which} model (pretrained: the ONNX export of ${run.settings.pretrained?.path}, cut at '${run.result?.pretrainedBody?.cutAt ?? '?'}', with the run's head; the source model's training rows are unknown to Fairbound)`,
      backend: predicted.backendText,
      preprocessing: predicted.record,
      pid: process.pid,
      ...(request.hashModelFiles ? { modelFiles: { format: 'single-file' as const, files: [hashedFile(file)] } } : {}),
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
