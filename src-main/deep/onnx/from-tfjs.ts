/**
 * A tfjs model built by buildModel as ONNX: its architecture read back from the metadata buildModel stores
 * (the declarative layer list, so the one model definition is still architecture-specs.ts), its weights by
 * value, and ONNX Runtime sessions on the result for latents and probabilities.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureSpec, ModelMetadata } from '../architecture-specs';
import type { ImageSet } from '../images';
import { getWeightsByValue } from '../weights';
import { buildForwardModel, type ForwardOutput, type OnnxModelShape } from './forward';
import { createCpuSession, mapRowsOnnx, type OnnxInferenceOptions, type OnnxSessionOptions } from './session';

function isModelMetadata(value: unknown): value is ModelMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<ModelMetadata>;
  return typeof m.architecture === 'string' && Array.isArray(m.layers) && Array.isArray(m.inputShape) && typeof m.numClasses === 'number';
}

/** The declarative shape of a model made by buildModel; throws for a model without Fairbound's metadata. */
export function onnxShapeOf(model: tf.LayersModel): OnnxModelShape {
  const metadata = (model.getUserDefinedMetadata() as { fairbound?: unknown } | undefined)?.fairbound;
  if (!isModelMetadata(metadata)) throw new Error(`model '${model.name}' was not built from a Fairbound architecture (no layer list in its metadata): it cannot be written as ONNX`);
  const architecture: ArchitectureSpec = { name: metadata.architecture, description: metadata.architecture, defaultInputShape: metadata.inputShape, layers: metadata.layers };
  return { architecture, inputShape: metadata.inputShape, numClasses: metadata.numClasses };
}

/** The model's forward graph with its current weights. */
export function forwardModelOf(model: tf.LayersModel, output: ForwardOutput): Uint8Array {
  return buildForwardModel(onnxShapeOf(model), getWeightsByValue(model), output);
}

/** Width of one output row. */
function widthOf(shape: OnnxModelShape, output: ForwardOutput, model: tf.LayersModel): number {
  if (output !== 'latents') return shape.numClasses;
  const head = model.layers[model.layers.length - 1];
  const inputShape = head.batchInputShape ?? (head.input as tf.SymbolicTensor).shape;
  const d = inputShape[inputShape.length - 1];
  if (typeof d !== 'number') throw new Error(`model '${model.name}': the head's input width is not fixed`);
  return d;
}

/**
 * `output` (latents or probabilities) of the selected rows in inference mode on ONNX Runtime's CPU
 * kernels, n × width row-major; the same numbers as extractLatents / predictProbabilities to float
 * rounding.
 */
export async function runOnCpu(model: tf.LayersModel, output: Exclude<ForwardOutput, 'logits'>, images: ImageSet, options: OnnxInferenceOptions & OnnxSessionOptions = {}): Promise<Float32Array> {
  const shape = onnxShapeOf(model);
  const session = await createCpuSession(forwardModelOf(model, output), options);
  try {
    return await mapRowsOnnx(session, images, widthOf(shape, output, model), options, output === 'latents' ? 'extractLatents (onnx)' : 'predictProbabilities (onnx)');
  } finally {
    await session.release();
  }
}
