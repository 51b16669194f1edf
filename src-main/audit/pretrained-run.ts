/**
 * A pretrained run's request (`runs.startPretrained`, `fairbound audit --retrain-head --model …`) turned
 * into the run to queue, in the process that queues it: every check that needs no TensorFlow.js or ONNX
 * Runtime is done here, so bad input is the reply's error and never a failed run — the dataset holds
 * images, the model's files exist (each hashed: the run records what it ran on), an ONNX model has its
 * weights inside and a tensor to cut at, its input takes the images as stated, the constraints compile and
 * the split leaves rows on both sides. The rows are the dataset's stored order, split as the engine splits
 * (audit/retrain-head-rows.ts): which rows trained a model file is not known here.
 */
import { basename, dirname, resolve } from 'node:path';
import { roundHalfEven } from '../../src-shared/bounds/rounding';
import type { PretrainedRunRequest } from '../../src-shared/contract/schemas';
import type { ReadonlyDeep } from '../../src-shared/contract/wire';
import type { PretrainedSource, RunSettings } from '../../src-shared/domain/runs';
import { InputError } from '../errors/input-error';
import { compileRunConstraints, lambdaInit, resolveRunDataset, runSeeds } from '../runs/prepare';
import { HEAD_DEFAULTS } from '../runs/types';
import type { ReadableDB } from '../store/database';
import type { NewRun } from '../store/runs';
import { modelFiles } from './model-files';
import { findCut } from './onnx/cut';
import { readOnnxModel } from './onnx/onnx-file';
import { planInput } from './onnx/preprocess';

/** How the runs list names a pretrained run's model: the ONNX file, or the folder of a model.json. */
function modelName(source: PretrainedSource): string {
  if (source.kind === 'onnx') return `ONNX model ${basename(source.path)}`;
  return `TF.js model ${basename(source.path) === 'model.json' ? basename(dirname(source.path)) : basename(source.path)}`;
}

/** Checks the request against the workspace and the model file; returns the run to insert. */
export function preparePretrainedRun(db: ReadableDB, request: ReadonlyDeep<PretrainedRunRequest>): NewRun {
  const dataset = resolveRunDataset(db, request.dataset);
  if (!dataset.image) throw new InputError(`dataset '${dataset.name}' holds numeric features, not images: a model's body maps images to latent features`);
  const path = resolve(request.model);
  // onnx/predict.ts's isOnnxPath, which this module does not import: it would load ONNX Runtime here.
  const kind = path.toLowerCase().endsWith('.onnx') ? 'onnx' : 'tfjs';
  if (kind === 'tfjs' && (request.onnx !== undefined || request.latentOutput !== undefined)) {
    throw new InputError(`${request.onnx !== undefined ? 'the ONNX pre-processing' : 'latentOutput'} applies to an ONNX model (a .onnx file); ${path} is read as a TF.js layers model`, { file: path });
  }
  if (kind === 'onnx' && request.backend !== undefined) throw new InputError('backend picks the TF.js backend; an ONNX model runs on ONNX Runtime', { file: path });
  const files = modelFiles(path).files;
  const { height, width, channels } = dataset.image;
  const resize = request.resize ?? null;
  const preprocessing = { ...request.onnx, normalize: request.onnx?.normalize?.map((n) => ({ ...n })) };
  if (kind === 'onnx') {
    const file = readOnnxModel(path);
    if (file.hasExternalData) throw new InputError('a pretrained run needs a model without external data files (its weights inside the .onnx file)', { file: path });
    findCut(file, request.latentOutput);
    planInput(file.input, { height: resize ?? height, width: resize ?? width, channels }, preprocessing, { file: path, dataset: dataset.name, resize });
  }
  const nRows = dataset.nRows;
  const fracSafety = request.fracSafety ?? HEAD_DEFAULTS.fracSafety;
  const nCandidate = roundHalfEven(nRows * (1 - fracSafety));
  const nSafety = nRows - nCandidate;
  if (nCandidate < 1 || nSafety < 1) throw new InputError(`${nRows} rows split at frac_safety ${fracSafety} leave ${nCandidate} candidate and ${nSafety} safety rows; both need at least one`);
  const numClasses = dataset.nClasses;
  const constraints = compileRunConstraints(request.constraints, dataset.sensitiveColumns, numClasses);
  const pretrained: PretrainedSource = {
    kind,
    path,
    files: files.map((f) => ({ ...f })),
    latentOutput: request.latentOutput ?? null,
    preprocessing: kind === 'onnx' ? { ...request.onnx, ...(preprocessing.normalize ? { normalize: preprocessing.normalize } : {}) } : null,
  };
  const binary = numClasses === 2;
  const sourceShape = [height, width, channels] as const;
  const settings: RunSettings = {
    pipeline: 'pretrained',
    architecture: 'pretrained',
    numClasses,
    datasetRows: nRows,
    rows: nRows,
    shuffleSeed: null,
    sourceShape,
    // The rows are loaded at their own size; the body resizes them for the model (resize, below).
    inputShape: sourceShape,
    resize,
    fracSafety,
    body: null,
    qsa: {
      numIters: request.iterations ?? HEAD_DEFAULTS.iterations,
      batchSize: null,
      nEpochs: null,
      alphaTheta: request.alphaTheta ?? HEAD_DEFAULTS.alphaTheta,
      alphaLambda: request.alphaLambda ?? HEAD_DEFAULTS.alphaLambda,
      lambdaInit: lambdaInit(request.lambdaInit, HEAD_DEFAULTS.lambdaInit, constraints.length),
      betaVelocity: HEAD_DEFAULTS.betaVelocity,
      betaRmsprop: HEAD_DEFAULTS.betaRmsprop,
      bound: request.bound ?? 'student-t',
    },
    qsaModel: binary ? 'logistic' : 'multiclass_logistic',
    objective: binary ? 'binary_logistic_loss' : 'multiclass_logistic_loss',
    pretrained,
  };
  const seed = request.seed ?? 0;
  return {
    name: request.name ?? null,
    notes: request.notes ?? null,
    datasetId: dataset.id,
    datasetName: dataset.name,
    pipeline: 'pretrained',
    architecture: modelName(pretrained),
    constraints: constraints.map((c) => ({ source: c.source, parsed: c.parsed, delta: c.delta })),
    settings,
    seed,
    seeds: runSeeds(seed),
    // An ONNX model's latents come from ONNX Runtime; TF.js's pure-JS backend only holds the run's record.
    backendPreference: kind === 'onnx' ? 'cpu' : (request.backend ?? 'auto'),
    nRows,
    nCandidate,
    nSafety,
  };
}
