/**
 * The deep-learning experiment models: their implementations, which import TensorFlow.js.
 * Their names, settings and checks live in deep-types.ts (no tfjs), so the app's main process knows them
 * without loading tfjs; the process that runs deep trials (the app's training worker, or the CLI itself)
 * calls `registerDeepExperimentModels()` to install what is here. They run `process`: one trial at a
 * time, in the one process that does deep work (tfjs in several worker threads of one process breaks).
 *
 * - `qsa-head`: Tutorial J's body/head pipeline on the trial's rows. The body (tutorial-j-cnn for images
 *   of at least 48×48, resized to 48×48; tutorial-g-cnn otherwise, or as chosen by `qsa-head:<arch>`) is
 *   retrained from the SAME initial weights for every trial (built once from the model's init seed and
 *   kept by value; the Python library keeps a shallow reference, so its trials restart from the previous
 *   trial's trained weights) on the trial's CANDIDATE rows only (its first round(n·(1−frac_safety))
 *   rows), then every trial row goes through the body in inference mode and the engine's QSA fits the
 *   head (θ₀ from a seeded U(±1/√d) draw, full batch, Tutorial J's α = 0.01, λ₀ = 0.5). The ground
 *   truth is scored through this trial's body and the head.
 * - `cnn`: the full CNN without constraints, trained on all trial rows (Adam, cross-entropy); it predicts
 *   softmax[:, 1] for two classes, the class probabilities otherwise.
 * - `qsa-full`: Tutorials G/H: the whole CNN is the Seldonian model (θ = every trainable weight, from the
 *   same stored initial weights each trial), mini-batches (default 150 × 5 epochs, α_θ 0.001, α_λ 0.01,
 *   λ₀ 0.5; per fraction through --epochs-per-fraction). Slow: off unless named.
 *
 * Every fit takes the trial's AbortSignal (checked between batches of training and inference, and
 * between QSA iterations) and reports progress per batch / iteration.
 */
import * as tf from '@tensorflow/tfjs';
import { roundHalfEven } from '../../../src-shared/bounds/rounding';
import type { TrialBackend } from '../../../src-shared/domain/experiments';
import { ARCHITECTURES, buildModel, planLayers, type ArchitectureName } from '../../deep/architectures';
import { defaultLoaders, selectBackend } from '../../deep/backends';
import type { ImageSet } from '../../deep/images';
import { extractLatents, latentDim, onnxFor, onnxReplaces, predictProbabilities } from '../../deep/inference';
import { classifierModelOnChosenEngine, trainOnChosenEngine } from '../../deep/onnx/route';
import type { trainClassifier, TrainOptions, TrainResult } from '../../deep/train';
import { getWeightsByValueAsync, setWeights, type WeightsByValue } from '../../deep/weights';
import { primaryObjective } from '../../engine/objectives';
import { candidateSafetySplit, runQsa, runQsaAsync } from '../../engine/qsa';
import { initialHeadTheta } from '../../deep/head-init';
import { resizeImages } from '../../deep/resize';
import { thetaFromWeights } from '../../deep/tfjs-model';
import type { ExperimentDataset } from '../types';
import {
  DEEP_ARCHITECTURES,
  deepModelType,
  deepParams,
  defaultBatchEpochs,
  installDeepImplementations,
  type BatchEpochs,
  type DeepArchitecture,
  type DeepParams,
} from './deep-types';
import { gatherLabelledRows, linearModel, linearPredictor, qsaLinearModel } from './feature-rows';
import type { ExperimentModelType, ModelContext, TrialFit, TrialInput, TrialModel, TrialPredictor } from './model-type';

export {
  BODY_LEARNING_RATE,
  cnnModel,
  DEFAULT_BATCH_SIZE,
  defaultBatchEpochs,
  parseEpochsPerFraction,
  qsaFullModel,
  qsaHeadModel,
  withDeepOptions,
  type BatchEpochs,
} from './deep-types';

// deep-types.ts names the architectures without importing tfjs: both lists must be the same.
const sameArchitectures: [DeepArchitecture, ArchitectureName] extends [ArchitectureName, DeepArchitecture] ? true : never = true;
void sameArchitectures;
if (DEEP_ARCHITECTURES.length !== Object.keys(ARCHITECTURES).length) throw new Error('deep-types.ts: DEEP_ARCHITECTURES is out of date with src-main/deep/architectures.ts');

/** Tutorial J's QSA settings for the head. */
export const HEAD_QSA = { alphaTheta: 0.01, alphaLambda: 0.01, lambdaInit: 0.5 } as const;

/** The architecture and the input size for images of this size. */
export function chooseArchitecture(height: number, width: number, chosen: ArchitectureName | null): { name: ArchitectureName; inputShape: [number, number] } {
  if (chosen === 'tutorial-j-cnn' || (chosen === null && Math.min(height, width) >= 48)) return { name: 'tutorial-j-cnn', inputShape: [48, 48] };
  return { name: 'tutorial-g-cnn', inputShape: [height, width] };
}

/** What a test may watch or replace: the training call (e.g. to record the rows it is given). */
export interface DeepModelHooks {
  readonly train?: (model: Parameters<typeof trainClassifier>[0], images: ImageSet, labels: Int32Array, rows: Int32Array, options: TrainOptions) => Promise<TrainResult>;
}

/** The model, its initial weights by value, and the dataset's images at the model's input size. */
class DeepState {
  readonly model;
  /** Read on the first ready(): asynchronously, so that a model built on webgpu can be read at all. */
  private initial: WeightsByValue | undefined;
  readonly images: ImageSet;
  readonly labels: Int32Array;
  constructor(
    dataset: ExperimentDataset,
    private readonly params: DeepParams,
    who: string,
  ) {
    const img = dataset.images;
    if (!img) throw new RangeError(`${who} needs a dataset with images`);
    const arch = chooseArchitecture(img.height, img.width, params.architecture);
    const all: ImageSet = { pixels: img.pixels, n: dataset.nRows, height: img.height, width: img.width, channels: img.channels };
    this.images = resizeImages(all, arch.inputShape[0], arch.inputShape[1]);
    this.labels = Int32Array.from(dataset.labels);
    planLayers(ARCHITECTURES[arch.name], [arch.inputShape[0], arch.inputShape[1], img.channels], dataset.nClasses);
    this.model = buildModel(arch.name, { numClasses: dataset.nClasses, seed: params.initSeed, inputShape: [arch.inputShape[0], arch.inputShape[1], img.channels] });
  }

  /**
   * Makes the preferred backend the active one before each trial: the process may have switched since
   * (a training run in the same worker picks its own). `auto` keeps any backend but the cpu fallback (every
   * deep model's trials read tensors asynchronously, so webgpu too).
   */
  async ready(): Promise<void> {
    // Before any switch: the weights are read on the backend that made them (moving webgpu's tensors to
    // another backend would read them synchronously). reset() then writes them on the active one.
    this.initial ??= await getWeightsByValueAsync(this.model);
    const current = tf.getBackend() as string | undefined;
    const want = this.params.backend;
    const ok =
      want === 'auto'
        ? current !== undefined && current !== 'cpu'
        : want === 'onnxruntime'
          ? current !== undefined && onnxReplaces(current)
          : current === want;
    if (!ok) await selectBackend(want, defaultLoaders, { syncReads: false });
  }

  /** The initial weights by value, read by the first ready(). */
  initialWeights(): WeightsByValue {
    if (this.initial === undefined) throw new Error('DeepState: initial weights read before ready()');
    return this.initial;
  }

  /** Back to the stored initial weights (by value: every trial starts alike). */
  reset(): void {
    setWeights(this.model, this.initialWeights());
  }

  /** What computed this trial's training and inference: ONNX Runtime where it replaced tfjs, else tfjs's backend. */
  backend(): TrialBackend {
    return onnxFor(this.model) ? 'onnxruntime' : (tf.getBackend() as TrialBackend);
  }
}

function batchEpochsFor(params: DeepParams, fraction: number, nCandidateOfDataset: number): BatchEpochs {
  const given = params.batchEpochs?.[String(fraction)];
  return given ?? defaultBatchEpochs(fraction, nCandidateOfDataset);
}

/** Predictions for every dataset row, computed once after fitting; predict(rows) gathers from them. */
function tablePredictor(all: Float64Array, nOutputs: number): TrialPredictor {
  return {
    nOutputs,
    predict(rows?: Int32Array): Float64Array {
      if (!rows) return all;
      const out = new Float64Array(rows.length * nOutputs);
      rows.forEach((r, i) => out.set(all.subarray(r * nOutputs, (r + 1) * nOutputs), i * nOutputs));
      return out;
    },
  };
}

/** TrainOptions' signal and per-batch progress for a trial. */
function trainHooks(input: TrialInput, epochs: number): Pick<TrainOptions, 'signal' | 'onBatch'> {
  const { signal, onProgress } = input;
  return {
    ...(signal ? { signal } : {}),
    ...(onProgress
      ? {
          onBatch: (b) =>
            onProgress({ phase: 'training', done: b.epoch * b.batchesPerEpoch + b.batch + 1, total: epochs * b.batchesPerEpoch, epoch: b.epoch + 1, epochs, loss: b.loss }),
        }
      : {}),
  };
}

/** Inference options: the trial's signal, and progress under `phase`. */
function inferenceHooks(input: TrialInput, phase: 'latents' | 'predicting'): { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } {
  const { signal, onProgress } = input;
  return { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress: (done: number, total: number) => onProgress({ phase, done, total }) } : {}) };
}

/** The engine's signal and per-iteration progress (the loop is synchronous: a cancel is seen where the signal is checked). */
function qsaHooks(input: TrialInput): { signal?: AbortSignal; onIteration?: (p: { iteration: number; total: number }) => void } {
  const { signal, onProgress } = input;
  return {
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onIteration: (p: { iteration: number; total: number }) => onProgress({ phase: 'candidate_selection', done: p.iteration + 1, total: p.total }) } : {}),
  };
}

function createQsaHead({ dataset, constraints, settings, spec, kernel: kernelOptions }: ModelContext, hooks: DeepModelHooks): TrialModel {
  const params = deepParams(spec);
  const state = new DeepState(dataset, params, 'qsa-head');
  const train = hooks.train ?? trainOnChosenEngine;
  const qsa = settings.qsa;
  const K = dataset.nClasses;
  const objective = primaryObjective(K === 2 ? 'binary_logistic_loss' : 'multiclass_logistic_loss', K);
  const nCandidateOfDataset = roundHalfEven(dataset.nRows * (1 - qsa.fracSafety));
  const headQsa = {
    alphaTheta: typeof spec.params.alphaTheta === 'number' ? spec.params.alphaTheta : HEAD_QSA.alphaTheta,
    alphaLambda: typeof spec.params.alphaLambda === 'number' ? spec.params.alphaLambda : HEAD_QSA.alphaLambda,
    lambdaInit: typeof spec.params.lambdaInit === 'number' ? spec.params.lambdaInit : HEAD_QSA.lambdaInit,
  };
  return {
    async fit(input): Promise<TrialFit> {
      const { rows, fraction, seed } = input;
      await state.ready();
      const { candidate } = candidateSafetySplit(rows.length, qsa.fracSafety);
      if (candidate.end < 1) return { kind: 'nsf', reason: 'no candidate rows to train the body on' };
      const candidateRows = rows.slice(0, candidate.end);
      const be = batchEpochsFor(params, fraction, nCandidateOfDataset);
      state.reset();
      await train(state.model, state.images, state.labels, candidateRows, {
        epochs: be.epochs,
        batchSize: be.batchSize,
        learningRate: params.learningRate,
        seed,
        shuffle: false,
        ...trainHooks(input, be.epochs),
      });
      const backend = state.backend();
      const dim = latentDim(state.model);
      // Every dataset row through this trial's body (inference mode); the trial's rows are gathered from it.
      const allLatents = Float64Array.from(await extractLatents(state.model, state.images, { batchSize: 256, ...inferenceHooks(input, 'latents') }));
      const trialLatents = new Float64Array(rows.length * dim);
      rows.forEach((r, i) => trialLatents.set(allLatents.subarray(r * dim, (r + 1) * dim), i * dim));
      // The head's QSA on the kernel `fairbound qsa` would pick on these latents (createQsaKernel: SIMD
      // for large float32-exact matrices, which latents are), with the runner's share of the cores.
      const head = qsaLinearModel(trialLatents, dim, K, kernelOptions);
      let result;
      try {
        result = runQsa({
          model: head.model,
          objective,
          constraints,
          data: gatherLabelledRows(dataset, rows),
          fracDataInSafety: qsa.fracSafety,
          thetaInit: initialHeadTheta(dim, K, seed),
          boundMethod: qsa.boundMethod,
          settings: {
            lambdaInit: constraints.map(() => headQsa.lambdaInit),
            alphaTheta: headQsa.alphaTheta,
            alphaLambda: headQsa.alphaLambda,
            betaVelocity: qsa.betaVelocity,
            betaRmsprop: qsa.betaRmsprop,
            numIters: qsa.iterations,
            batchSize: null,
            nEpochs: null,
            clipTheta: null,
          },
          ...qsaHooks(input),
        });
      } finally {
        head.kernel.dispose();
      }
      if (result.outcome.kind !== 'passed') return { kind: 'nsf', reason: result.outcome.message, kernel: head.info, backend };
      const theta = result.outcome.solution;
      const data = { features: allLatents, nFeatures: dim };
      const predictor = linearPredictor(data, K, linearModel(allLatents, dim, K), theta);
      return { kind: 'solution', predictor: tablePredictor(predictor.predict(), predictor.nOutputs), theta, kernel: head.info, backend };
    },
    dispose(): void {
      state.model.dispose();
    },
  };
}

function createCnn({ dataset, spec }: ModelContext, hooks: DeepModelHooks): TrialModel {
  const params = deepParams(spec);
  const state = new DeepState(dataset, params, 'cnn');
  const train = hooks.train ?? trainOnChosenEngine;
  const K = dataset.nClasses;
  return {
    async fit(input): Promise<TrialFit> {
      const { rows, fraction, seed } = input;
      await state.ready();
      const be = batchEpochsFor(params, fraction, dataset.nRows);
      state.reset();
      await train(state.model, state.images, state.labels, rows, {
        epochs: be.epochs,
        batchSize: be.batchSize,
        learningRate: params.learningRate,
        seed,
        shuffle: true,
        ...trainHooks(input, be.epochs),
      });
      const probs = await predictProbabilities(state.model, state.images, { batchSize: 256, ...inferenceHooks(input, 'predicting') });
      const nOutputs = K === 2 ? 1 : K;
      const all = new Float64Array(dataset.nRows * nOutputs);
      if (K === 2) for (let i = 0; i < dataset.nRows; i++) all[i] = probs[i * 2 + 1];
      else all.set(probs);
      return { kind: 'solution', predictor: tablePredictor(all, nOutputs), theta: null, backend: state.backend() };
    },
    dispose(): void {
      state.model.dispose();
    },
  };
}

/** Tutorials G/H's full-model settings. */
export const FULL_QSA = { batchSize: 150, epochs: 5, alphaTheta: 0.001, alphaLambda: 0.01, lambdaInit: 0.5 } as const;

/** The trial's images in trial order (rows may repeat: a bootstrap resample). */
function gatherImages(images: ImageSet, rows: Int32Array): ImageSet {
  const size = images.height * images.width * images.channels;
  const pixels = new Uint8Array(rows.length * size);
  rows.forEach((r, i) => pixels.set(images.pixels.subarray(r * size, (r + 1) * size), i * size));
  return { ...images, pixels, n: rows.length };
}

function createQsaFull({ dataset, constraints, settings, spec }: ModelContext): TrialModel {
  const params = deepParams(spec);
  const state = new DeepState(dataset, params, 'qsa-full');
  const qsa = settings.qsa;
  const K = dataset.nClasses;
  const nOutputs = K === 2 ? 1 : K;
  const objective = primaryObjective(K === 2 ? 'binary_logistic_loss' : 'multiclass_logistic_loss', K);
  return {
    async fit(input): Promise<TrialFit> {
      const { rows, fraction } = input;
      // Every read of the model below is asynchronous (runQsaAsync, predictAsync): webgpu is allowed.
      await state.ready();
      state.reset();
      // ONNX Runtime computes the QSA's predictions and gradients where it stands in for wasm/cpu (the runs' rule).
      const chosen = await classifierModelOnChosenEngine(state.model, gatherImages(state.images, rows), { nOutputs, checkCancelled: () => input.signal?.throwIfAborted() });
      const model = chosen.model;
      const be = params.batchEpochs?.[String(fraction)] ?? { batchSize: FULL_QSA.batchSize, epochs: FULL_QSA.epochs };
      const result = await runQsaAsync({
        model,
        objective,
        constraints,
        data: gatherLabelledRows(dataset, rows),
        fracDataInSafety: qsa.fracSafety,
        thetaInit: thetaFromWeights(model.layout, state.initialWeights()),
        boundMethod: qsa.boundMethod,
        settings: {
          lambdaInit: constraints.map(() => FULL_QSA.lambdaInit),
          alphaTheta: FULL_QSA.alphaTheta,
          alphaLambda: FULL_QSA.alphaLambda,
          betaVelocity: qsa.betaVelocity,
          betaRmsprop: qsa.betaRmsprop,
          numIters: qsa.iterations,
          batchSize: be.batchSize,
          nEpochs: be.epochs,
          clipTheta: null,
        },
        ...qsaHooks(input),
      }).finally(chosen.release);
      if (result.outcome.kind !== 'passed') return { kind: 'nsf', reason: result.outcome.message };
      const theta = result.outcome.solution;
      const all = new Float64Array(dataset.nRows * nOutputs);
      const every = await classifierModelOnChosenEngine(state.model, state.images, { nOutputs });
      await every.model.predictAsync(theta, { start: 0, end: dataset.nRows }, all).finally(every.release);
      return { kind: 'solution', predictor: tablePredictor(all, nOutputs), theta, backend: chosen.onnx ? 'onnxruntime' : (tf.getBackend() as TrialBackend) };
    },
    dispose(): void {
      state.model.dispose();
    },
  };
}

/** The `qsa-full` type (Tutorials G/H), with its implementation. */
export function qsaFullModelType(): ExperimentModelType {
  return deepModelType('qsa-full', (context) => createQsaFull(context));
}

/** The `qsa-head` type with its implementation; hooks are for tests. */
export function qsaHeadModelType(hooks: DeepModelHooks = {}): ExperimentModelType {
  return deepModelType('qsa-head', (context) => createQsaHead(context, hooks));
}

/** The `cnn` baseline type with its implementation; hooks are for tests. */
export function cnnModelType(hooks: DeepModelHooks = {}): ExperimentModelType {
  return deepModelType('cnn', (context) => createCnn(context, hooks));
}

/**
 * Installs the implementations of `qsa-head`, `qsa-full` and `cnn` in this process (idempotent): only
 * where TensorFlow.js may run (the training worker process, the CLI). Their types are registered
 * everywhere already (registry.ts, from deep-types.ts).
 */
export function registerDeepExperimentModels(): void {
  installDeepImplementations({
    'qsa-head': (context) => createQsaHead(context, {}),
    'qsa-full': (context) => createQsaFull(context),
    cnn: (context) => createCnn(context, {}),
  });
}
