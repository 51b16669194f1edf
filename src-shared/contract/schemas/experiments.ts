/** Experiments (src-main/experiments). */
import { z } from 'zod';
import { PERFORMANCE_METRIC_NAMES, THETA_INIT_NAMES } from '../../domain/experiments';
import { BOUND_METHODS } from '../../domain/qsa';
import { count, id, text, wireNumber } from '../wire';
import { delta } from './constraints';
import { path, seed } from './fields';
import { jobId } from './jobs';
import { architecture, backendPreference, runConstraintSpec } from './runs';

export const experimentStatus = z.enum(['running', 'completed', 'cancelled', 'failed']);

export const experimentStartInput = z.object({
  name: text(200).optional(),
  notes: text(4000).optional(),
  datasetId: id,
  /** The experiment's dataset is the first `rows` rows of the stored order (the CLI's --rows); default: all. */
  rows: z.number().int().min(1).optional(),
  constraints: z.array(z.object({ source: text(4000), delta })).min(1).max(16),
  fractions: z.array(z.number().gt(0).max(1)).min(1).max(64),
  nTrials: z.number().int().min(1).max(10_000),
  /** Model list entries as the CLI takes them: `qsa-features`, `logistic`, `weighted-random:0.7`. */
  models: z.array(text(200)).min(1).max(16),
  performance: z.enum(PERFORMANCE_METRIC_NAMES).optional(),
  iterations: z.number().int().min(1).max(100_000).optional(),
  fracSafety: z.number().gt(0).lt(1).optional(),
  /** The QSA's λ₀, Adam step sizes for θ and λ, θ₀ and bound (the CLI's --lambda-init … --bound); defaults: the engine's. */
  lambdaInit: z.number().min(0).optional(),
  alphaTheta: z.number().positive().optional(),
  alphaLambda: z.number().positive().optional(),
  thetaInit: z.enum(THETA_INIT_NAMES).optional(),
  boundMethod: z.enum(BOUND_METHODS).optional(),
  /** The accuracy metric's decision threshold for binary models (the CLI's --threshold); default 0.5. */
  threshold: z.number().min(0).max(1).optional(),
  seed: seed.optional(),
  workers: z.number().int().min(1).max(64).optional(),
  /** Deep models (qsa-head, qsa-full, cnn): the CNN, unless a model entry names one (`qsa-head:tutorial-g-cnn`). */
  architecture: architecture.optional(),
  /**
   * Deep models: body-training batch size × epochs per data fraction (the CLI's `--epochs-per-fraction
   * 0.001:24x50,…`, Tutorial J's batch_epoch_dict); a fraction not listed gets Tutorial J's rule.
   */
  epochsPerFraction: z
    .array(z.object({ fraction: z.number().gt(0).max(1), batchSize: z.number().int().min(1).max(100_000), epochs: z.number().int().min(1).max(10_000) }))
    .max(64)
    .optional(),
  /** Deep models: the TensorFlow.js backend of the worker process (its chain, as for runs). */
  backend: backendPreference.optional(),
});
export type ExperimentStartInput = z.infer<typeof experimentStartInput>;

export const experimentSummary = z.object({
  id,
  name: z.string(),
  notes: z.string().nullable(),
  datasetId: id.nullable(),
  datasetName: z.string(),
  nRows: count,
  constraints: z.array(runConstraintSpec),
  fractions: z.array(wireNumber),
  nTrials: count,
  models: z.array(z.object({ name: z.string(), type: z.string(), kind: z.string() })),
  performance: z.string(),
  seed: z.number().int(),
  status: experimentStatus,
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  runSeconds: wireNumber,
  trialsStored: count,
  trialsPlanned: count,
});
export type ExperimentSummaryDto = z.infer<typeof experimentSummary>;

const meanWithError = z.object({ mean: wireNumber, ste: wireNumber });

export const experimentAggregates = z.object({
  nRows: count,
  constraints: z.array(runConstraintSpec),
  performanceMetric: z.enum(PERFORMANCE_METRIC_NAMES),
  models: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['seldonian', 'baseline']),
      nTrials: count,
      fractions: z.array(
        z.object({
          fraction: wireNumber,
          amount: wireNumber,
          trials: count,
          solutions: count,
          performance: meanWithError.extend({ n: count }).nullable(),
          probabilityOfSolution: meanWithError,
          probabilityOfViolation: z.array(meanWithError),
          violations: z.array(count),
        }),
      ),
    }),
  ),
});
export type ExperimentAggregatesDto = z.infer<typeof experimentAggregates>;

export const experimentDetail = z.object({
  experiment: experimentSummary,
  settings: z.record(z.string(), z.unknown()),
  aggregates: experimentAggregates,
  /** Trials that failed with an error (no outcome; left out of the aggregates), with the message. */
  failedTrials: z.array(z.object({ model: z.string(), fraction: wireNumber, trialIndex: count, error: z.string() })),
});
export type ExperimentDetail = z.infer<typeof experimentDetail>;

export const experimentRef = z.object({ experimentId: id });
export const experimentStarted = z.object({ jobId, experimentId: id });
/** experiments.resume: the experiment whose missing trials to run, and the worker threads (as experiments.start). */
export const experimentResumeInput = experimentRef.extend({ workers: experimentStartInput.shape.workers });
export const experimentModelsList = z.array(z.object({ type: z.string(), kind: z.string(), execution: z.string() }));
/** experiments.exportCsv: the folder, and whether existing files there may be replaced (otherwise a `conflict`). */
export const exportCsvInput = experimentRef.extend({ folder: path, overwrite: z.boolean().default(false) });
export const exportCsvOutput = z.object({ folder: z.string(), files: z.array(z.string()) });
