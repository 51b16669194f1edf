/**
 * Turns a run's input into the run's stored definition: every default resolved, every setting checked
 * against the dataset before anything starts (an unknown dataset, a constraint that does not compile,
 * an image too small for the network are bad input here, never a failed run later). The input's own
 * rules (ranges, enums, at least one constraint) are the contract's schema's (src-shared/contract/
 * run-input.ts), which every face parses first; they are not repeated here.
 */
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { roundHalfEven } from '../../src-shared/bounds/rounding';
import { InputError } from '../errors/input-error';
import type { RunInput } from '../../src-shared/contract/run-input';
import type { ReadonlyDeep } from '../../src-shared/contract/wire';
import { ARCHITECTURES, planLayers } from '../deep/architecture-specs';
import { deriveSeed } from '../deep/seeds';
import { ConstraintCompileError } from '../errors/constraint-compile-error';
import { compileForDataset, type ConstraintSource } from '../engine/compile-for-dataset';
import type { ReadableDB } from '../store/database';
import { findDataset, type DatasetInfo } from '../store/datasets';
import type { NewRun } from '../store/runs';
import { FULL_DEFAULTS, HEAD_DEFAULTS, type QsaSettings, type RunSeeds, type RunSettings } from './types';

/** Seeds of a run's streams: fixed derivations of its one seed. */
export function runSeeds(seed: number): RunSeeds {
  return { run: seed, model: deriveSeed(seed, 1), bodyBatches: deriveSeed(seed, 2), head: deriveSeed(seed, 3) };
}

export function lambdaInit(value: number | readonly number[] | undefined, fallback: number, nConstraints: number): number[] {
  const values = value === undefined ? [fallback] : typeof value === 'number' ? [value] : [...value];
  if (values.length !== 1 && values.length !== nConstraints) {
    throw new InputError(`lambdaInit needs one value or one per constraint (${nConstraints}), got ${values.length}`);
  }
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

/** Checks a parsed run input against the workspace and resolves it into the run to insert. */
export function prepareRun(db: ReadableDB, request: ReadonlyDeep<RunInput>): PreparedRun {
  const { pipeline } = request;
  const backend = request.backend ?? 'auto';
  const seed = request.seed ?? 0;

  const dataset = resolveRunDataset(db, request.dataset);
  if (!dataset.image) {
    throw new InputError(`dataset '${dataset.name}' holds numeric features, not images: training a CNN needs an image dataset`);
  }
  const numClasses = dataset.nClasses;
  const nRows = request.rows ?? dataset.nRows;
  if (nRows > dataset.nRows) throw new InputError(`rows is ${nRows} but dataset '${dataset.name}' has only ${dataset.nRows}`);

  const sourceShape = [dataset.image.height, dataset.image.width, dataset.image.channels] as const;
  const resize = request.resize ?? null;
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
      epochs: request.epochs ?? HEAD_DEFAULTS.epochs,
      batchSize: request.batchSize ?? HEAD_DEFAULTS.batchSize,
      learningRate: request.learningRate ?? HEAD_DEFAULTS.learningRate,
      shuffleBatches: request.shuffleBatches ?? false,
    };
    qsa = {
      numIters: request.iterations ?? HEAD_DEFAULTS.iterations,
      batchSize: null,
      nEpochs: null,
      alphaTheta: request.alphaTheta ?? HEAD_DEFAULTS.alphaTheta,
      alphaLambda: request.alphaLambda ?? HEAD_DEFAULTS.alphaLambda,
      lambdaInit: lambdaInit(request.lambdaInit, HEAD_DEFAULTS.lambdaInit, nConstraints),
      betaVelocity: HEAD_DEFAULTS.betaVelocity,
      betaRmsprop: HEAD_DEFAULTS.betaRmsprop,
      bound: request.bound ?? 'student-t',
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
      batchSize: request.batchSize ?? FULL_DEFAULTS.batchSize,
      nEpochs: request.epochs ?? FULL_DEFAULTS.epochs,
      alphaTheta: request.alphaTheta ?? request.learningRate ?? FULL_DEFAULTS.alphaTheta,
      alphaLambda: request.alphaLambda ?? FULL_DEFAULTS.alphaLambda,
      lambdaInit: lambdaInit(request.lambdaInit, FULL_DEFAULTS.lambdaInit, nConstraints),
      betaVelocity: FULL_DEFAULTS.betaVelocity,
      betaRmsprop: FULL_DEFAULTS.betaRmsprop,
      bound: request.bound ?? 'student-t',
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
      name: request.name ?? null,
      notes: request.notes ?? null,
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
