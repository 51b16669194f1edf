/**
 * Full-CNN training on chosen rows: Adam on sparse categorical cross-entropy,
 * mini-batches normalised on the fly, progress per batch, cooperative cancellation between batches.
 * The loss matches the head: cross-entropy on logits for a linear head (PyTorch's CrossEntropyLoss, as in
 * Tutorial J), on probabilities for a softmax head (Tutorial G).
 */
import * as tf from '@tensorflow/tfjs';
import { headActivation, inputShapeOf, numClassesOf, type HeadActivation } from './architectures';
import { CancelledError } from './cancel';
import { BatchReader, resolveRows, validateImageSet, type ImageSet, type RowSelection } from './images';
import { runBatches } from './train-loop';
import { registerWasmTrainingKernels } from './wasm-kernels/register';

export { CancelledError };

export interface BatchProgress {
  /** 0-based. */
  readonly epoch: number;
  /** 0-based, within the epoch. */
  readonly batch: number;
  readonly batchesPerEpoch: number;
  /** Mean loss over the batch. */
  readonly loss: number;
  /** Fraction of the batch predicted right (before this batch's update). */
  readonly accuracy: number;
  /** Images trained per second since the epoch started. */
  readonly imagesPerSecond: number;
}

export interface EpochSummary {
  readonly epoch: number;
  /** Batch losses averaged with batch-size weights. */
  readonly meanLoss: number;
  readonly accuracy: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Seeds each epoch's batch order (0..2^32−1). */
  readonly seed: number;
  /** Reshuffle the rows every epoch (default true); false keeps the given order, like Tutorial J's DataLoader. */
  readonly shuffle?: boolean;
  readonly signal?: AbortSignal;
  readonly onBatch?: (progress: BatchProgress) => void;
}

export interface TrainResult {
  readonly epochs: readonly EpochSummary[];
  readonly batches: number;
  readonly images: number;
  readonly seconds: number;
}

function positiveInteger(value: number, what: string, where: string): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${where}: ${what} must be a positive integer, got ${value}`);
}

/** Mean cross-entropy of integer labels; `output` is logits or probabilities according to the head. */
export function crossEntropy(output: tf.Tensor2D, labels: tf.Tensor1D, head: HeadActivation): tf.Scalar {
  const oneHot = tf.oneHot(labels, output.shape[1]);
  if (head === 'linear') return tf.losses.softmaxCrossEntropy(oneHot, output) as tf.Scalar;
  // Clipped so that a probability rounded to 0 gives a large finite loss, not Infinity/NaN gradients.
  const logP = tf.log(tf.clipByValue(output, 1e-7, 1));
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logP), -1))) as tf.Scalar;
}

/**
 * trainClassifier's checks of its arguments (shared with the ONNX Runtime trainer): the rows it will train
 * on, each with a label among the head's classes.
 */
export function checkTrainingInput(model: tf.LayersModel, images: ImageSet, labels: Int32Array, rows: RowSelection, options: TrainOptions, where: string): { selected: Int32Array } {
  const { epochs, batchSize, learningRate } = options;
  positiveInteger(epochs, 'epochs', where);
  positiveInteger(batchSize, 'batchSize', where);
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`${where}: learningRate must be positive, got ${learningRate}`);
  validateImageSet(images, inputShapeOf(model), where);
  if (labels.length !== images.n) throw new RangeError(`${where}: ${labels.length} labels for ${images.n} images`);
  const selected = resolveRows(rows, images.n, where);
  if (selected.length === 0) throw new RangeError(`${where}: no rows to train on`);
  const numClasses = numClassesOf(model);
  for (const r of selected) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) throw new RangeError(`${where}: row ${r} has label ${y}, the head has classes 0..${numClasses - 1}`);
  }
  return { selected };
}

/**
 * Trains `model` in place on `rows` of `images` (labels[row] is row's class). BatchNorm layers run in
 * training mode and update their moving statistics. Leaves no tensors behind, also when cancelled or
 * failing. Rows outside `rows` are never read.
 */
export async function trainClassifier(
  model: tf.LayersModel,
  images: ImageSet,
  labels: Int32Array,
  rows: RowSelection,
  options: TrainOptions,
): Promise<TrainResult> {
  const { batchSize, learningRate } = options;
  const { selected } = checkTrainingInput(model, images, labels, rows, options, 'trainClassifier');
  const head = headActivation(model);
  // The gradients need kernels wasm lacks; a caller may have set the backend without selectBackend.
  if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const reader = new BatchReader(images, batchSize);
  const labelBuffer = new Int32Array(batchSize);
  // PyTorch's Adam epsilon (tfjs would default to its backend epsilon, 1e-7).
  const optimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
  try {
    return await runBatches(selected, options, 'trainClassifier', async ({ order, from, count }) => {
      for (let k = 0; k < count; k++) labelBuffer[k] = labels[order[from + k]];
      const { cost, hits } = tf.tidy(() => {
        const x = reader.batch(order, from, count);
        const y = tf.tensor1d(labelBuffer.slice(0, count), 'int32');
        // Kept past the gradient scope so accuracy costs no second forward pass; disposed in finally.
        const kept: { predicted?: tf.Tensor } = {};
        try {
          const cost = optimizer.minimize(
            () => {
              const output = model.apply(x, { training: true }) as tf.Tensor2D;
              kept.predicted = tf.keep(tf.argMax(output, -1));
              return crossEntropy(output, y, head);
            },
            true,
            variables,
          ) as tf.Scalar;
          return { cost, hits: tf.sum(tf.cast(tf.equal(kept.predicted as tf.Tensor, y), 'int32')) };
        } finally {
          kept.predicted?.dispose();
        }
      });
      // Read asynchronously: the webgpu backend's dataSync goes through canvas copies that return zeros on
      // some adapters (seen on SwiftShader's), and an async read lets a GPU page keep answering messages.
      try {
        const [lossValue, hitsValue] = await Promise.all([cost.data(), hits.data()]);
        return { loss: lossValue[0], correct: hitsValue[0] };
      } finally {
        cost.dispose();
        hits.dispose();
      }
    });
  } finally {
    // Adam's moment estimates are variables of their own.
    optimizer.dispose();
  }
}
