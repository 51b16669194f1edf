/**
 * A pretrained run on a TF.js layers model, exported as a TF.js layers model: the user's model cut where
 * the run cut it (deep/inference.ts cutHead: before its last dense layer), then a softmax Dense layer with
 * the run's head θ (runs/export.ts headThetaAsDense: for a binary run column 1 is the logistic model's
 * P(y=1)), saved as model.json + weights.bin. Its input is the source model's: the images are fed as the
 * run fed them. The source files are read once, checked against the SHA-256 the run recorded, and the
 * model is loaded from those very bytes, so the export never puts the run's head on another body.
 */
import { basename } from 'node:path';
import { InputError } from '../errors/input-error';
import * as tf from '@tensorflow/tfjs';
import type { SafeWriteOptions } from '../data/safe-write';
import { cutHead } from '../deep/inference';
import { saveModel, type SavedModelFiles } from '../deep/export';
import type { RunInfo } from '../store/runs';
import type { PretrainedHead, PretrainedWhich } from './pretrained-export';
import { verifiedSourceFiles } from './pretrained-source-files';

/** The layers model held in `files` (model.json and the weight files its manifest names). */
function loadVerified(run: RunInfo, files: ReadonlyMap<string, Uint8Array>): Promise<tf.LayersModel> {
  const json = files.get('model.json');
  if (!json) throw new Error(`run ${run.id}'s recorded TF.js model has no model.json`);
  const parsed = JSON.parse(Buffer.from(json).toString('utf8')) as tf.io.ModelJSON;
  return tf.loadLayersModel({
    load: () =>
      tf.io.getModelArtifactsForJSON(parsed, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const bytes = files.get(basename(path));
            if (!bytes) throw new Error(`run ${run.id}: model.json names weight file '${path}', which the run did not record`);
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      }),
  });
}

function freeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Writes the source model's body with `head` on top into `outDir` (model.json + weights.bin). */
export async function exportPretrainedTfjs(run: RunInfo, head: PretrainedHead, which: PretrainedWhich, outDir: string, options: SafeWriteOptions = {}): Promise<SavedModelFiles> {
  const source = run.settings.pretrained;
  if (!source || source.kind !== 'tfjs') throw new Error(`run ${run.id} is not a pretrained run on a TF.js model`);
  const model = await loadVerified(run, verifiedSourceFiles(run));
  let dense: tf.layers.Layer | undefined;
  try {
    let body: tf.LayersModel;
    try {
      body = cutHead(model).body;
    } catch (error) {
      throw new InputError(`cannot cut the source model's head: ${error instanceof Error ? error.message : String(error)}`, { file: source.path });
    }
    const cutAt = body.layers[body.layers.length - 1]?.name ?? 'input';
    const latent = body.outputs[0];
    const width = latent.shape[latent.shape.length - 1];
    // The hashes matched, so this holds unless TF.js cuts differently from when the run ran.
    if (cutAt !== head.cutAt || width !== head.inputDim) {
      throw new InputError(`run ${run.id} cut its source model at '${head.cutAt}' (${head.inputDim} latent features); the model now cuts at '${cutAt}' (${String(width)})`, { file: source.path });
    }
    const taken = new Set([...model.layers.map((l) => l.name), ...model.inputLayers.map((l) => l.name)]);
    dense = tf.layers.dense({ units: head.numClasses, activation: 'softmax', name: freeName('fairbound_head', taken) });
    const output = dense.apply(latent) as tf.SymbolicTensor;
    const headLayer = dense;
    tf.tidy(() => headLayer.setWeights([tf.tensor2d(head.kernel, [head.inputDim, head.numClasses]), tf.tensor1d(head.bias)]));
    const exported = tf.model({ inputs: model.inputs, outputs: output, name: freeName(`fairbound_run_${run.id}`, taken) });
    exported.setUserDefinedMetadata({
      fairboundRun: { id: run.id, status: run.status, weights: which, pipeline: run.pipeline, source: source.files.map((f) => ({ ...f })), cutAt: head.cutAt, constraints: run.constraints },
    });
    return await saveModel(exported, outDir, options);
  } finally {
    // The exported model shares the source model's layers: disposing the source and the new head frees all.
    model.dispose();
    dense?.dispose();
  }
}
