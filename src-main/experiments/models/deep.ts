/**
 * The deep-learning experiment models (spec §7.6), registered at run time with
 * `registerDeepExperimentModels()` (they import TensorFlow.js, which worker threads must not load, so
 * they run `in-process`, one trial at a time):
 *
 * - `qsa-head`: Tutorial J's body/head pipeline on the trial's rows. The body (tutorial-j-cnn for images
 *   of at least 48×48, resized to 48×48; tutorial-g-cnn otherwise, or as chosen by `qsa-head:<arch>`) is
 *   retrained from the SAME initial weights for every trial (built once from the model's init seed and
 *   kept by value; the Python library re-uses a shallow copy, spec §7.6) on the trial's CANDIDATE rows
 *   only (its first round(n·(1−frac_safety)) rows), then every trial row goes through the body in
 *   inference mode and the engine's QSA fits the head (θ₀ from a seeded U(±1/√d) draw, full batch,
 *   Tutorial J's α = 0.01, λ₀ = 0.5). The ground truth is scored through this trial's body and the head.
 * - `cnn`: the full CNN without constraints, trained on all trial rows (Adam, cross-entropy); it predicts
 *   softmax[:, 1] for two classes, the class probabilities otherwise.
 * - `qsa-full`: Tutorials G/H: the whole CNN is the Seldonian model (θ = every trainable weight, from the
 *   same stored initial weights each trial), mini-batches (default 150 × 5 epochs, α_θ 0.001, α_λ 0.01,
 *   λ₀ 0.5; per fraction through --epochs-per-fraction). Slow: off unless named.
 */
import * as tf from '@tensorflow/tfjs';
import { roundHalfEven } from '../../../src-shared/bounds/rounding';
import { ARCHITECTURES, buildModel, isArchitectureName, planLayers, type ArchitectureName } from '../../deep/architectures';
import { selectBackend } from '../../deep/backends';
import type { ImageSet } from '../../deep/images';
import { extractLatents, latentDim, predictProbabilities } from '../../deep/inference';
import { trainClassifier, type TrainOptions, type TrainResult } from '../../deep/train';
import { getWeightsByValue, setWeights, type WeightsByValue } from '../../deep/weights';
import { primaryObjective } from '../../engine/objectives';
import { candidateSafetySplit, runQsa } from '../../engine/qsa';
import { initialHeadTheta } from '../../runs/head-init';
import { resizeImages } from '../../runs/resize';
import { TfjsClassifierModel, thetaOf } from '../../runs/tfjs-model';
import type { ExperimentDataset, ModelSpec } from '../types';
import { gatherLabelledRows, linearModel, linearPredictor } from './feature-rows';
import type { DatasetShape, ExperimentModelType, ModelContext, TrialFit, TrialModel, TrialPredictor } from './model-type';
import { registerExperimentModelType } from './registry';

/** Mini-batch size and epochs of body training at one data fraction. */
export interface BatchEpochs {
  readonly batchSize: number;
  readonly epochs: number;
}

/** The tutorial's fixed batch size. */
export const DEFAULT_BATCH_SIZE = 100;
/** Adam's learning rate in Tutorial J. */
export const BODY_LEARNING_RATE = 0.001;
/** Tutorial J's QSA settings for the head. */
export const HEAD_QSA = { alphaTheta: 0.01, alphaLambda: 0.01, lambdaInit: 0.5 } as const;

/**
 * Tutorial J's make_batch_epoch_dict_min_sample_repeat(25, φs, N_cand, 100, 4) for one φ: a fixed batch
 * of 100; 4 epochs when 4·N_cand·φ/100 > 25 batches, else ceil(25 / max(1, N_cand·φ/100)) epochs, so
 * every fraction sees at least 25 batches.
 */
export function defaultBatchEpochs(fraction: number, nCandidate: number, minBatches = 25, batchSize = DEFAULT_BATCH_SIZE, minEpochs = 4): BatchEpochs {
  const batchesPerEpoch = (nCandidate * fraction) / batchSize;
  const epochs = minEpochs * batchesPerEpoch > minBatches ? minEpochs : Math.ceil(minBatches / Math.max(1, batchesPerEpoch));
  return { batchSize, epochs };
}

/**
 * `0.001:24x50,0.01:100x4` → φ ↦ {batch, epochs}, like the tutorial's batch_epoch_dict. Throws RangeError
 * naming the bad entry.
 */
export function parseEpochsPerFraction(text: string): Record<string, BatchEpochs> {
  const out: Record<string, BatchEpochs> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const m = /^([0-9.eE+-]+):(\d+)x(\d+)$/.exec(entry);
    const fraction = m ? Number(m[1]) : Number.NaN;
    if (!m || !(fraction > 0 && fraction <= 1) || Number(m[2]) < 1 || Number(m[3]) < 1) {
      throw new RangeError(`--epochs-per-fraction entries are φ:BATCHxEPOCHS with φ in (0, 1], e.g. 0.01:100x4; got '${entry}'`);
    }
    out[String(fraction)] = { batchSize: Number(m[2]), epochs: Number(m[3]) };
  }
  if (Object.keys(out).length === 0) throw new RangeError('--epochs-per-fraction is empty');
  return out;
}

/** Settings of a deep model, as stored in its spec's params. */
interface DeepParams {
  readonly architecture: ArchitectureName | null;
  readonly initSeed: number;
  readonly learningRate: number;
  readonly batchEpochs: Readonly<Record<string, BatchEpochs>> | null;
}

function deepParams(spec: ModelSpec): DeepParams {
  const p = spec.params;
  const arch = typeof p.architecture === 'string' && isArchitectureName(p.architecture) ? p.architecture : null;
  return {
    architecture: arch,
    initSeed: typeof p.initSeed === 'number' ? p.initSeed : 0,
    learningRate: typeof p.learningRate === 'number' ? p.learningRate : BODY_LEARNING_RATE,
    batchEpochs: p.batchEpochs && typeof p.batchEpochs === 'object' ? (p.batchEpochs as Record<string, BatchEpochs>) : null,
  };
}

/** The architecture and the input size for images of this size. */
export function chooseArchitecture(height: number, width: number, chosen: ArchitectureName | null): { name: ArchitectureName; inputShape: [number, number] } {
  if (chosen === 'tutorial-j-cnn' || (chosen === null && Math.min(height, width) >= 48)) return { name: 'tutorial-j-cnn', inputShape: [48, 48] };
  return { name: 'tutorial-g-cnn', inputShape: [height, width] };
}

function checkImages(dataset: DatasetShape, spec: ModelSpec, who: string): string | null {
  if (!dataset.hasImages) return `${who} needs images (an image dataset); this dataset has ${dataset.nFeatures !== null ? 'numeric features only' : 'none'}`;
  return spec.params.architecture !== undefined && deepParams(spec).architecture === null ? `${who}: unknown architecture '${String(spec.params.architecture)}'` : null;
}

function specFor(type: string, argument: string | undefined): ModelSpec {
  if (argument === undefined) return { name: type, type, params: {} };
  if (!isArchitectureName(argument)) throw new RangeError(`${type}:ARCH takes one of ${Object.keys(ARCHITECTURES).join(', ')}; got '${argument}'`);
  return { name: `${type}-${argument.replace(/-cnn$/, '')}`, type, params: { architecture: argument } };
}

/** What a test may watch or replace: the training call (e.g. to record the rows it is given). */
export interface DeepModelHooks {
  readonly train?: (model: Parameters<typeof trainClassifier>[0], images: ImageSet, labels: Int32Array, rows: Int32Array, options: TrainOptions) => Promise<TrainResult>;
}

/** The model, its initial weights by value, and the dataset's images at the model's input size. */
class DeepState {
  readonly model;
  readonly initial: WeightsByValue;
  readonly images: ImageSet;
  readonly labels: Int32Array;
  private backendReady: Promise<unknown> | null = null;

  constructor(dataset: ExperimentDataset, params: DeepParams, who: string) {
    const img = dataset.images;
    if (!img) throw new RangeError(`${who} needs a dataset with images`);
    const arch = chooseArchitecture(img.height, img.width, params.architecture);
    const all: ImageSet = { pixels: img.pixels, n: dataset.nRows, height: img.height, width: img.width, channels: img.channels };
    this.images = resizeImages(all, arch.inputShape[0], arch.inputShape[1]);
    this.labels = Int32Array.from(dataset.labels);
    planLayers(ARCHITECTURES[arch.name], [arch.inputShape[0], arch.inputShape[1], img.channels], dataset.nClasses);
    this.model = buildModel(arch.name, { numClasses: dataset.nClasses, seed: params.initSeed, inputShape: [arch.inputShape[0], arch.inputShape[1], img.channels] });
    this.initial = getWeightsByValue(this.model);
  }

  /** Picks the backend once, before the first training, unless the process already chose one. */
  ready(): Promise<unknown> {
    this.backendReady ??= tf.getBackend() === 'cpu' || tf.getBackend() === undefined ? selectBackend('auto') : Promise.resolve();
    return this.backendReady;
  }

  /** Back to the stored initial weights (by value: every trial starts alike). */
  reset(): void {
    setWeights(this.model, this.initial);
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

function createQsaHead({ dataset, constraints, settings, spec }: ModelContext, hooks: DeepModelHooks): TrialModel {
  const params = deepParams(spec);
  const state = new DeepState(dataset, params, 'qsa-head');
  const train = hooks.train ?? trainClassifier;
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
    async fit({ rows, fraction, seed }): Promise<TrialFit> {
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
      });
      const dim = latentDim(state.model);
      // Every dataset row through this trial's body (inference mode); the trial's rows are gathered from it.
      const allLatents = Float64Array.from(await extractLatents(state.model, state.images, { batchSize: 256 }));
      const trialLatents = new Float64Array(rows.length * dim);
      rows.forEach((r, i) => trialLatents.set(allLatents.subarray(r * dim, (r + 1) * dim), i * dim));
      const result = runQsa({
        model: linearModel(trialLatents, dim, K),
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
      });
      if (result.outcome.kind !== 'passed') return { kind: 'nsf', reason: result.outcome.message };
      const theta = result.outcome.solution;
      const data = { features: allLatents, nFeatures: dim };
      const predictor = linearPredictor(data, K, linearModel(allLatents, dim, K), theta);
      return { kind: 'solution', predictor: tablePredictor(predictor.predict(), predictor.nOutputs), theta };
    },
    dispose(): void {
      state.model.dispose();
    },
  };
}

function createCnn({ dataset, spec }: ModelContext, hooks: DeepModelHooks): TrialModel {
  const params = deepParams(spec);
  const state = new DeepState(dataset, params, 'cnn');
  const train = hooks.train ?? trainClassifier;
  const K = dataset.nClasses;
  return {
    async fit({ rows, fraction, seed }): Promise<TrialFit> {
      await state.ready();
      const be = batchEpochsFor(params, fraction, dataset.nRows);
      state.reset();
      await train(state.model, state.images, state.labels, rows, { epochs: be.epochs, batchSize: be.batchSize, learningRate: params.learningRate, seed, shuffle: true });
      const probs = await predictProbabilities(state.model, state.images, { batchSize: 256 });
      const nOutputs = K === 2 ? 1 : K;
      const all = new Float64Array(dataset.nRows * nOutputs);
      if (K === 2) for (let i = 0; i < dataset.nRows; i++) all[i] = probs[i * 2 + 1];
      else all.set(probs);
      return { kind: 'solution', predictor: tablePredictor(all, nOutputs), theta: null };
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
    async fit({ rows, fraction }): Promise<TrialFit> {
      await state.ready();
      state.reset();
      const thetaInit = thetaOf(state.model);
      const be = params.batchEpochs?.[String(fraction)] ?? { batchSize: FULL_QSA.batchSize, epochs: FULL_QSA.epochs };
      const result = runQsa({
        model: new TfjsClassifierModel(state.model, gatherImages(state.images, rows), { nOutputs }),
        objective,
        constraints,
        data: gatherLabelledRows(dataset, rows),
        fracDataInSafety: qsa.fracSafety,
        thetaInit,
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
      });
      if (result.outcome.kind !== 'passed') return { kind: 'nsf', reason: result.outcome.message };
      const theta = result.outcome.solution;
      const all = new Float64Array(dataset.nRows * nOutputs);
      new TfjsClassifierModel(state.model, state.images, { nOutputs }).predict(theta, { start: 0, end: dataset.nRows }, all);
      return { kind: 'solution', predictor: tablePredictor(all, nOutputs), theta };
    },
    dispose(): void {
      state.model.dispose();
    },
  };
}

/** The `qsa-full` type (Tutorials G/H). */
export function qsaFullModelType(): ExperimentModelType {
  return {
    type: 'qsa-full',
    kind: 'seldonian',
    inputs: 'images',
    execution: 'in-process',
    description: 'full-model QSA (Tutorials G/H): the whole CNN is the Seldonian model, mini-batches; slow (qsa-full:tutorial-g-cnn|tutorial-j-cnn)',
    spec: (argument) => specFor('qsa-full', argument),
    check: (dataset, spec) => checkImages(dataset, spec, 'qsa-full'),
    create: (context) => createQsaFull(context),
  };
}

/** The `qsa-head` type; hooks are for tests. */
export function qsaHeadModelType(hooks: DeepModelHooks = {}): ExperimentModelType {
  return {
    type: 'qsa-head',
    kind: 'seldonian',
    inputs: 'images',
    execution: 'in-process',
    description: "Tutorial J's body/head pipeline: CNN body trained on the candidate rows, QSA on the head (qsa-head:tutorial-g-cnn|tutorial-j-cnn)",
    spec: (argument) => specFor('qsa-head', argument),
    check: (dataset, spec) => checkImages(dataset, spec, 'qsa-head'),
    create: (context) => createQsaHead(context, hooks),
  };
}

/** The `cnn` baseline type; hooks are for tests. */
export function cnnModelType(hooks: DeepModelHooks = {}): ExperimentModelType {
  return {
    type: 'cnn',
    kind: 'baseline',
    inputs: 'images',
    execution: 'in-process',
    description: 'the full CNN trained on all trial rows without constraints (Adam, cross-entropy) (cnn:tutorial-g-cnn|tutorial-j-cnn)',
    spec: (argument) => specFor('cnn', argument),
    check: (dataset, spec) => checkImages(dataset, spec, 'cnn'),
    create: (context) => createCnn(context, hooks),
  };
}

export const qsaHeadModel = qsaHeadModelType();
export const cnnModel = cnnModelType();
export const qsaFullModel = qsaFullModelType();

/** Registers `qsa-head`, `qsa-full` and `cnn` (idempotent). */
export function registerDeepExperimentModels(): void {
  registerExperimentModelType(qsaHeadModel);
  registerExperimentModelType(qsaFullModel);
  registerExperimentModelType(cnnModel);
}

/**
 * Sets options of the deep models of a model list, as the CLI gives them: the init seed (the same
 * initial weights for every trial), and batch/epochs per fraction.
 */
export function withDeepOptions(specs: readonly ModelSpec[], options: { initSeed?: number; batchEpochs?: Record<string, BatchEpochs> }): ModelSpec[] {
  return specs.map((s) =>
    s.type === 'qsa-head' || s.type === 'qsa-full' || s.type === 'cnn'
      ? {
          ...s,
          params: {
            ...s.params,
            ...(options.initSeed !== undefined ? { initSeed: options.initSeed } : {}),
            ...(options.batchEpochs ? { batchEpochs: options.batchEpochs } : {}),
          },
        }
      : s,
  );
}
