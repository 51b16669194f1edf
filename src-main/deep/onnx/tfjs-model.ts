/**
 * A tfjs model built by buildModel as ONNX: its architecture read back from the metadata buildModel stores
 * (the declarative layer list, so the one model definition is still architecture-specs.ts) and its weights
 * by value. Loads no ONNX Runtime (exports need none).
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureSpec, ModelMetadata } from '../architecture-specs';
import { getWeightsByValue } from '../weights';
import { buildForwardModel, type ForwardModelOptions, type ForwardOutput, type OnnxModelShape } from './forward';

function isModelMetadata(value: unknown): value is ModelMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<ModelMetadata>;
  return typeof m.architecture === 'string' && Array.isArray(m.layers) && Array.isArray(m.inputShape) && typeof m.numClasses === 'number';
}

function metadataOf(model: tf.LayersModel): unknown {
  return (model.getUserDefinedMetadata() as { fairbound?: unknown } | undefined)?.fairbound;
}

/** Whether buildModel made the model (a layers model from elsewhere has no declarative layer list to write). */
export function builtFromArchitecture(model: tf.LayersModel): boolean {
  return isModelMetadata(metadataOf(model));
}

/** The declarative shape of a model made by buildModel; throws for a model without Fairbound's metadata. */
export function onnxShapeOf(model: tf.LayersModel): OnnxModelShape {
  const metadata = metadataOf(model);
  if (!isModelMetadata(metadata)) throw new Error(`model '${model.name}' was not built from a Fairbound architecture (no layer list in its metadata): it cannot be written as ONNX`);
  const architecture: ArchitectureSpec = { name: metadata.architecture, description: metadata.architecture, defaultInputShape: metadata.inputShape, layers: metadata.layers };
  return { architecture, inputShape: metadata.inputShape, numClasses: metadata.numClasses };
}

/** The model's forward graph with its current weights. */
export function forwardModelOf(model: tf.LayersModel, output: ForwardOutput, options: ForwardModelOptions = {}): Uint8Array {
  return buildForwardModel(onnxShapeOf(model), getWeightsByValue(model), output, options);
}
