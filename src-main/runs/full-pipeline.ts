import { classifierModelOnChosenEngine } from '../deep/onnx/route';
import { thetaFromWeights } from '../deep/tfjs-model';
import type { WeightsByValue } from '../deep/weights';
import type { QsaProblem, StepContext } from './pipeline-steps';

/**
 * Tutorials G/H: the whole CNN is the model, θ₀ its stored initial trainable weights in θ order. ONNX
 * Runtime computes its predictions and gradients where it stands in for tfjs's wasm or cpu backend.
 */
export async function fullModelProblem(c: StepContext, initialWeights: WeightsByValue): Promise<QsaProblem> {
  const s = c.info.settings;
  const chosen = await classifierModelOnChosenEngine(c.model, c.data.images, { nOutputs: s.numClasses === 2 ? 1 : s.numClasses, checkCancelled: c.throwIfCancelled });
  const thetaInit = thetaFromWeights(chosen.model.layout, initialWeights);
  return {
    qsaModel: chosen.model,
    thetaInit,
    trainedWeights: null,
    latents: null,
    dim: null,
    bodyRows: new Int32Array(0),
    bodyTraining: null,
    trainedCnnGroupAccuracy: null,
    release: chosen.release,
  };
}
