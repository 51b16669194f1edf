/**
 * Tutorial J's pretrained-network path: an imported model's head is cut, its body maps every row of a
 * NEW dataset to latent features (inference mode), and the engine's QSA trains a fresh, untrained head on
 * them, candidate and safety rows both from the new data (the engine's split: the first
 * round(N·(1 − frac)) rows are candidate rows, the rest safety rows). Binary datasets get the logistic
 * head, multiclass ones the softmax head, θ₀ drawn as the training runs draw it (runs/head-init.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import type { ImageSet } from '../deep/images';
import { cutHead, extractLatents, latentDim } from '../deep/inference';
import type { BoundMethod } from '../engine/constraint-bounds';
import type { LabelledRows } from '../engine/data';
import { createQsaKernel, type QsaKernelInfo, type QsaKernelOptions } from '../engine/kernels/select';
import { BinaryLogisticModel } from '../engine/models/logistic';
import type { ClassifierModel } from '../engine/models/model';
import { SoftmaxLinearModel } from '../engine/models/softmax';
import { primaryObjective } from '../engine/objectives';
import { candidateSafetySplit, runQsa, type IterationProgress, type QsaResult } from '../engine/qsa';
import { predictRange } from '../engine/safety-test';
import { initialHeadTheta } from '../deep/head-init';
import { groupAccuracies } from '../runs/run-results';
import { HEAD_DEFAULTS, type GroupAccuracy } from '../runs/types';
import { InputError } from '../errors/input-error';

export interface RetrainHeadSettings {
  readonly fracSafety: number;
  /** Seed of the head's θ₀. */
  readonly seed: number;
  readonly iterations: number;
  readonly alphaTheta: number;
  readonly alphaLambda: number;
  /** One per constraint. */
  readonly lambdaInit: readonly number[];
  readonly boundMethod?: BoundMethod;
  /** The head QSA's kernel: createQsaKernel's rule on every core by default; tests may force `js`. */
  readonly kernel?: QsaKernelOptions;
}

export const RETRAIN_HEAD_DEFAULTS = {
  fracSafety: HEAD_DEFAULTS.fracSafety,
  iterations: HEAD_DEFAULTS.iterations,
  alphaTheta: HEAD_DEFAULTS.alphaTheta,
  alphaLambda: HEAD_DEFAULTS.alphaLambda,
  lambdaInit: HEAD_DEFAULTS.lambdaInit,
} as const;

export interface RetrainHeadInput {
  /** The imported model; its last dense layer is the head that is cut. Not disposed here. */
  readonly model: tf.LayersModel;
  /** The new dataset's images, already at the model's input size, in `data`'s row order. */
  readonly images: ImageSet;
  readonly data: LabelledRows;
  readonly constraints: readonly CompiledConstraint[];
  readonly settings: RetrainHeadSettings;
  readonly signal?: AbortSignal;
  readonly onLatents?: (done: number, total: number) => void;
  readonly onIteration?: (progress: IterationProgress) => void;
}

export interface RetrainHeadResult {
  readonly result: QsaResult;
  readonly latentDim: number;
  /** 1 for a binary dataset (the logistic head), K otherwise. */
  readonly nOutputs: number;
  readonly nCandidate: number;
  readonly nSafety: number;
  /** The imported model's own head's input/output widths (the head that was replaced). */
  readonly replacedHead: { readonly inputDim: number; readonly units: number };
  /** Hard-decision accuracy on the safety rows of the solution, else the candidate; null without one. */
  readonly groupAccuracy: { readonly of: 'solution' | 'candidate'; readonly groups: readonly GroupAccuracy[] } | null;
  readonly timingsSeconds: { readonly latents: number; readonly candidateSelection: number; readonly safetyTest: number };
  /** The kernel the head's QSA ran on (SIMD for large float32 latent matrices) and its threads. */
  readonly kernel: QsaKernelInfo;
}

/** The rows' split, refused when either side is empty. */
function checkedSplit(data: LabelledRows, fracSafety: number): ReturnType<typeof candidateSafetySplit> {
  const split = candidateSafetySplit(data.nRows, fracSafety);
  if (split.candidate.end < 1 || split.safety.end - split.safety.start < 1) {
    throw new InputError(`${data.nRows} rows split at frac_safety ${fracSafety} leave ${split.candidate.end} candidate and ${split.safety.end - split.safety.start} safety rows; both need at least one`);
  }
  return split;
}

export async function retrainHead(input: RetrainHeadInput): Promise<RetrainHeadResult> {
  const { model, images, data, settings } = input;
  if (images.n !== data.nRows) throw new Error(`retrainHead: ${images.n} images for ${data.nRows} rows`);
  checkedSplit(data, settings.fracSafety);
  let cut;
  try {
    cut = cutHead(model);
  } catch (error) {
    throw new InputError(`cannot cut the model's head: ${error instanceof Error ? error.message : String(error)}`);
  }
  const dim = latentDim(model);
  const started = performance.now();
  const latents = await extractLatents(model, images, { batchSize: 256, signal: input.signal, onProgress: input.onLatents });
  const latentSeconds = (performance.now() - started) / 1000;
  return retrainHeadOnLatents({ ...input, latents, dim, latentSeconds, replacedHead: { inputDim: cut.headWeights.inputDim, units: cut.headWeights.units } });
}

/** What the QSA on a fresh head needs once a body (TF.js or ONNX) has mapped every row to latent features. */
export interface LatentHeadInput {
  /** Row-major, data.nRows × dim, in `data`'s row order. */
  readonly latents: Float32Array;
  readonly dim: number;
  readonly latentSeconds: number;
  readonly replacedHead: RetrainHeadResult['replacedHead'];
  readonly data: LabelledRows;
  readonly constraints: readonly CompiledConstraint[];
  readonly settings: RetrainHeadSettings;
  readonly signal?: AbortSignal;
  readonly onIteration?: (progress: IterationProgress) => void;
}

/** The QSA on a fresh head over latent features (the engine's split of `data`'s order). */
export function retrainHeadOnLatents(input: LatentHeadInput): RetrainHeadResult {
  const { latents, dim, data, constraints, settings } = input;
  if (latents.length !== data.nRows * dim) throw new Error(`retrainHeadOnLatents: ${latents.length} latent values for ${data.nRows} rows × ${dim}`);
  const { safety } = checkedSplit(data, settings.fracSafety);
  const k = data.nClasses;
  // The kernel `fairbound qsa` would pick on these latents (createQsaKernel: SIMD for large float32
  // matrices, whose results do not depend on the threads; else the JS kernel, which computes on float32
  // latents what it did on them widened to float64). Disposed once the QSA and the group table are done.
  const picked = createQsaKernel(latents, dim, k === 2 ? 1 : k, settings.kernel);
  try {
    const qsaModel: ClassifierModel = k === 2 ? new BinaryLogisticModel(picked.kernel) : new SoftmaxLinearModel(picked.kernel);
    const result = runQsa({
      model: qsaModel,
      objective: primaryObjective(k === 2 ? 'binary_logistic_loss' : 'multiclass_logistic_loss', k),
      constraints,
      data,
      fracDataInSafety: settings.fracSafety,
      thetaInit: initialHeadTheta(dim, k, settings.seed),
      settings: {
        lambdaInit: settings.lambdaInit,
        alphaTheta: settings.alphaTheta,
        alphaLambda: settings.alphaLambda,
        betaVelocity: HEAD_DEFAULTS.betaVelocity,
        betaRmsprop: HEAD_DEFAULTS.betaRmsprop,
        numIters: settings.iterations,
        batchSize: null,
        nEpochs: null,
        clipTheta: null,
      },
      boundMethod: settings.boundMethod,
      signal: input.signal,
      onIteration: input.onIteration,
    });
    const nOutputs = k === 2 ? 1 : k;
    const cs = result.candidateSelection;
    const reported =
      result.outcome.kind === 'passed'
        ? { theta: result.outcome.solution, of: 'solution' as const }
        : cs && cs.outcome === 'candidate' && cs.candidate
          ? { theta: cs.candidate, of: 'candidate' as const }
          : null;
    const groupAccuracy = reported ? { of: reported.of, groups: groupAccuracies(data, safety, predictRange(qsaModel, reported.theta, safety), nOutputs) } : null;
    return {
      result,
      latentDim: dim,
      nOutputs,
      nCandidate: result.nCandidate,
      nSafety: result.nSafety,
      replacedHead: input.replacedHead,
      groupAccuracy,
      timingsSeconds: { latents: input.latentSeconds, candidateSelection: result.timingsSeconds.candidateSelection, safetyTest: result.timingsSeconds.safetyTest },
      kernel: { name: picked.name, threads: picked.threads },
    };
  } finally {
    picked.kernel.dispose();
  }
}
