/**
 * trainClassifier's drop-in for the GPU window: same arguments, same result, the model's weights updated in
 * place, but the batches run in the desktop app's hidden GPU window (backend-gpu-window.ts). A caller whose
 * chain chose `webgpu`/`webgl` (LoadedBackend.where === 'gpu-window') swaps the function and keeps the rest
 * (latents, the QSA) on its own in-process backend.
 *
 * The job carries the model's architecture (from the metadata buildModel stores in it) and its current
 * weights by value, so the page starts from exactly this model, not from a re-drawn one; the trained
 * weights (batch-norm statistics included) come back and replace the model's. Imports TF.js: not for the
 * Electron main process, which only relays (src-main/shell/gpu-window.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import type { GpuBackendName, TrainedReply } from '../../src-shared/contract/gpu-trainer';
import type { ModelMetadata } from './architectures';
import type { TrainHandlers, TrainJob } from './backend-gpu-window';
import { resolveRows, type ImageSet, type RowSelection } from './images';
import type { TrainOptions, TrainResult } from './train';
import { getWeightsByValue, setWeights } from './weights';

/** Whatever carries a job to the page: GpuTrainerClient.train in main, a message relay in the worker. */
export type GpuWindowTrain = (job: TrainJob, handlers: TrainHandlers) => Promise<TrainedReply>;

function metadataOf(model: tf.LayersModel): ModelMetadata {
  const meta = (model.getUserDefinedMetadata() as { fairbound?: ModelMetadata } | undefined)?.fairbound;
  if (meta === undefined) throw new Error(`trainOnGpuWindow: model '${model.name}' was not built by buildModel (no architecture metadata)`);
  return meta;
}

/**
 * Trains `model` in the GPU window on `rows`, like trainClassifier (progress per batch through
 * options.onBatch, cancel through options.signal: the promise rejects with a CancelledError and the model
 * keeps its weights from before the call).
 */
export async function trainOnGpuWindow(
  train: GpuWindowTrain,
  backend: GpuBackendName,
  model: tf.LayersModel,
  images: ImageSet,
  labels: Int32Array,
  rows: RowSelection,
  options: TrainOptions,
): Promise<TrainResult> {
  const meta = metadataOf(model);
  const { signal, onBatch, ...rest } = options;
  const job: TrainJob = {
    backend,
    model: {
      architecture: { name: meta.architecture, description: '', defaultInputShape: meta.inputShape, layers: meta.layers },
      inputShape: meta.inputShape,
      numClasses: meta.numClasses,
      seed: meta.seed,
      init: meta.init,
      initialWeights: getWeightsByValue(model),
    },
    images,
    labels,
    rows: resolveRows(rows, images.n, 'trainOnGpuWindow'),
    options: rest,
  };
  const trained = await train(job, { ...(signal ? { signal } : {}), ...(onBatch ? { onProgress: onBatch } : {}) });
  setWeights(model, trained.weights);
  return trained.result;
}
