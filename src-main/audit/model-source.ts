/**
 * Auditing a model rather than a predictions file: a TF.js layers model (exported by `fairbound run
 * export-model`, or converted from Keras) or a stored run's model is run over the dataset's images in
 * inference mode, and its class probabilities become the audit's predictions. Pixels are scaled to
 * [0, 1] as in training; images are resized bilinearly first when asked (runs/resize.ts).
 *
 * Accepted model endings: a dense head on logits (softmax applied here), a softmax (dense activation or
 * a Softmax / Activation layer), or one sigmoid unit for a binary model (its output is P(y=1)).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors/input-error';
import { CancelledError } from '../deep/cancel';
import { loadModel, MODEL_JSON } from '../deep/export';
import { BatchReader, type ImageSet } from '../deep/images';
import { resizeImages } from '../deep/resize';
import type { Predictions } from './predictions';

export type ModelOutputKind = 'logits' | 'probabilities' | 'sigmoid';

export interface ModelOutputForm {
  readonly kind: ModelOutputKind;
  /** Classes the model tells apart (2 for a one-unit sigmoid). */
  readonly classes: number;
  /** The model's output shape as tfjs reports it, e.g. [null, 2]. */
  readonly outputShape: readonly (number | null)[];
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/** How the model's output reads as class probabilities; InputError naming the shape when it does not. */
export function modelOutputForm(model: tf.LayersModel, source: string): ModelOutputForm {
  if (model.outputs.length !== 1) throw new InputError(`${source} has ${model.outputs.length} outputs; an audited classifier needs one`);
  const outputShape = model.outputs[0].shape;
  const k = outputShape[outputShape.length - 1];
  if (outputShape.length !== 2 || typeof k !== 'number') throw new InputError(`${source} outputs shape ${shapeText(outputShape)}; a classifier outputs [null, K]`);
  const last = model.layers[model.layers.length - 1];
  const className = last.getClassName();
  const activation = String(last.getConfig().activation ?? (className === 'Softmax' ? 'softmax' : 'linear'));
  if (k === 1) {
    if (activation === 'sigmoid') return { kind: 'sigmoid', classes: 2, outputShape };
    throw new InputError(`${source} has one output unit with activation '${activation}': a one-unit binary classifier must end in a sigmoid`);
  }
  if (activation === 'softmax') return { kind: 'probabilities', classes: k, outputShape };
  if (activation === 'linear' && className === 'Dense') return { kind: 'logits', classes: k, outputShape };
  throw new InputError(`${source} ends in a ${className} layer with activation '${activation}': expected a dense head on logits, a softmax, or one sigmoid unit`);
}

/** [height, width, channels] the model takes; InputError unless it takes NHWC images of a fixed size. */
export function modelInputShape(model: tf.LayersModel, source: string): [number, number, number] {
  const shape = model.inputs[0].shape;
  if (model.inputs.length !== 1 || shape.length !== 4 || shape.slice(1).some((d) => typeof d !== 'number')) {
    throw new InputError(`${source} takes input of shape ${shapeText(shape)}; an image model takes [null, height, width, channels]`);
  }
  return [shape[1] as number, shape[2] as number, shape[3] as number];
}

/**
 * The dataset's images (the selected rows, default all) ready for the model: resized to resize×resize when
 * asked, then checked against the model's input shape. The error names both shapes.
 */
export function imagesForModel(
  images: ImageSet,
  expected: readonly [number, number, number],
  where: { readonly source: string; readonly dataset: string; readonly resize: number | null; readonly rows?: Int32Array },
): ImageSet {
  const { resize } = where;
  const fitted = resize !== null ? resizeImages(images, resize, resize, where.rows) : where.rows ? resizeImages(images, images.height, images.width, where.rows) : images;
  const actual = [fitted.height, fitted.width, fitted.channels];
  if (actual[0] !== expected[0] || actual[1] !== expected[1] || actual[2] !== expected[2]) {
    const hint =
      actual[2] !== expected[2]
        ? ` (the channel counts differ: ${expected[2]} expected, the dataset's images have ${actual[2]})`
        : resize === null
          ? ` (give --resize ${expected[0] === expected[1] ? expected[0] : '<size>'} to resize them bilinearly)`
          : '';
    const source = `${images.height}×${images.width}×${images.channels}`;
    throw new InputError(
      `${where.source} expects input shape ${expected.join('×')} (height×width×channels) but dataset '${where.dataset}' gives ` +
        `${actual.join('×')}${resize !== null ? ` (its ${source} images resized with --resize ${resize})` : ''}${hint}`,
    );
  }
  return fitted;
}

/** The model's class count must be the dataset's. */
export function checkClassCount(form: ModelOutputForm, nClasses: number, source: string, dataset: string): void {
  if (form.classes !== nClasses) {
    throw new InputError(
      `${source} outputs shape ${shapeText(form.outputShape)} (${form.classes} classes) but dataset '${dataset}' has ${nClasses} classes`,
    );
  }
}

export interface ModelPredictionOptions {
  /** Images per forward pass (default 256). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The model's probabilities for every image, in the audit's layout: one column P(y=1) for a 2-class model
 * (its softmax column 1, or its sigmoid), K columns otherwise. Inference mode, float32 widened to float64.
 */
export async function modelPredictions(model: tf.LayersModel, images: ImageSet, form: ModelOutputForm, options: ModelPredictionOptions = {}): Promise<Predictions> {
  const batchSize = options.batchSize ?? 256;
  const k = form.kind === 'sigmoid' ? 1 : form.classes;
  const nOutputs = form.classes === 2 ? 1 : form.classes;
  const probs = new Float64Array(images.n * nOutputs);
  const reader = new BatchReader(images, batchSize);
  const rows = Int32Array.from({ length: images.n }, (_, i) => i);
  for (let from = 0; from < images.n; from += batchSize) {
    if (options.signal?.aborted) throw new CancelledError(`cancelled after ${from} of ${images.n} rows`);
    const count = Math.min(batchSize, images.n - from);
    const output = tf.tidy(() => {
      const raw = model.apply(reader.batch(rows, from, count), { training: false }) as tf.Tensor2D;
      return form.kind === 'logits' ? tf.softmax(raw) : raw;
    });
    let values: Float32Array;
    try {
      values = (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
    for (let i = 0; i < count; i++) {
      const row = from + i;
      if (nOutputs === 1) probs[row] = form.kind === 'sigmoid' ? values[i] : values[i * k + 1];
      else for (let c = 0; c < k; c++) probs[row * k + c] = values[i * k + c];
    }
    options.onProgress?.(from + count, images.n);
    // A cancellable caller (the training worker) hears its cancel as a message: let the event loop run
    // between batches, since a CPU backend's data() settles without ever yielding to it.
    if (options.signal && from + count < images.n) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { probs, nOutputs };
}

/**
 * Loads a TF.js layers model from its folder or its model.json path (weights next to it). Unreadable or
 * malformed files are an InputError naming the path.
 */
export async function loadAuditModel(path: string): Promise<tf.LayersModel> {
  if (!existsSync(path)) throw new InputError(`no such model: ${path} (give a TF.js layers model.json or its folder)`, { file: path });
  let dir = path;
  if (!statSync(path).isDirectory()) {
    if (basename(path) !== MODEL_JSON) throw new InputError(`a TF.js layers model is read from a file named ${MODEL_JSON} (weights next to it), got ${basename(path)}`, { file: path });
    dir = dirname(path);
  } else if (!existsSync(join(dir, MODEL_JSON))) {
    // Said plainly rather than as the loader's ENOENT: a folder was given, the model's file is not in it.
    throw new InputError(`no ${MODEL_JSON} in this folder: a TF.js layers model folder holds ${MODEL_JSON} and its weights`, { file: join(dir, MODEL_JSON) });
  }
  try {
    return await loadModel(dir);
  } catch (error) {
    throw new InputError(`cannot load the model: ${error instanceof Error ? error.message : String(error)}`, { file: path });
  }
}

// Re-exported: the row selection moved to a tfjs-free module (the app's main process uses it).
export { selectRows } from './select-rows';
