/**
 * Inference on a trained CNN: the head (its last dense layer) cut off, latent features = the body's output
 * for every row, and class probabilities. Always in inference mode, so batch norm uses its moving
 * statistics and a row's output does not depend on which other rows share its batch.
 *
 * Where tfjs computes on the CPU (wasm, cpu), the rows go through ONNX Runtime instead (deep/onnx: the
 * same architecture and weights as an ONNX graph, on MLAS kernels with one thread per core), 2–4× faster
 * than tfjs-wasm's single thread; a GPU or libtensorflow backend keeps the rows in tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { headActivation, inputShapeOf, numClassesOf, type HeadActivation } from './architectures';
import { BatchReader, resolveRows, validateImageSet, type ImageSet, type RowSelection } from './images';
import { CancelledError } from './cancel';
import { builtFromArchitecture } from './onnx/tfjs-model';

export interface HeadWeights {
  /** inputDim × units, row-major (Keras's layout: kernel[i·units + k] weighs input i for class k). */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly inputDim: number;
  readonly units: number;
  readonly activation: HeadActivation;
}

export interface CutModel {
  /**
   * The model up to the head's input. It shares layers (and so weights) with the full model: dispose
   * the full model, not the body.
   */
  readonly body: tf.LayersModel;
  /** Copies of the trained head's weights. */
  readonly headWeights: HeadWeights;
}

export interface InferenceOptions {
  /** Images per forward pass (default 256). */
  readonly batchSize?: number;
  /** Default: every row, in order. Output row k belongs to rows[k]. */
  readonly rows?: RowSelection;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Who computes: `tfjs` (the active backend), `onnx` (ONNX Runtime on the CPU) or `auto` (default):
   * onnx where the active tfjs backend is wasm or cpu.
   */
  readonly engine?: InferenceEngine;
}

export type InferenceEngine = 'auto' | 'tfjs' | 'onnx';

/** CPU backends that ONNX Runtime outruns; tensorflow (maybe CUDA) and the GPU backends keep the work. */
const ONNX_REPLACES = new Set(['wasm', 'cpu']);

/** Whether ONNX Runtime takes over Fairbound's own CNNs from the tfjs backend of this name (wasm, cpu). */
export function onnxReplaces(backend: string): boolean {
  return ONNX_REPLACES.has(backend);
}

/** Whether `engine` means ONNX Runtime under the active tfjs backend. */
export function usesOnnx(engine: InferenceEngine = 'auto'): boolean {
  return engine === 'onnx' || (engine === 'auto' && onnxReplaces(tf.getBackend()));
}

/** usesOnnx for this model: `auto` keeps a layers model Fairbound did not build (e.g. a user's, audited) on TF.js. */
export function onnxFor(model: tf.LayersModel, engine: InferenceEngine = 'auto'): boolean {
  return usesOnnx(engine) && (engine === 'onnx' || builtFromArchitecture(model));
}

const bodies = new WeakMap<tf.LayersModel, tf.LayersModel>();

function headLayer(model: tf.LayersModel): tf.layers.Layer {
  headActivation(model); // throws unless the model ends in a dense head
  return model.layers[model.layers.length - 1];
}

/** The sub-model from the input to the head's input; built once per model. */
export function bodyOf(model: tf.LayersModel): tf.LayersModel {
  let body = bodies.get(model);
  if (body === undefined) {
    const latent = headLayer(model).input;
    if (Array.isArray(latent)) throw new Error(`model '${model.name}': the head has ${latent.length} inputs, expected one`);
    body = tf.model({ inputs: model.inputs, outputs: latent, name: `${model.name}_body` });
    bodies.set(model, body);
  }
  return body;
}

/** Width d of the latent features. */
export function latentDim(model: tf.LayersModel): number {
  const shape = bodyOf(model).outputs[0].shape;
  const d = shape[shape.length - 1];
  if (shape.length !== 2 || typeof d !== 'number') throw new Error(`model '${model.name}': the head's input is not a flat vector (${JSON.stringify(shape)})`);
  return d;
}

export function cutHead(model: tf.LayersModel): CutModel {
  const head = headLayer(model);
  const [kernelVar, biasVar] = head.getWeights();
  if (kernelVar === undefined || biasVar === undefined) throw new Error(`model '${model.name}': the head has no bias`);
  const [inputDim, units] = kernelVar.shape;
  return {
    body: bodyOf(model),
    headWeights: {
      kernel: Float32Array.from(kernelVar.dataSync() as Float32Array),
      bias: Float32Array.from(biasVar.dataSync() as Float32Array),
      inputDim,
      units,
      activation: headActivation(model),
    },
  };
}

/** Runs `net` over the rows batch by batch; `post` maps the raw output (inside the batch's tidy). */
async function mapRows(
  net: tf.LayersModel,
  imageShape: [number, number, number],
  width: number,
  images: ImageSet,
  options: InferenceOptions,
  where: string,
  post: (output: tf.Tensor2D) => tf.Tensor2D = (t) => t,
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${where}: batchSize must be a positive integer, got ${batchSize}`);
  validateImageSet(images, imageShape, where);
  const rows = resolveRows(options.rows, images.n, where);
  const result = new Float32Array(rows.length * width);
  const reader = new BatchReader(images, batchSize);
  for (let from = 0; from < rows.length; from += batchSize) {
    if (options.signal?.aborted) throw new CancelledError(`${where} cancelled after ${from} of ${rows.length} rows`);
    const count = Math.min(batchSize, rows.length - from);
    const output = tf.tidy(() => post(net.apply(reader.batch(rows, from, count), { training: false }) as tf.Tensor2D));
    try {
      // Asynchronous read: lets other work run while a native or GPU backend computes.
      result.set((await output.data()) as Float32Array, from * width);
    } finally {
      output.dispose();
    }
    options.onProgress?.(from + count, rows.length);
  }
  return result;
}

/**
 * The latent features (the head's input) of the selected rows, n × d row-major, in inference mode.
 * @example const z = await extractLatents(model, images, { batchSize: 100 }); // z.length === images.n * latentDim(model)
 */
export async function extractLatents(model: tf.LayersModel, images: ImageSet, options: InferenceOptions = {}): Promise<Float32Array> {
  if (onnxFor(model, options.engine)) return onCpu(model, 'latents', images, options);
  return mapRows(bodyOf(model), inputShapeOf(model), latentDim(model), images, options, 'extractLatents');
}

/** Class probabilities of the selected rows, n × K row-major (softmax applied to a logits head). */
export async function predictProbabilities(model: tf.LayersModel, images: ImageSet, options: InferenceOptions = {}): Promise<Float32Array> {
  if (onnxFor(model, options.engine)) return onCpu(model, 'probabilities', images, options);
  const head = headActivation(model);
  return mapRows(model, inputShapeOf(model), numClassesOf(model), images, options, 'predictProbabilities', head === 'linear' ? (t) => tf.softmax(t) : undefined);
}

/** ONNX Runtime's path, loaded on first use (a native module that only these callers need). */
async function onCpu(model: tf.LayersModel, output: 'latents' | 'probabilities', images: ImageSet, options: InferenceOptions): Promise<Float32Array> {
  validateImageSet(images, inputShapeOf(model), output === 'latents' ? 'extractLatents' : 'predictProbabilities');
  const { runOnCpu } = await import('./onnx/cpu-inference');
  return runOnCpu(model, output, images, options);
}
