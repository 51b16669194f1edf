/**
 * The model half of an ONNX audit, in the training worker (or the CLI's process): the file checked
 * (onnx-file.ts), the images fitted (resize, then preprocess.ts's plan), the session on the best
 * execution provider (session.ts), then the probabilities batch by batch with progress and, between
 * batches, cancel.
 */
import type { OnnxPreprocessing, OnnxPreprocessingRecord } from '../../../src-shared/contract/schemas';
import { CancelledError } from '../../deep/cancel';
import type { ImageSet } from '../../deep/images';
import { resizeImages } from '../../deep/resize';
import { InputError } from '../../errors/input-error';
import type { Predictions } from '../predictions';
import { outputProducer, readOnnxModel, shapeText, type OnnxModelFile } from './onnx-file';
import { planOutput, writeProbabilities, type OutputPlan } from './outputs';
import { batchDims, fillBatch, planInput, type InputPlan } from './preprocess';
import { createOnnxSession, type OnnxSession } from './session';

export interface OnnxAuditOptions {
  readonly preprocessing: OnnxPreprocessing;
  readonly resize: number | null;
  /** Images per forward pass (default 256; a model that fixes its batch size gets its own). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface OnnxPredictions extends Predictions {
  readonly record: OnnxPreprocessingRecord;
  /** What ran the model, e.g. 'onnxruntime cpu (onnxruntime-node 1.31.1; cuda: …)'. */
  readonly backendText: string;
}

/** Whether an audited model path is an ONNX model (else a TF.js layers model). */
export function isOnnxPath(path: string): boolean {
  return path.toLowerCase().endsWith('.onnx');
}

/** The dataset's images (the selected rows) at the model's size. */
function fittedImages(images: ImageSet, resize: number | null, rows: Int32Array | undefined): ImageSet {
  if (resize !== null) return resizeImages(images, resize, resize, rows);
  return rows ? resizeImages(images, images.height, images.width, rows) : images;
}

function record(file: OnnxModelFile, input: InputPlan, output: OutputPlan, resize: number | null): OnnxPreprocessingRecord {
  return {
    input: `${file.input.name} ${shapeText(file.input.dims)}`,
    layout: input.layout,
    layoutFrom: input.layoutFrom,
    height: input.height,
    width: input.width,
    channels: input.channels,
    resize,
    channelConversion: input.conversion,
    normalize: input.normalize,
    output: output.meaning,
    outputFrom: output.meaningFrom,
    outputs: output.k,
    positiveClass: output.positiveClass,
  };
}

/**
 * Runs the ONNX model at `path` over `images` (the rows `rows` picks, default all) and returns the
 * audit's probabilities for a dataset of `nClasses` classes.
 */
export async function predictOnnx(path: string, source: ImageSet, rows: Int32Array | undefined, nClasses: number, datasetName: string, options: OnnxAuditOptions): Promise<OnnxPredictions> {
  const file = readOnnxModel(path);
  const images = fittedImages(source, options.resize, rows);
  const where = { file: path, dataset: datasetName, resize: options.resize };
  const inputPlan = planInput(file.input, images, options.preprocessing, where);
  const declaredK = file.output.dims[1];
  const producer = outputProducer(file.graph, file.output.name);
  const outputWhere = { file: path, dataset: datasetName, output: file.output.name };
  // A dynamic K is read from the first batch's output.
  let outputPlan: OutputPlan | null = typeof declaredK === 'number' ? planOutput(producer, declaredK, options.preprocessing, nClasses, outputWhere) : null;
  const session = await createOnnxSession(file);
  let probs: Float64Array | null = outputPlan ? new Float64Array(images.n * outputPlan.nOutputs) : null;
  try {
    await runBatches(session, file, images, inputPlan, options, (values, dims, from, count) => {
      if (dims.length !== 2) throw new InputError(`the model's output '${file.output.name}' has shape [${dims.join(', ')}]; a classifier outputs [batch, K]`, { file: path });
      if (outputPlan === null) outputPlan = planOutput(producer, dims[1], options.preprocessing, nClasses, outputWhere);
      else if (dims[1] !== outputPlan.k) throw new InputError(`the model's output '${file.output.name}' has shape [${dims.join(', ')}], not [${dims[0]}, ${outputPlan.k}] as it declares`, { file: path });
      probs ??= new Float64Array(images.n * outputPlan.nOutputs);
      writeProbabilities(values, count, outputPlan, probs, from, path);
    });
    if (outputPlan === null || probs === null) {
      throw new InputError(`the model's output '${file.output.name}' has shape ${shapeText(file.output.dims)} and no rows were audited to read K from`, { file: path });
    }
    return { probs, nOutputs: outputPlan.nOutputs, record: record(file, inputPlan, outputPlan, options.resize), backendText: session.describe };
  } finally {
    await session.release();
  }
}

/**
 * Feeds `images` to the session batch by batch (a model that fixes its batch size gets its own, the last
 * batch padded) and hands each batch's output — checked to have one row per fed image — to `onBatch`,
 * for the first `count` rows from row `from`. Progress per batch; a cancel is read between batches.
 */
export async function runBatches(
  session: OnnxSession,
  file: OnnxModelFile,
  images: ImageSet,
  plan: InputPlan,
  options: Pick<OnnxAuditOptions, 'batchSize' | 'signal' | 'onProgress'>,
  onBatch: (values: Float32Array, dims: readonly number[], from: number, count: number) => void,
): Promise<void> {
  const batch = plan.fixedBatch ?? Math.max(1, options.batchSize ?? 256);
  const imageFloats = plan.height * plan.width * plan.channels;
  const input = new Float32Array(batch * imageFloats);
  for (let from = 0; from < images.n; from += batch) {
    if (options.signal?.aborted) throw new CancelledError(`cancelled after ${from} of ${images.n} rows`);
    const count = Math.min(batch, images.n - from);
    // A fixed batch size is fed whole: the rows past the last image are padding, their outputs unused.
    const fed = plan.fixedBatch ?? count;
    fillBatch(images, from, count, plan, input);
    const { values, dims } = await session.run(fed === batch ? input : input.subarray(0, fed * imageFloats), batchDims(plan, fed));
    if (dims[0] !== fed) throw new InputError(`the model gave ${dims[0]} rows for a batch of ${fed} images (output shape [${dims.join(', ')}])`, { file: file.path });
    onBatch(values, dims, from, count);
    options.onProgress?.(from + count, images.n);
    // A cancel arrives as a message: let the event loop read it between batches.
    if (options.signal && from + count < images.n) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
