/**
 * How a pretrained run reads its source model in the process that runs it (runs/pipeline-steps.ts's
 * PretrainedBodyPort): an ONNX model cut where the run was checked to cut it, run by ONNX Runtime with the
 * recorded pre-processing (onnx/latents.ts); a TF.js layers model cut before its last dense layer, run on
 * the run's backend chain (deep/inference.ts). The files must still hash as they did when the run was
 * queued, so the stored run describes the model it ran on.
 */
import * as tf from '@tensorflow/tfjs';
import { cutHead, extractLatents, latentDim } from '../deep/inference';
import { selectBackend } from '../deep/backends';
import { InputError } from '../errors/input-error';
import type { PretrainedBodyPort, PretrainedLatents, PretrainedStepContext } from '../runs/pipeline-steps';
import type { RunInfo } from '../store/runs';
import type { PretrainedSource } from '../../src-shared/domain/runs';
import { modelFiles } from './model-files';
import { imagesForModel, loadAuditModel, modelInputShape } from './model-source';
import { onnxLatents } from './onnx/latents';

function sourceOf(info: RunInfo): PretrainedSource {
  const source = info.settings.pretrained;
  if (!source) throw new Error(`run ${info.id} has no pretrained source model`);
  return source;
}

/** Refuses a model whose files are no longer the ones the run recorded. */
function checkUnchanged(runId: number, source: PretrainedSource): void {
  const now = modelFiles(source.path).files;
  const changed = source.files.find((f, i) => now[i]?.name !== f.name || now[i]?.sha256 !== f.sha256);
  if (changed !== undefined || now.length !== source.files.length) {
    throw new InputError(`run ${runId}'s model changed after the run was queued (${changed?.name ?? 'its file list'} no longer has the SHA-256 recorded): queue a new run`, { file: source.path });
  }
}

async function onnxBody(c: PretrainedStepContext, source: PretrainedSource, onProgress: (done: number, total: number) => void): Promise<PretrainedLatents> {
  const s = c.info.settings;
  const images = c.data.images;
  const got = await onnxLatents(source.path, images, Int32Array.from({ length: images.n }, (_, i) => i), c.info.datasetName, {
    preprocessing: { ...source.preprocessing, normalize: source.preprocessing?.normalize?.map((n) => ({ ...n })) },
    resize: s.resize,
    ...(source.latentOutput !== null ? { latentOutput: source.latentOutput } : {}),
    signal: c.signal,
    onProgress,
  });
  return { latents: got.latents, dim: got.dim, body: { cutAt: got.cutAt, replacedHead: got.replacedHead, computedBy: got.backendText } };
}

async function tfjsBody(c: PretrainedStepContext, source: PretrainedSource, onProgress: (done: number, total: number) => void): Promise<PretrainedLatents> {
  const model = await loadAuditModel(source.path);
  try {
    const sourceText = `model ${source.path}`;
    const images = imagesForModel(c.data.images, modelInputShape(model, sourceText), { source: sourceText, dataset: c.info.datasetName, resize: c.info.settings.resize });
    let cut;
    try {
      cut = cutHead(model);
    } catch (error) {
      throw new InputError(`cannot cut the model's head: ${error instanceof Error ? error.message : String(error)}`, { file: source.path });
    }
    const dim = latentDim(model);
    const latents = await extractLatents(model, images, { batchSize: 256, signal: c.signal, onProgress });
    const layers = cut.body.layers;
    return {
      latents,
      dim,
      body: { cutAt: layers[layers.length - 1]?.name ?? 'input', replacedHead: { inputDim: cut.headWeights.inputDim, units: cut.headWeights.units }, computedBy: `TF.js backend ${tf.getBackend()}` },
    };
  } finally {
    model.dispose();
  }
}

export const pretrainedBodyPort: PretrainedBodyPort = {
  async backend(info, loaders) {
    const source = sourceOf(info);
    if (source.kind === 'tfjs') return selectBackend(info.backendPreference, loaders, { syncReads: true });
    // Nothing runs on TF.js: its pure-JS backend is recorded; what computed the latents (ONNX Runtime and its
    // execution provider) is the result's pretrainedBody.computedBy.
    return selectBackend('cpu', loaders, { syncReads: true });
  },
  async latents(c) {
    const source = sourceOf(c.info);
    checkUnchanged(c.runId, source);
    const onProgress = (done: number, total: number): void => {
      c.pollCancel();
      c.emit({ type: 'latents', runId: c.runId, done, total });
    };
    return source.kind === 'onnx' ? onnxBody(c, source, onProgress) : tfjsBody(c, source, onProgress);
  },
};
