/**
 * The head pipeline (Tutorial J) up to its QSA: the CNN trained on the candidate rows only, the head cut, every row through the body in inference mode, and an untrained head
 * (binary: the logistic model; multiclass: the softmax model) over the latent features.
 */
import { initialHeadTheta } from '../deep/head-init';
import { cutHead, extractLatents, latentDim, type HeadWeights } from '../deep/inference';
import { trainOnChosenEngine } from '../deep/onnx/route';
import type { EpochSummary, TrainOptions } from '../deep/train';
import { getWeightsByValueAsync } from '../deep/weights';
import type { RowRange } from '../engine/data';
import { createQsaKernel } from '../engine/kernels/select';
import { BinaryLogisticModel } from '../engine/models/logistic';
import { SoftmaxLinearModel } from '../engine/models/softmax';
import { secondsSince, type QsaProblem, type StepContext } from './pipeline-steps';
import { groupAccuracies } from './run-results';

/** The trained CNN's own head on latent features, as probabilities in the engine's layout. */
function headProbabilities(head: HeadWeights, latents: Float32Array, range: RowRange): { probs: Float64Array; nOutputs: number } {
  const { kernel, bias, inputDim: d, units: k } = head;
  const n = range.end - range.start;
  const nOutputs = k === 2 ? 1 : k;
  const probs = new Float64Array(n * nOutputs);
  const z = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const row = (range.start + i) * d;
    for (let c = 0; c < k; c++) z[c] = bias[c];
    for (let j = 0; j < d; j++) {
      const x = latents[row + j];
      for (let c = 0; c < k; c++) z[c] += x * kernel[j * k + c];
    }
    // Softmax (whatever the head's activation: a softmax head's logits are z too).
    const max = Math.max(...z);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[c] - max);
    if (nOutputs === 1) probs[i] = Math.exp(z[1] - max) / sum;
    else for (let c = 0; c < k; c++) probs[i * k + c] = Math.exp(z[c] - max) / sum;
  }
  return { probs, nOutputs };
}

/**
 * Tutorial J, steps 3–5: the CNN trained on the candidate rows only, the head cut, every row through
 * the body in inference mode, and the untrained head over the latent features. Where tfjs runs on the
 * CPU (wasm, cpu), training and latents run on ONNX Runtime (deep/onnx/route.ts, inference.ts).
 */
export async function trainBodyAndExtract(c: StepContext): Promise<QsaProblem> {
  const { runId, info, data, candidate, safety, model, emit } = c;
  const s = info.settings;
  const body = s.body!;
  c.enterPhase('training');
  // Candidate rows only: run-order indices 0..nCandidate−1, recorded as dataset rows.
  const trainRows = Int32Array.from({ length: candidate.end - candidate.start }, (_, i) => candidate.start + i);
  const bodyRows = Int32Array.from(trainRows, (r) => data.rowOrder[r]);
  const trainingStart = performance.now();
  const options: TrainOptions = {
    epochs: body.epochs,
    batchSize: body.batchSize,
    learningRate: body.learningRate,
    seed: info.seeds.bodyBatches,
    shuffle: body.shuffleBatches,
    signal: c.signal,
    onBatch: (p) => {
      c.pollCancel();
      const fraction = (p.epoch * p.batchesPerEpoch + p.batch + 1) / (body.epochs * p.batchesPerEpoch);
      emit({
        type: 'batch',
        runId,
        epoch: p.epoch,
        epochs: body.epochs,
        batch: p.batch,
        batchesPerEpoch: p.batchesPerEpoch,
        loss: p.loss,
        accuracy: p.accuracy,
        imagesPerSecond: p.imagesPerSecond,
        fraction,
        etaSeconds: (secondsSince(trainingStart) * (1 - fraction)) / fraction,
      });
    },
  };
  const training = await trainOnChosenEngine(model, data.images, data.labels, trainRows, options);
  // Asynchronous: on webgpu it is also what lets cutHead below read the head's weights synchronously.
  const trainedWeights = await getWeightsByValueAsync(model);
  c.throwIfCancelled();

  c.enterPhase('latents');
  const dim = latentDim(model);
  const latents = await extractLatents(model, data.images, {
    batchSize: 256,
    signal: c.signal,
    onProgress: (done, total) => {
      c.pollCancel();
      emit({ type: 'latents', runId, done, total });
    },
  });
  const trained = headProbabilities(cutHead(model).headWeights, latents, safety);
  // The kernel `fairbound qsa` picks on the exported latents (createQsaKernel: SIMD for large float32
  // matrices where available, whose results do not depend on the thread count; else JS, which computes on
  // the float32 latents exactly what it did on them widened), so the export reproduces the run.
  const qsaKernel = createQsaKernel(latents, dim, s.numClasses === 2 ? 1 : s.numClasses).kernel;
  const qsaModel = s.numClasses === 2 ? new BinaryLogisticModel(qsaKernel) : new SoftmaxLinearModel(qsaKernel);
  c.throwIfCancelled();
  return {
    qsaModel,
    thetaInit: initialHeadTheta(dim, s.numClasses, info.seeds.head),
    trainedWeights,
    latents,
    dim,
    bodyRows,
    bodyTraining: training.epochs.map((e: EpochSummary) => ({ epoch: e.epoch, meanLoss: e.meanLoss, accuracy: e.accuracy, seconds: e.seconds })),
    trainedCnnGroupAccuracy: groupAccuracies(data.rows, safety, trained.probs, trained.nOutputs),
  };
}
