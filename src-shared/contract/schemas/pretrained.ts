/**
 * Tutorial J's pretrained-network path as a stored run (`runs.startPretrained`, `fairbound audit
 * --retrain-head --model …`): a model file's body cut at its head, every row of the dataset mapped to
 * latent features, and a fresh head trained by the QSA on the engine's split of the stored order.
 */
import { z } from 'zod';
import { BOUND_METHODS } from '../../domain/qsa';
import { id, text } from '../wire';
import { onnxPreprocessing } from './audit';
import { delta } from './constraints';
import { path, seed } from './fields';
import { backendPreference } from './runs';

export const pretrainedRunRequest = z.object({
  name: text(200).optional(),
  notes: text(4000).optional(),
  /** Dataset id: an image dataset. */
  dataset: id,
  constraints: z.array(z.object({ source: text(4000), delta })).min(1).max(32),
  /** Server-side path of the model: a `.onnx` file, or a TF.js layers model.json (or its folder). */
  model: path,
  /** ONNX: how the images are fed (the output fields do not apply: the head is replaced). */
  onnx: onnxPreprocessing.pick({ layout: true, normalize: true, channels: true }).optional(),
  /** ONNX: the node output to cut at; default the input of the graph's last Gemm or MatMul. */
  latentOutput: text(1000).optional(),
  /** Resize the images to S×S (bilinear) for the model; default their own size. */
  resize: z.number().int().min(1).max(4096).optional(),
  /** TF.js: the backend chain's preference (an ONNX model runs on ONNX Runtime). */
  backend: backendPreference.optional(),
  fracSafety: z.number().gt(0).lt(1).optional(),
  iterations: z.number().int().min(1).max(1_000_000).optional(),
  alphaTheta: z.number().positive().max(10).optional(),
  alphaLambda: z.number().positive().max(10).optional(),
  /** λ₀: one value for every constraint or one per constraint. */
  lambdaInit: z.union([z.number().min(0), z.array(z.number().min(0)).min(1).max(32)]).optional(),
  seed: seed.optional(),
  bound: z.enum(BOUND_METHODS).optional(),
});
export type PretrainedRunRequest = z.infer<typeof pretrainedRunRequest>;

