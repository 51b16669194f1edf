import { z } from 'zod';
import { runRequest } from './schemas';

const nonNegative = z.number().min(0);

/**
 * A training run's input as the training host takes it (runs/prepare.ts) and `fairbound train` gives
 * it: runs.start's request, plus a dataset named by name as well as by id, and the knobs the app does not
 * set (row shuffle, the QSA's step sizes and λ₀, batch reshuffling). Every rule of the route's request
 * holds here too; what needs the dataset (its size, its images, the constraints' columns) is checked
 * when the run is prepared.
 */
export const runInput = runRequest.extend({
  dataset: z.union([runRequest.shape.dataset, z.string().min(1).max(200)]),
  shuffleSeed: runRequest.shape.seed,
  alphaTheta: z.number().positive().optional(),
  alphaLambda: z.number().positive().optional(),
  /** One λ₀ for every constraint, or one per constraint. */
  lambdaInit: z.union([nonNegative, z.array(nonNegative).min(1)]).optional(),
  shuffleBatches: z.boolean().optional(),
});
export type RunInput = z.infer<typeof runInput>;
