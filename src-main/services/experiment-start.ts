/**
 * Starting an experiment, the one translation both faces use: `experiments.start` (the app, the bridge)
 * and `fairbound experiment run` turn the contract's ExperimentStartInput into the stored experiment here
 * (model list, deep options, seeds, QSA settings), then run its trials each in its own way.
 */
import type { ExperimentStartInput } from '../../src-shared/contract/schemas';
import type { QsaSettings } from '../../src-shared/domain/experiments';
import { InputError } from '../errors/input-error';
import { DEEP_INIT_SEED_STREAM, withDeepOptions, type BatchEpochs } from '../experiments/models/deep-types';
import { parseModelList } from '../experiments/models/registry';
import { deriveExperimentSeed, randomSeed } from '../experiments/resample';
import { createExperiment, type ExperimentRequest } from '../experiments/runner';
import type { WritableDB } from '../store/database';

/**
 * What createExperiment needs for the input: a bad model entry is an InputError with key `models`. The
 * seed is fixed here (a random one when the input has none), so deep models start every trial from the
 * same initial weights, drawn from the experiment's seed.
 */
export function prepareExperiment(input: ExperimentStartInput): ExperimentRequest {
  let models;
  try {
    models = parseModelList(input.models.join(','));
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error), { key: 'models' });
  }
  const qsa: Partial<{ -readonly [K in keyof QsaSettings]: QsaSettings[K] }> = {};
  if (input.iterations !== undefined) qsa.iterations = input.iterations;
  if (input.fracSafety !== undefined) qsa.fracSafety = input.fracSafety;
  if (input.lambdaInit !== undefined) qsa.lambdaInit = input.lambdaInit;
  if (input.alphaTheta !== undefined) qsa.alphaTheta = input.alphaTheta;
  if (input.alphaLambda !== undefined) qsa.alphaLambda = input.alphaLambda;
  if (input.thetaInit !== undefined) qsa.thetaInit = input.thetaInit;
  if (input.boundMethod !== undefined) qsa.boundMethod = input.boundMethod;
  const seed = input.seed ?? randomSeed();
  const batchEpochs: Record<string, BatchEpochs> | undefined = input.epochsPerFraction
    ? Object.fromEntries(input.epochsPerFraction.map((e) => [String(e.fraction), { batchSize: e.batchSize, epochs: e.epochs }]))
    : undefined;
  models = withDeepOptions(models, {
    initSeed: deriveExperimentSeed(seed, DEEP_INIT_SEED_STREAM, 0),
    ...(batchEpochs ? { batchEpochs } : {}),
    ...(input.architecture !== undefined ? { architecture: input.architecture } : {}),
    ...(input.backend !== undefined ? { backend: input.backend } : {}),
  });
  return {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.notes !== undefined ? { notes: input.notes } : {}),
    datasetId: input.datasetId,
    ...(input.rows !== undefined ? { rows: input.rows } : {}),
    constraints: input.constraints,
    fractions: input.fractions,
    nTrials: input.nTrials,
    models,
    ...(input.performance !== undefined ? { performance: input.performance } : {}),
    ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
    qsa,
    seed,
  };
}

/** Validates and stores the experiment the input describes (status `running`, no trial yet); its id. */
export function createExperimentFromInput(db: WritableDB, input: ExperimentStartInput): number {
  return createExperiment(db, prepareExperiment(input));
}
