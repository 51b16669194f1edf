/**
 * The full-model QSA's ClassifierModel on ONNX Runtime's CPU kernels: the same θ layout, outputs and
 * vector-Jacobian product as TfjsClassifierModel (deep/tfjs-model.ts), for a CNN Fairbound built, where
 * ONNX Runtime stands in for tfjs's wasm or cpu backend (onnxFor). θ goes into the graphs as inputs
 * (classifier-graphs.ts), so the model's tfjs variables are never written.
 *
 * ONNX Runtime answers only asynchronously: the model is driven through predictAsync/vjpAsync (the
 * engine's runQsaAsync, predictRangeAsync); the synchronous predict/vjp throw.
 */
import type * as tf from '@tensorflow/tfjs';
import type * as ort from 'onnxruntime-node';
import type { RowRange } from '../../engine/data';
import type { ClassifierModel } from '../../engine/models/model';
import { inputShapeOf } from '../architectures';
import { validateImageSet, type ImageSet } from '../images';
import { checkRowRange, RepeatPrediction, sameValues } from '../repeat-prediction';
import { parameterLayout, type ParameterLayout, type TfjsModelOptions } from '../tfjs-model';
import { getWeightsByValueAsync } from '../weights';
import { buildClassifierGraphs, CLASSIFIER } from './classifier-graphs';
import { createCpuSession, fillNchwBatch, floatTensor, type OnnxSessionOptions } from './session';
import { onnxShapeOf } from './tfjs-model';

const WHERE = 'OnnxClassifierModel';

interface Sessions {
  readonly predict: ort.InferenceSession;
  readonly vjp: ort.InferenceSession;
}

export class OnnxClassifierModel implements ClassifierModel {
  readonly nParams: number;
  readonly nOutputs: number;
  readonly layout: ParameterLayout;
  private readonly chunkSize: number;
  private readonly rowIndex: Int32Array;
  private readonly pixels: Float32Array;
  private sessions: Promise<Sessions> | null = null;
  private released = false;
  /** θ's parts as float32 input tensors, for the θ they were made from. */
  private thetaFeeds: { theta: Float64Array; feeds: Record<string, ort.Tensor> } | null = null;
  private readonly repeat = new RepeatPrediction();

  constructor(
    private readonly model: tf.LayersModel,
    private readonly images: ImageSet,
    private readonly options: TfjsModelOptions & OnnxSessionOptions,
  ) {
    validateImageSet(images, inputShapeOf(model), WHERE);
    const k = onnxShapeOf(model).numClasses;
    if (options.nOutputs !== 1 && options.nOutputs !== k) throw new RangeError(`${WHERE}: nOutputs must be 1 or the model's ${k} classes, got ${options.nOutputs}`);
    if (options.nOutputs === 1 && k !== 2) throw new RangeError(`${WHERE}: the binary form needs a 2-class model, this one has ${k}`);
    this.nOutputs = options.nOutputs;
    this.layout = parameterLayout(model);
    this.nParams = this.layout.total;
    this.chunkSize = options.chunkSize ?? 256;
    this.rowIndex = Int32Array.from({ length: images.n }, (_, i) => i);
    this.pixels = new Float32Array(this.chunkSize * images.height * images.width * images.channels);
  }

  /** The sessions, made on first use from the model's weights then (its moving statistics stay fixed). */
  private open(): Promise<Sessions> {
    this.sessions ??= (async () => {
      const theta = this.layout.names.map((name, i) => ({ name, shape: this.layout.shapes[i] }));
      const graphs = buildClassifierGraphs(onnxShapeOf(this.model), theta, await getWeightsByValueAsync(this.model), this.nOutputs);
      const [predict, vjp] = await Promise.all([createCpuSession(graphs.predict, this.options), createCpuSession(graphs.vjp, this.options)]);
      return { predict, vjp };
    })();
    return this.sessions;
  }

  /** Sessions are native memory: release them when the QSA is done (later calls throw). */
  async dispose(): Promise<void> {
    if (this.released || this.sessions === null) return;
    this.released = true;
    const { predict, vjp } = await this.sessions;
    await Promise.all([predict.release(), vjp.release()]);
  }

  private feedsOf(theta: Float64Array): Record<string, ort.Tensor> {
    if (theta.length !== this.nParams) throw new RangeError(`${WHERE}: θ has ${theta.length} values, the model ${this.nParams}`);
    if (this.thetaFeeds && sameValues(theta, this.thetaFeeds.theta)) return this.thetaFeeds.feeds;
    const feeds: Record<string, ort.Tensor> = {};
    let offset = 0;
    this.layout.names.forEach((name, i) => {
      const size = this.layout.sizes[i];
      feeds[name] = floatTensor(Float32Array.from(theta.subarray(offset, offset + size)), this.layout.shapes[i]);
      offset += size;
    });
    this.thetaFeeds = { theta: Float64Array.from(theta), feeds };
    return feeds;
  }

  private checkRange(range: RowRange): void {
    if (this.released) throw new Error(`${WHERE}: used after dispose()`);
    checkRowRange(WHERE, range, this.images.n);
  }

  /** Rows [from, from+count) as the graphs' NCHW image input. */
  private imageFeed(from: number, count: number): ort.Tensor {
    const { height, width, channels } = this.images;
    fillNchwBatch(this.images, this.rowIndex, from, count, this.pixels);
    return floatTensor(this.pixels.subarray(0, count * height * width * channels), [count, channels, height, width]);
  }

  predict(): void {
    throw new Error(`${WHERE}: ONNX Runtime answers asynchronously; drive this model with runQsaAsync / predictAsync`);
  }

  vjp(): void {
    throw new Error(`${WHERE}: ONNX Runtime answers asynchronously; drive this model with runQsaAsync / vjpAsync`);
  }

  async predictAsync(theta: Float64Array, range: RowRange, probs: Float64Array): Promise<void> {
    this.checkRange(range);
    const k = this.nOutputs;
    if (this.repeat.reuse(theta, range, probs)) return;
    const { predict } = await this.open();
    const weights = this.feedsOf(theta);
    for (let from = range.start; from < range.end; from += this.chunkSize) {
      this.options.checkCancelled?.();
      const count = Math.min(this.chunkSize, range.end - from);
      const out = (await predict.run({ ...weights, [CLASSIFIER.image]: this.imageFeed(from, count) }))[CLASSIFIER.probs];
      try {
        probs.set(out.data as Float32Array, (from - range.start) * k);
      } finally {
        out.dispose();
      }
    }
    this.repeat.keep(theta, range, probs, k);
  }

  async vjpAsync(theta: Float64Array, range: RowRange, _probs: Float64Array, dProbs: Float64Array, gradient: Float64Array): Promise<void> {
    this.checkRange(range);
    const { vjp } = await this.open();
    const weights = this.feedsOf(theta);
    const k = this.nOutputs;
    for (let from = range.start; from < range.end; from += this.chunkSize) {
      this.options.checkCancelled?.();
      const count = Math.min(this.chunkSize, range.end - from);
      const dSlice = dProbs.subarray((from - range.start) * k, (from - range.start + count) * k);
      if (dSlice.every((v) => v === 0)) continue;
      const feeds = { ...weights, [CLASSIFIER.image]: this.imageFeed(from, count), [CLASSIFIER.dProbs]: floatTensor(Float32Array.from(dSlice), [count, k]) };
      const out = (await vjp.run(feeds))[CLASSIFIER.gradient];
      try {
        const g = out.data as Float32Array;
        for (let j = 0; j < g.length; j++) gradient[j] += g[j];
      } finally {
        out.dispose();
      }
    }
  }
}
