/**
 * Who trains a CNN in this process, and who computes the full-model QSA's predictions and gradients:
 * ONNX Runtime's CPU kernels (train.ts, classifier-model.ts here) where tfjs would compute on the CPU (its
 * wasm or cpu backend: single-threaded in Node), else tfjs on its active backend (libtensorflow, or a
 * GPU). The same rule as inference's (onnxFor), so a run's body, its latents, a full-model run's QSA and
 * a deep experiment's trials all take the same route.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ClassifierModel } from '../../engine/models/model';
import type { ImageSet, RowSelection } from '../images';
import { onnxFor, type InferenceEngine } from '../inference';
import { TfjsClassifierModel, type ParameterLayout, type TfjsModelOptions } from '../tfjs-model';
import { trainClassifier, type TrainOptions, type TrainResult } from '../train';

export type TrainEngine = InferenceEngine;

/** trainClassifier, on ONNX Runtime where `engine` (default auto) says so; same arguments and result. */
export async function trainOnChosenEngine(
  model: Parameters<typeof trainClassifier>[0],
  images: ImageSet,
  labels: Int32Array,
  rows: RowSelection,
  options: TrainOptions,
  engine: TrainEngine = 'auto',
): Promise<TrainResult> {
  if (!onnxFor(model, engine)) return trainClassifier(model, images, labels, rows, options);
  // Loaded on first use: a native module only this route needs.
  const { trainClassifierOnCpu } = await import('./train');
  return trainClassifierOnCpu(model, images, labels, rows, options);
}

/** The full-model QSA's model on the chosen engine, and how to free it once the QSA is done. */
export interface ChosenClassifierModel {
  readonly model: ClassifierModel & Required<Pick<ClassifierModel, 'predictAsync' | 'vjpAsync'>> & { readonly layout: ParameterLayout };
  /** Whether ONNX Runtime computes its predictions and gradients (else the TF.js backend). */
  readonly onnx: boolean;
  readonly release: () => Promise<void>;
}

/**
 * The whole CNN as the engine's ClassifierModel: OnnxClassifierModel where `engine` (default auto) says
 * ONNX Runtime, else TfjsClassifierModel; the same θ layout, outputs and gradients either way.
 */
export async function classifierModelOnChosenEngine(model: tf.LayersModel, images: ImageSet, options: TfjsModelOptions, engine: InferenceEngine = 'auto'): Promise<ChosenClassifierModel> {
  if (!onnxFor(model, engine)) return { model: new TfjsClassifierModel(model, images, options), onnx: false, release: () => Promise.resolve() };
  const { OnnxClassifierModel } = await import('./classifier-model');
  const onnx = new OnnxClassifierModel(model, images, options);
  return { model: onnx, onnx: true, release: () => onnx.dispose() };
}
