/**
 * `fairbound experiment run`'s definition flags → the contract's ExperimentStartInput, checked by its zod
 * schema as the app's `experiments.start` is (src-main/cli/flag-input.ts); the experiment is then created
 * by the same use-case as the route's (src-main/services/experiment-start.ts).
 */
import { experimentStartInput, type ExperimentStartInput } from '../../../src-shared/contract/schemas';
import { PERFORMANCE_METRICS, THETA_INITS, type PerformanceMetric, type ThetaInit } from '../../../src-shared/domain/experiments';
import { BACKEND_PREFERENCES, type BackendPreference } from '../../../src-shared/domain/backends';
import { BOUND_METHODS, type BoundMethod } from '../../../src-shared/domain/qsa';
import { InputError } from '../../errors/input-error';
import { parseEpochsPerFraction } from '../../experiments/models/deep-types';
import { createExperimentFromInput } from '../../services/experiment-start';
import type { WritableDB } from '../../store/database';
import { parseFlagInput } from '../flag-input';
import { UsageError } from '../usage-error';
import { resolveDataset } from './datasets';

export const RUN_DEFINITION_OPTIONS = [
  'dataset', 'constraint', 'delta', 'fractions', 'trials', 'models', 'performance', 'threshold', 'iterations', 'frac-safety',
  'lambda-init', 'alpha-theta', 'alpha-lambda', 'theta-init', 'bound', 'seed', 'name', 'epochs-per-fraction', 'rows', 'backend',
] as const;

export type RunValues = Partial<Record<(typeof RUN_DEFINITION_OPTIONS)[number] | 'workers' | 'resume', string | string[]>> & { quiet?: boolean; json?: boolean };

export const DEFAULT_EXPERIMENT_MODELS = 'qsa-features,logistic,uniform-random';

export function numberOption(name: string, raw: string | undefined, check: (v: number) => boolean, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return value;
}

export function integerOption(name: string, raw: string | undefined, min: number): number | undefined {
  return numberOption(name, raw, (v) => Number.isInteger(v) && v >= min, `an integer ≥ ${min}`);
}

/** The flags as the contract's input (the dataset, given by name or id, resolved to its id); usage errors name the flag. */
export function experimentInputFromFlags(db: WritableDB, values: RunValues, workers: number | undefined): ExperimentStartInput {
  const str = (key: keyof RunValues): string | undefined => values[key] as string | undefined;
  if (!values.dataset) throw new UsageError('experiment run needs --dataset <name|id> (or --resume <id>)');
  const sources = (values.constraint as string[] | undefined) ?? [];
  if (sources.length === 0) throw new UsageError("experiment run needs at least one --constraint '<str>'");
  const deltas = ((values.delta as string[] | undefined) ?? ['0.05']).map((d) => numberOption('delta', d, (v) => v > 0 && v < 1, 'strictly between 0 and 1')!);
  if (deltas.length !== 1 && deltas.length !== sources.length) throw new UsageError(`give one --delta or one per --constraint (${sources.length}), got ${deltas.length}`);
  if (!values.fractions) throw new UsageError('experiment run needs --fractions, e.g. 0.01,0.1,0.5,1');
  const fractions = str('fractions')!
    .split(',')
    .map((f) => numberOption('fractions', f, (v) => v > 0 && v <= 1, 'a comma-separated list of numbers in (0, 1]')!);
  const trials = integerOption('trials', str('trials'), 1);
  if (trials === undefined) throw new UsageError('experiment run needs --trials N');
  const models = (str('models') ?? DEFAULT_EXPERIMENT_MODELS).split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (models.length === 0) throw new UsageError('--models: no models given');
  const performance = str('performance') ?? 'accuracy';
  if (!PERFORMANCE_METRICS.includes(performance as PerformanceMetric)) throw new UsageError(`--performance must be one of ${PERFORMANCE_METRICS.join(', ')}, got '${performance}'`);
  const theta = str('theta-init');
  if (theta !== undefined && !THETA_INITS.includes(theta as ThetaInit)) throw new UsageError(`--theta-init must be one of ${THETA_INITS.join(', ')}, got '${theta}'`);
  const bound = str('bound');
  if (bound !== undefined && !(BOUND_METHODS as readonly string[]).includes(bound)) throw new UsageError(`--bound must be ${BOUND_METHODS.join(', ')}, got '${bound}'`);
  const backend = str('backend');
  if (backend !== undefined && !BACKEND_PREFERENCES.includes(backend as BackendPreference)) throw new UsageError(`--backend must be one of ${BACKEND_PREFERENCES.join(', ')}, got '${backend}'`);
  let epochsPerFraction: ExperimentStartInput['epochsPerFraction'];
  try {
    const text = str('epochs-per-fraction');
    if (text !== undefined) epochsPerFraction = Object.entries(parseEpochsPerFraction(text)).map(([fraction, be]) => ({ fraction: Number(fraction), ...be }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  // The contract's input, checked by its schema as the app's experiments.start is; undefined flags drop out.
  const candidate = {
    name: str('name'),
    datasetId: resolveDataset(db, str('dataset')!).id,
    // Range checked by the schema (and the dataset's size by the use-case), as experiments.start's rows.
    rows: numberOption('rows', str('rows'), () => true, 'a number'),
    constraints: sources.map((source, i) => ({ source, delta: deltas.length === 1 ? deltas[0] : deltas[i] })),
    fractions,
    nTrials: trials,
    models,
    performance: performance as PerformanceMetric,
    threshold: numberOption('threshold', str('threshold'), (v) => v >= 0 && v <= 1, 'in [0, 1]'),
    iterations: integerOption('iterations', str('iterations'), 1),
    fracSafety: numberOption('frac-safety', str('frac-safety'), (v) => v > 0 && v < 1, 'strictly between 0 and 1'),
    lambdaInit: numberOption('lambda-init', str('lambda-init'), (v) => v >= 0, 'a number ≥ 0'),
    alphaTheta: numberOption('alpha-theta', str('alpha-theta'), (v) => v > 0, 'positive'),
    alphaLambda: numberOption('alpha-lambda', str('alpha-lambda'), (v) => v > 0, 'positive'),
    thetaInit: theta as ThetaInit | undefined,
    boundMethod: bound as BoundMethod | undefined,
    seed: integerOption('seed', str('seed'), 0),
    workers,
    epochsPerFraction,
    backend: backend as BackendPreference | undefined,
  };
  return parseFlagInput(experimentStartInput, candidate, { nTrials: 'trials', boundMethod: 'bound', datasetId: 'dataset' });
}

/** Creates the experiment the flags define, through the route's use-case; its id. */
export function createFromFlags(db: WritableDB, values: RunValues, workers: number | undefined): number {
  const input = experimentInputFromFlags(db, values, workers);
  try {
    return createExperimentFromInput(db, input);
  } catch (error) {
    // A bad model entry or row count: the message names the flag, as the other usage errors do.
    if (error instanceof InputError && (error.key === 'models' || error.key === 'rows')) throw new UsageError(`--${error.key}: ${error.detail}`);
    throw error;
  }
}
