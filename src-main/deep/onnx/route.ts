/**
 * Who trains a CNN in this process: ONNX Runtime's CPU kernels (train.ts here) where tfjs would compute on
 * the CPU (its wasm or cpu backend: single-threaded in Node), else tfjs on its active backend
 * (libtensorflow, or a GPU). The same rule as inference's (onnxFor), so a run's body, its latents and a
 * deep experiment's trials all take the same route.
 */
import type { ImageSet, RowSelection } from '../images';
import { onnxFor, type InferenceEngine } from '../inference';
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
