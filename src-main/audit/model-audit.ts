/**
 * The model half of an audit, shared by `fairbound audit --model/--run` (cli/commands/audit.ts) and the
 * app's audit.run route (services/audit.ts): open the model (a TF.js layers model file or a stored run's
 * model), fit the dataset's images (selected rows, resize) to its input, and turn its outputs into the
 * audit's class probabilities.
 */
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors/input-error';
import { MODEL_JSON, saveModel } from '../deep/export';
import { hashedFile, modelFiles, ONNX_EXPORT_NAME, type HashedFile, type ModelFiles } from './model-files';
import type { ImageSet } from '../deep/images';
import type { LabelledRows } from '../engine/data';
import { builtFromArchitecture } from '../deep/onnx/tfjs-model';
import { exportRunModelOnnx, runModel, type ExportedModel } from '../runs/export';
import type { ReadableDB } from '../store/database';
import { describeLoaded, selectBackend } from '../deep/backends';
import { getDataset, loadDatasetForTraining, type TrainingData } from '../store/datasets';
import { getRun } from '../store/runs';
import { checkClassCount, imagesForModel, loadAuditModel, modelInputShape, modelOutputForm, modelPredictions, type ModelPredictionOptions } from './model-source';
import type { OnnxPreprocessing } from '../../src-shared/contract/schemas';
import { isOnnxPath, predictOnnx } from './onnx/predict';
import { predictPretrainedRun } from './pretrained-predict';
import type { AuditPredictReply, AuditPredictRequest } from './predict-types';
import type { Predictions } from './predictions';
import { selectRows } from './select-rows';

/** A model file (TF.js layers, or ONNX with its pre-processing) or a stored run's model. */
export type AuditModelSource =
  | { readonly kind: 'model'; readonly path: string; readonly onnx?: OnnxPreprocessing }
  | { readonly kind: 'run'; readonly id: number; readonly which: ExportedModel };

export interface OpenedAuditModel {
  readonly model: tf.LayersModel;
  /** 'model <path>' or "run <id>'s <which> model", for messages. */
  readonly sourceText: string;
  /** The resize to use: the one asked for, else a run's own input size where it differs from the images'. */
  readonly resize: number | null;
}

/** Opens the audited model; the caller disposes it. A run's dataset must hold images. */
export async function openAuditModel(db: ReadableDB, source: AuditModelSource, data: TrainingData, datasetName: string, resize: number | null): Promise<OpenedAuditModel> {
  if (!data.images) throw new InputError(`dataset '${datasetName}' holds numeric features, not images: a model is audited on an image dataset (audit its predictions instead)`);
  if (source.kind === 'model') {
    if (isOnnxPath(source.path)) throw new InputError(`${source.path} is an ONNX model: ONNX Runtime runs it (audit/onnx/), it is not opened as a TF.js model`, { file: source.path });
    return { model: await loadAuditModel(source.path), sourceText: `model ${source.path}`, resize };
  }
  const run = getRun(db, source.id);
  if (!run) throw new InputError(`no run ${source.id} in this workspace`);
  const model = runModel(db, source.id, source.which);
  const s = run.settings;
  const fitted = resize === null && (s.inputShape[0] !== data.images.height || s.inputShape[1] !== data.images.width) ? s.inputShape[0] : resize;
  return { model, sourceText: `run ${source.id}'s ${source.which} model`, resize: fitted };
}

/** The dataset's images for the model (the selected rows, default all) and the matching labelled rows. */
export function auditImages(
  opened: OpenedAuditModel,
  data: TrainingData,
  datasetName: string,
  selection: Int32Array | undefined,
): { readonly images: ImageSet; readonly audited: LabelledRows } {
  if (!data.images) throw new InputError(`dataset '${datasetName}' holds numeric features, not images`);
  const inputShape = modelInputShape(opened.model, opened.sourceText);
  const images = imagesForModel(
    { pixels: data.images.pixels, n: data.nRows, height: data.images.height, width: data.images.width, channels: data.images.channels },
    inputShape,
    { source: opened.sourceText, dataset: datasetName, resize: opened.resize, rows: selection },
  );
  return { images, audited: selection ? selectRows(data, selection) : data };
}

/** The model's class probabilities on the images, after checking its class count against the dataset's. */
export async function auditModelPredictions(
  opened: OpenedAuditModel,
  images: ImageSet,
  nClasses: number,
  datasetName: string,
  options: ModelPredictionOptions = {},
): Promise<Predictions> {
  const form = modelOutputForm(opened.model, opened.sourceText);
  checkClassCount(form, nClasses, opened.sourceText, datasetName);
  return modelPredictions(opened.model, images, form, options);
}

/**
 * The model half of an audit in this process, end to end: the backend chain (as for runs), the model,
 * the selected rows' images fitted to it, and its probabilities batch by batch (progress per batch, a
 * cancel between batches throws CancelledError). The training worker runs it for the app, so that
 * TensorFlow.js never loads in the app's main process (runs/worker-serve.ts, `audit-predict`); the CLI
 * runs the same steps in its own process (cli/commands/audit.ts, which also retrains heads).
 */
export async function predictAuditRows(
  db: ReadableDB,
  request: Omit<AuditPredictRequest, 'dbPath' | 'nativeBinding'>,
  options: Pick<ModelPredictionOptions, 'signal' | 'onProgress'> = {},
): Promise<AuditPredictReply> {
  const info = getDataset(db, request.datasetId);
  if (!info) throw new InputError(`no dataset ${request.datasetId} in this workspace`);
  const data = loadDatasetForTraining(db, info.id);
  if (!data.images) throw new InputError(`dataset '${info.name}' holds numeric features, not images: a model is audited on an image dataset (audit its predictions instead)`);
  if (request.source.kind === 'model' && isOnnxPath(request.source.path)) {
    const rows = request.selection ?? undefined;
    const predicted = await predictOnnx(request.source.path, { pixels: data.images.pixels, n: data.nRows, height: data.images.height, width: data.images.width, channels: data.images.channels }, rows, info.nClasses, info.name, {
      preprocessing: request.source.onnx ?? {},
      resize: request.resize,
      ...options,
      ...(request.batchSize !== undefined ? { batchSize: request.batchSize } : {}),
    });
    const nRows = rows ? rows.length : data.nRows;
    return { probs: predicted.probs, nOutputs: predicted.nOutputs, nRows, sourceText: `model ${request.source.path}`, backend: predicted.backendText, preprocessing: predicted.record, pid: process.pid };
  }
  const run = request.source.kind === 'run' ? getRun(db, request.source.id) : undefined;
  if (run?.settings.pretrained && request.source.kind === 'run') {
    const images = { pixels: data.images.pixels, n: data.nRows, height: data.images.height, width: data.images.width, channels: data.images.channels };
    return predictPretrainedRun(db, run, request.source.which, request, images, info, options);
  }
  if (request.source.kind === 'model' && request.source.onnx !== undefined) {
    throw new InputError('the pre-processing options (layout, normalize, channels, output, positive class) apply to an ONNX model (a .onnx file)', { file: request.source.path });
  }
  const backend = await selectBackend(request.backend);
  const opened = await openAuditModel(db, request.source, data, info.name, request.resize);
  try {
    const modelFiles = request.hashModelFiles ? await hashedModelFiles(opened.model, request.source) : undefined;
    const onnxFile = request.hashModelFiles ? hashedOnnxExport(db, opened.model, request.source) : undefined;
    const { images } = auditImages(opened, data, info.name, request.selection ?? undefined);
    const predictions = await auditModelPredictions(opened, images, info.nClasses, info.name, { ...options, ...(request.batchSize !== undefined ? { batchSize: request.batchSize } : {}) });
    return { probs: predictions.probs, nOutputs: predictions.nOutputs, nRows: images.n, sourceText: opened.sourceText, backend: `${backend.name} (${describeLoaded(backend)})`, pid: process.pid, ...(modelFiles ? { modelFiles } : {}), ...(onnxFile ? { onnxFile } : {}) };
  } finally {
    opened.model.dispose();
  }
}

/**
 * A run's model written as `fairbound run export-model --format onnx` writes it, then hashed (the export
 * is deterministic: the same run gives the same bytes). Undefined for a model file, or a run's model with
 * no ONNX form (not built from a Fairbound architecture: that export refuses it too).
 */
function hashedOnnxExport(db: ReadableDB, model: tf.LayersModel, source: AuditModelSource): HashedFile | undefined {
  if (source.kind !== 'run' || !builtFromArchitecture(model)) return undefined;
  const folder = mkdtempSync(join(tmpdir(), 'fairbound-onnx-'));
  try {
    const file = join(folder, ONNX_EXPORT_NAME);
    exportRunModelOnnx(db, source.id, file, source.which);
    return hashedFile(file);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A model file's own files; a run's model saved as `fairbound run export-model` saves it, then hashed. */
async function hashedModelFiles(model: tf.LayersModel, source: AuditModelSource): Promise<ModelFiles> {
  if (source.kind === 'model') return modelFiles(source.path);
  const folder = mkdtempSync(join(tmpdir(), 'fairbound-model-'));
  try {
    await saveModel(model, folder);
    return modelFiles(join(folder, MODEL_JSON));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
