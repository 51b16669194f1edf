/**
 * A whole TF.js CNN as the engine's ClassifierModel (full-model QSA, Tutorials G/H): θ is every
 * trainable weight, flattened in model.trainableWeights order (each tensor row-major); predictions are
 * the model's class probabilities in inference mode; the vector-Jacobian product the bounds need is
 * tf.grad of Σ P ⊙ dP with respect to the weights. The engine's bound maths stays its float64 code:
 * θ, P, dP and the gradient cross into float32 only at this boundary. predictAsync/vjpAsync read the
 * tensors with data(), which the webgpu backend needs in Node (the engine's runQsaAsync awaits them);
 * predict/vjp read the same passes with dataSync, for the CPU backends' synchronous callers.
 *
 * The model's variables are overwritten with θ on every call whose θ differs from the last one, so a
 * model lent to this class must not be used for anything else meanwhile.
 */
import * as tf from '@tensorflow/tfjs';
import type { RowRange } from '../engine/data';
import type { ClassifierModel } from '../engine/models/model';
import { headActivation, inputShapeOf, numClassesOf } from './architectures';
import { BatchReader, validateImageSet, type ImageSet } from './images';
import { checkRowRange, RepeatPrediction, sameValues } from './repeat-prediction';
import type { WeightsByValue } from './weights';

export interface ParameterLayout {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly sizes: readonly number[];
  readonly total: number;
}

/** Names and shapes of the trainable weights, in θ order. */
export function parameterLayout(model: tf.LayersModel): ParameterLayout {
  const names = model.trainableWeights.map((w) => w.originalName);
  const shapes = model.trainableWeights.map((w) => [...w.shape] as number[]);
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  return { names, shapes, sizes, total: sizes.reduce((a, b) => a + b, 0) };
}

/** θ from weights kept by value (e.g. the model's initial weights): the trainable ones, in θ order. */
export function thetaFromWeights(layout: ParameterLayout, weights: WeightsByValue): Float64Array {
  const theta = new Float64Array(layout.total);
  let offset = 0;
  layout.names.forEach((name, i) => {
    const index = weights.names.indexOf(name);
    if (index < 0 || weights.data[index].length !== layout.sizes[i]) throw new Error(`thetaFromWeights: no weight '${name}' of ${layout.sizes[i]} values`);
    theta.set(weights.data[index], offset);
    offset += layout.sizes[i];
  });
  return theta;
}

export interface TfjsModelOptions {
  /** 1: the engine's binary form, P(y=1) = class 1's probability; K: every class probability. */
  readonly nOutputs: number;
  /** Images per forward pass (default 256). */
  readonly chunkSize?: number;
  /** Called before every chunk's forward pass; throw to stop (a cancel seen inside one engine iteration). */
  readonly checkCancelled?: () => void;
}

export class TfjsClassifierModel implements ClassifierModel {
  readonly nParams: number;
  readonly nOutputs: number;
  readonly layout: ParameterLayout;
  private readonly variables: tf.Variable[];
  private readonly reader: BatchReader;
  private readonly chunkSize: number;
  private readonly softmaxNeeded: boolean;
  private readonly rowIndex: Int32Array;
  private readonly current: Float64Array;
  private hasCurrent = false;
  private readonly repeat = new RepeatPrediction();

  constructor(
    private readonly model: tf.LayersModel,
    private readonly images: ImageSet,
    private readonly options: TfjsModelOptions,
  ) {
    validateImageSet(images, inputShapeOf(model), 'TfjsClassifierModel');
    const k = numClassesOf(model);
    if (options.nOutputs !== 1 && options.nOutputs !== k) throw new RangeError(`TfjsClassifierModel: nOutputs must be 1 or the model's ${k} classes, got ${options.nOutputs}`);
    if (options.nOutputs === 1 && k !== 2) throw new RangeError(`TfjsClassifierModel: the binary form needs a 2-class model, this one has ${k}`);
    this.nOutputs = options.nOutputs;
    this.layout = parameterLayout(model);
    this.nParams = this.layout.total;
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.chunkSize = options.chunkSize ?? 256;
    this.reader = new BatchReader(images, this.chunkSize);
    this.softmaxNeeded = headActivation(model) === 'linear';
    this.rowIndex = Int32Array.from({ length: images.n }, (_, i) => i);
    this.current = new Float64Array(this.nParams);
  }

  /** Writes θ into the model's variables unless they already hold it. */
  private load(theta: Float64Array): void {
    if (theta.length !== this.nParams) throw new RangeError(`TfjsClassifierModel: θ has ${theta.length} values, the model ${this.nParams}`);
    if (this.hasCurrent && sameValues(theta, this.current)) return;
    let offset = 0;
    tf.tidy(() => {
      this.variables.forEach((v, i) => {
        const size = this.layout.sizes[i];
        v.assign(tf.tensor(Float32Array.from(theta.subarray(offset, offset + size)), this.layout.shapes[i] as number[], 'float32'));
        offset += size;
      });
    });
    this.current.set(theta);
    this.hasCurrent = true;
  }

  /** The engine's outputs for a batch of images: [n, nOutputs] probabilities. */
  private outputs(x: tf.Tensor4D): tf.Tensor2D {
    const raw = this.model.apply(x, { training: false }) as tf.Tensor2D;
    const probs = this.softmaxNeeded ? tf.softmax(raw) : raw;
    return this.nOutputs === 1 ? (tf.slice(probs, [0, 1], [-1, 1]) as tf.Tensor2D) : probs;
  }

  predict(theta: Float64Array, range: RowRange, probs: Float64Array): void {
    readSync(this.predictReads(theta, range, probs));
  }

  predictAsync(theta: Float64Array, range: RowRange, probs: Float64Array): Promise<void> {
    return readAsync(this.predictReads(theta, range, probs));
  }

  vjp(theta: Float64Array, range: RowRange, _probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): void {
    readSync(this.vjpReads(theta, range, dProbs, gradient));
  }

  vjpAsync(theta: Float64Array, range: RowRange, _probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): Promise<void> {
    return readAsync(this.vjpReads(theta, range, dProbs, gradient));
  }

  /** The forward pass chunk by chunk: yields each chunk's [count, nOutputs] tensor, gets its values back. */
  private *predictReads(theta: Float64Array, range: RowRange, probs: Float64Array): TensorReads {
    checkRowRange('TfjsClassifierModel', range, this.images.n);
    const k = this.nOutputs;
    if (this.repeat.reuse(theta, range, probs)) return;
    this.load(theta);
    for (let from = range.start; from < range.end; from += this.chunkSize) {
      this.options.checkCancelled?.();
      const count = Math.min(this.chunkSize, range.end - from);
      const values = yield tf.tidy(() => this.outputs(this.reader.batch(this.rowIndex, from, count)));
      probs.set(values, (from - range.start) * k);
    }
    this.repeat.keep(theta, range, probs, k);
  }

  /** The vector-Jacobian product chunk by chunk: yields each chunk's gradient, flat in θ order, one read per chunk. */
  private *vjpReads(theta: Float64Array, range: RowRange, dProbs: Float64Array, gradient: Float64Array): TensorReads {
    checkRowRange('TfjsClassifierModel', range, this.images.n);
    this.load(theta);
    const k = this.nOutputs;
    for (let from = range.start; from < range.end; from += this.chunkSize) {
      this.options.checkCancelled?.();
      const count = Math.min(this.chunkSize, range.end - from);
      const dSlice = dProbs.subarray((from - range.start) * k, (from - range.start + count) * k);
      if (dSlice.every((v) => v === 0)) continue;
      const g = yield tf.tidy(() => {
        const x = this.reader.batch(this.rowIndex, from, count);
        const dP = tf.tensor2d(Float32Array.from(dSlice), [count, k], 'float32');
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(this.outputs(x), dP)) as tf.Scalar, this.variables);
        return tf.concat(this.variables.map((v) => tf.reshape(grads[v.name], [-1])));
      });
      for (let j = 0; j < g.length; j++) gradient[j] += g[j];
    }
  }
}

/**
 * A pass over the model written once, its tensor reads left to the caller: synchronous (dataSync, the
 * CPU backends) or asynchronous (data(), which webgpu in Node needs). Each yielded tensor is the
 * caller's to dispose once read.
 */
type TensorReads = Generator<tf.Tensor, void, Float32Array>;

function readSync(reads: TensorReads): void {
  for (let next = reads.next(); !next.done; ) {
    const tensor = next.value;
    try {
      next = reads.next(tensor.dataSync() as Float32Array);
    } finally {
      tensor.dispose();
    }
  }
}

async function readAsync(reads: TensorReads): Promise<void> {
  for (let next = reads.next(); !next.done; ) {
    const tensor = next.value;
    try {
      next = reads.next((await tensor.data()) as Float32Array);
    } finally {
      tensor.dispose();
    }
  }
}
