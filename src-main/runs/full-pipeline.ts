import { TfjsClassifierModel, thetaFromWeights } from '../deep/tfjs-model';
import type { WeightsByValue } from '../deep/weights';
import type { QsaProblem, StepContext } from './pipeline-steps';

/** Tutorials G/H: the whole CNN is the model, θ₀ its stored initial trainable weights in θ order. */
export function fullModelProblem(c: StepContext, initialWeights: WeightsByValue): QsaProblem {
  const s = c.info.settings;
  const qsaModel = new TfjsClassifierModel(c.model, c.data.images, { nOutputs: s.numClasses === 2 ? 1 : s.numClasses, checkCancelled: c.throwIfCancelled });
  const thetaInit = thetaFromWeights(qsaModel.layout, initialWeights);
  return { qsaModel, thetaInit, trainedWeights: null, latents: null, dim: null, bodyRows: new Int32Array(0), bodyTraining: null, trainedCnnGroupAccuracy: null };
}

