/**
 * The pretrained pipeline up to its QSA (Tutorial J's pretrained-network path): the source model's body
 * (PretrainedBodyPort) maps every run row to latent features in inference mode; nothing is trained on
 * any row before the QSA, so no row is recorded as having trained the body (the source model's own
 * training rows are unknown: the verdict says so). The fresh head is the head pipeline's: θ₀ from the
 * run's head seed, the kernel `fairbound qsa` would pick on the latents.
 */
import { initialHeadTheta } from '../deep/head-init';
import { createQsaKernel } from '../engine/kernels/select';
import { BinaryLogisticModel } from '../engine/models/logistic';
import { SoftmaxLinearModel } from '../engine/models/softmax';
import type { PretrainedBodySummary } from '../../src-shared/domain/runs';
import type { PretrainedBodyPort, PretrainedStepContext, QsaProblem } from './pipeline-steps';

export async function pretrainedProblem(c: PretrainedStepContext, port: PretrainedBodyPort): Promise<{ readonly problem: QsaProblem; readonly body: PretrainedBodySummary }> {
  const s = c.info.settings;
  c.enterPhase('latents');
  const { latents, dim, body } = await port.latents(c);
  c.throwIfCancelled();
  if (latents.length !== c.data.rows.nRows * dim) throw new Error(`run ${c.runId}: ${latents.length} latent values for ${c.data.rows.nRows} rows × ${dim}`);
  const picked = createQsaKernel(latents, dim, s.numClasses === 2 ? 1 : s.numClasses);
  const qsaModel = s.numClasses === 2 ? new BinaryLogisticModel(picked.kernel) : new SoftmaxLinearModel(picked.kernel);
  return {
    problem: {
      qsaModel,
      thetaInit: initialHeadTheta(dim, s.numClasses, c.info.seeds.head),
      trainedWeights: null,
      latents,
      dim,
      bodyRows: new Int32Array(0),
      bodyTraining: null,
      trainedCnnGroupAccuracy: null,
    },
    body: { ...body, kernel: { name: picked.name, threads: picked.threads } },
  };
}
