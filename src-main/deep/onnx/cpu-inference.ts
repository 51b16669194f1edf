/**
 * Latents and probabilities of a tfjs model on ONNX Runtime's CPU kernels: the model's forward graph
 * (tfjs-model.ts) in a CPU session, batch by batch over the selected rows.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../images';
import type { ForwardOutput, OnnxModelShape } from './forward';
import { createCpuSession, mapRowsOnnx, type OnnxInferenceOptions, type OnnxSessionOptions } from './session';
import { forwardModelOf, onnxShapeOf } from './tfjs-model';

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
