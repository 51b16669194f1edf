/**
 * Turns a RunRequest into the run's stored definition: every default resolved, every setting checked
 * against the dataset before anything starts (an unknown dataset, a constraint that does not compile,
 * an image too small for the network are bad input here, never a failed run later).
 */
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { roundHalfEven } from '../../src-shared/bounds/rounding';
import { InputError } from '../errors/input-error';
import { ARCHITECTURES, isArchitectureName, planLayers } from '../deep/architecture-specs';
import { BACKEND_PREFERENCES } from '../deep/backend-types';
import { deriveSeed, isValidSeed, MAX_SEED } from '../deep/seeds';
import { ConstraintCompileError } from '../errors/constraint-compile-error';
import { compileForDataset, type ConstraintSource } from '../engine/compile-for-dataset';
import type { ReadableDB } from '../store/database';
import { findDataset, type DatasetInfo } from '../store/datasets';
import type { NewRun } from '../store/runs';
import { FULL_DEFAULTS, HEAD_DEFAULTS, type QsaSettings, type RunRequest, type RunSeeds, type RunSettings } from './types';

/** Seeds of a run's streams: fixed derivations of its one seed. */
export function runSeeds(seed: number): RunSeeds {
  return { run: seed, model: deriveSeed(seed, 1), bodyBatches: deriveSeed(seed, 2), head: deriveSeed(seed, 3) };
}

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new InputError(`${what} must be a positive integer, got ${v}`);
  return v;
}

function positiveNumber(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0)) throw new InputError(`${what} must be a positive number, got ${v}`);
  return v;
}

function lambdaInit(value: number | readonly number[] | undefined, fallback: number, nConstraints: number): number[] {
  const values = value === undefined ? [fallback] : typeof value === 'number' ? [value] : [...value];
  if (values.length !== 1 && values.length !== nConstraints) {
    throw new InputError(`lambdaInit needs one value or one per constraint (${nConstraints}), got ${values.length}`);
  }
  values.forEach((v) => {
    if (!(Number.isFinite(v) && v >= 0)) throw new InputError(`lambdaInit values must be ≥ 0, got ${v}`);
  });
  return values.length === 1 ? Array.from({ length: nConstraints }, () => values[0]) : values;
}

/** The dataset a request names, or an InputError listing what exists. */
export function resolveRunDataset(db: ReadableDB, ref: string | number): DatasetInfo {
  const dataset = findDataset(db, ref);
  if (!dataset) throw new InputError(`no dataset '${ref}' in this workspace (see \`fairbound datasets\`)`);
  return dataset;
}

/**
 * A run's constraints against its dataset, named as the CLI's flags (`--constraint 2`). A run compiles
 * them twice through here: in prepareRun, to refuse a bad request before anything starts, and in the
 * worker from the stored sources (the compiled form holds functions and does not cross the process).
 */
export function compileRunConstraints(constraints: readonly ConstraintSource[], columns: readonly string[], numClasses: number): CompiledConstraint[] {
  return compileForDataset(constraints, { sensitiveColumns: columns, nClasses: numClasses }, (i, error) => new ConstraintCompileError(`--constraint ${i + 1}`, error));
}

export interface PreparedRun {
  readonly run: NewRun;
  readonly dataset: DatasetInfo;
  readonly constraints: readonly CompiledConstraint[];
}

/** Validates a request against the workspace and resolves it into the run to insert. */
export function prepareRun(db: ReadableDB, request: RunRequest): PreparedRun {
  const { pipeline } = request;
  if (pipeline !== 'head' && pipeline !== 'full') throw new InputError(`pipeline must be 'head' or 'full', got '${String(pipeline)}'`);
  if (!isArchitectureName(request.architecture)) {
    throw new InputError(`unknown model '${request.architecture}' (${Object.keys(ARCHITECTURES).join(', ')})`);
  }
  const backend = request.backend ?? 'auto';
  if (!BACKEND_PREFERENCES.includes(backend)) throw new InputError(`backend must be one of ${BACKEND_PREFERENCES.join(', ')}, got '${backend}'`);
  const seed = request.seed ?? 0;
  if (!isValidSeed(seed)) throw new InputError(`seed must be an integer in 0..${MAX_SEED}, got ${seed}`);
  if (request.shuffleSeed !== undefined && !isValidSeed(request.shuffleSeed)) {
    throw new InputError(`shuffleSeed must be an integer in 0..${MAX_SEED}, got ${request.shuffleSeed}`);
  }
  if (request.constraints.length === 0) throw new InputError('at least one constraint is needed');

  const dataset = resolveRunDataset(db, request.dataset);
  if (!dataset.image) {
    throw new InputError(`dataset '${dataset.name}' holds numeric features, not images: training a CNN needs an image dataset`);
  }
  const numClasses = dataset.nClasses;
  const nRows = positiveInteger(request.rows, dataset.nRows, 'rows');
  if (nRows > dataset.nRows) throw new InputError(`rows is ${nRows} but dataset '${dataset.name}' has only ${dataset.nRows}`);

  const sourceShape = [dataset.image.height, dataset.image.width, dataset.image.channels] as const;
  const resize = request.resize === undefined ? null : positiveInteger(request.resize, 0, 'resize');
  const inputShape = resize === null ? sourceShape : ([resize, resize, sourceShape[2]] as const);
  try {
    planLayers(ARCHITECTURES[request.architecture], inputShape, numClasses);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = resize === null ? ` (the dataset's images are ${sourceShape[0]}×${sourceShape[1]}; resize them, e.g. to ${ARCHITECTURES[request.architecture].defaultInputShape[0]})` : '';
    throw new InputError(`${message}${hint}`);
  }

  const defaults = pipeline === 'head' ? HEAD_DEFAULTS : FULL_DEFAULTS;
  const fracSafety = request.fracSafety ?? defaults.fracSafety;
  if (!(fracSafety > 0 && fracSafety < 1)) throw new InputError(`fracSafety must be strictly between 0 and 1, got ${fracSafety}`);
  const nCandidate = roundHalfEven(nRows * (1 - fracSafety));
  const nSafety = nRows - nCandidate;
  if (nCandidate < 1 || nSafety < 1) {
    throw new InputError(`${nRows} rows split at frac_safety ${fracSafety} leave ${nCandidate} candidate and ${nSafety} safety rows; both need at least one`);
  }
  const constraints = compileRunConstraints(request.constraints, dataset.sensitiveColumns, numClasses);
  const nConstraints = constraints.length;

  let body: RunSettings['body'] = null;
  let qsa: QsaSettings;
  if (pipeline === 'head') {
    body = {
      epochs: positiveInteger(request.epochs, HEAD_DEFAULTS.epochs, 'epochs'),
      batchSize: positiveInteger(request.batchSize, HEAD_DEFAULTS.batchSize, 'batchSize'),
      learningRate: positiveNumber(request.learningRate, HEAD_DEFAULTS.learningRate, 'learningRate'),
      shuffleBatches: request.shuffleBatches ?? false,
    };
    qsa = {
      numIters: positiveInteger(request.iterations, HEAD_DEFAULTS.iterations, 'iterations'),
      batchSize: null,
      nEpochs: null,
      alphaTheta: positiveNumber(request.alphaTheta, HEAD_DEFAULTS.alphaTheta, 'alphaTheta'),
      alphaLambda: positiveNumber(request.alphaLambda, HEAD_DEFAULTS.alphaLambda, 'alphaLambda'),
      lambdaInit: lambdaInit(request.lambdaInit, HEAD_DEFAULTS.lambdaInit, nConstraints),
      betaVelocity: HEAD_DEFAULTS.betaVelocity,
      betaRmsprop: HEAD_DEFAULTS.betaRmsprop,
    };
  } else {
    if (request.iterations !== undefined) {
      throw new InputError('iterations applies to the head pipeline; the full pipeline runs epochs × mini-batches');
    }
    if (request.shuffleBatches !== undefined) throw new InputError('shuffleBatches applies to body training (the head pipeline)');
    if (request.learningRate !== undefined && request.alphaTheta !== undefined && request.learningRate !== request.alphaTheta) {
      throw new InputError(`the full pipeline's learning rate is α_θ: give one of learningRate (${request.learningRate}) and alphaTheta (${request.alphaTheta})`);
    }
    qsa = {
      numIters: null,
      batchSize: positiveInteger(request.batchSize, FULL_DEFAULTS.batchSize, 'batchSize'),
      nEpochs: positiveInteger(request.epochs, FULL_DEFAULTS.epochs, 'epochs'),
      alphaTheta: positiveNumber(request.alphaTheta ?? request.learningRate, FULL_DEFAULTS.alphaTheta, 'alphaTheta'),
      alphaLambda: positiveNumber(request.alphaLambda, FULL_DEFAULTS.alphaLambda, 'alphaLambda'),
      lambdaInit: lambdaInit(request.lambdaInit, FULL_DEFAULTS.lambdaInit, nConstraints),
      betaVelocity: FULL_DEFAULTS.betaVelocity,
      betaRmsprop: FULL_DEFAULTS.betaRmsprop,
    };
  }

  const binary = numClasses === 2;
  const settings: RunSettings = {
    pipeline,
    architecture: request.architecture,
    numClasses,
    datasetRows: dataset.nRows,
    rows: nRows,
    shuffleSeed: request.shuffleSeed ?? null,
    sourceShape,
    inputShape,
    resize,
    fracSafety,
    body,
    qsa,
    qsaModel: binary ? 'logistic' : 'multiclass_logistic',
    objective: binary ? 'binary_logistic_loss' : 'multiclass_logistic_loss',
  };
  return {
    dataset,
    constraints,
    run: {
      datasetId: dataset.id,
      datasetName: dataset.name,
      pipeline,
      architecture: request.architecture,
      constraints: constraints.map((c) => ({ source: c.source, parsed: c.parsed, delta: c.delta })),
      settings,
      seed,
      seeds: runSeeds(seed),
      backendPreference: backend,
      nRows,
      nCandidate,
      nSafety,
    },
  };
}
