/**
 * A stored pretrained run's model, audited or certified as its export, the very files `fairbound run
 * export-model <id>` writes: for a run on an ONNX model its ONNX export (runs/pretrained-export.ts: the
 * source graph cut at the latent tensor plus the run's head), run by ONNX Runtime with the run's recorded
 * input pre-processing; for a run on a TF.js model its TF.js layers export (runs/pretrained-tfjs-export.ts:
 * the source model's body plus the run's head), run on the TF.js backend chain as `audit --model` runs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLoaded, selectBackend } from '../deep/backends';
import { MODEL_JSON } from '../deep/export';
import type { ImageSet } from '../deep/images';
import { exportRunModel, exportRunModelOnnx, type ExportedModel } from '../runs/export';
import { pretrainedExportPreprocessing } from '../runs/pretrained-export';
import type { ReadableDB } from '../store/database';
import type { RunInfo } from '../store/runs';
import { hashedFile, modelFiles } from './model-files';
import { checkClassCount, imagesForModel, loadAuditModel, modelInputShape, modelOutputForm, modelPredictions, type ModelPredictionOptions } from './model-source';
import { predictOnnx } from './onnx/predict';
import type { AuditPredictReply, AuditPredictRequest } from './predict-types';

/** The ONNX export's file name in certificates and messages. */
export function pretrainedExportName(run: RunInfo, which: ExportedModel): string {
  return `fairbound-run-${run.id}-${which}.onnx`;
}

type Request = Omit<AuditPredictRequest, 'dbPath' | 'nativeBinding'>;
type Options = Pick<ModelPredictionOptions, 'signal' | 'onProgress'>;
interface DatasetOf {
  readonly name: string;
  readonly nClasses: number;
}

function unknownRowsText(run: RunInfo, which: ExportedModel, form: string): string {
  const cutAt = run.result?.pretrainedBody?.cutAt ?? '?';
  return `run ${run.id}'s ${which} model (pretrained: the ${form} export of ${run.settings.pretrained?.path}, cut at '${cutAt}', with the run's head; the source model's training rows are unknown to Fairbound)`;
}

/** The run's `which` model on the request's rows: written as its export, hashed when asked, then run. */
export async function predictPretrainedRun(db: ReadableDB, run: RunInfo, which: ExportedModel, request: Request, images: ImageSet, dataset: DatasetOf, options: Options): Promise<AuditPredictReply> {
  const folder = mkdtempSync(join(tmpdir(), 'fairbound-pretrained-'));
  try {
    return run.settings.pretrained?.kind === 'tfjs'
      ? await predictTfjsExport(db, run, which, request, images, dataset, options, folder)
      : await predictOnnxExport(db, run, which, request, images, dataset, options, folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function predictOnnxExport(db: ReadableDB, run: RunInfo, which: ExportedModel, request: Request, images: ImageSet, dataset: DatasetOf, options: Options, folder: string): Promise<AuditPredictReply> {
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
    sourceText: unknownRowsText(run, which, 'ONNX'),
    backend: predicted.backendText,
    preprocessing: predicted.record,
    pid: process.pid,
    ...(request.hashModelFiles ? { modelFiles: { format: 'single-file' as const, files: [hashedFile(file)] } } : {}),
  };
}

/** As predictAuditRows runs a model.json (`audit --model`), on the export written into `folder`. */
async function predictTfjsExport(db: ReadableDB, run: RunInfo, which: ExportedModel, request: Request, images: ImageSet, dataset: DatasetOf, options: Options, folder: string): Promise<AuditPredictReply> {
  const backend = await selectBackend(request.backend);
  await exportRunModel(db, run.id, folder, which);
  const modelJson = join(folder, MODEL_JSON);
  const model = await loadAuditModel(modelJson);
  try {
    const sourceText = unknownRowsText(run, which, 'TF.js');
    const form = modelOutputForm(model, sourceText);
    checkClassCount(form, dataset.nClasses, sourceText, dataset.name);
    const fitted = imagesForModel(images, modelInputShape(model, sourceText), { source: sourceText, dataset: dataset.name, resize: request.resize ?? run.settings.resize, ...(request.selection ? { rows: request.selection } : {}) });
    const predictions = await modelPredictions(model, fitted, form, { ...options, ...(request.batchSize !== undefined ? { batchSize: request.batchSize } : {}) });
    return {
      probs: predictions.probs,
      nOutputs: predictions.nOutputs,
      nRows: fitted.n,
      sourceText,
      backend: `${backend.name} (${describeLoaded(backend)})`,
      pid: process.pid,
      ...(request.hashModelFiles ? { modelFiles: modelFiles(modelJson) } : {}),
    };
  } finally {
    model.dispose();
  }
}
