/** Background jobs: their ids and each kind's outcome. */
import { z } from 'zod';
import { count, id, wireNumber } from '../wire';
import { auditResult, auditThresholdId } from './audit';

export const jobId = z.string().min(1).max(100);
export const jobStarted = z.object({ jobId });

export const jobKind = z.enum(['import', 'run', 'experiment', 'audit']);
export type JobKind = z.infer<typeof jobKind>;

export const jobResult = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('import'), datasetId: id, datasetName: z.string(), importJobId: id, nRows: count }),
  z.object({ kind: z.literal('run'), runId: id, status: z.enum(['passed', 'nsf', 'failed', 'cancelled']), error: z.string().nullable() }),
  z.object({ kind: z.literal('experiment'), experimentId: id, status: z.enum(['completed', 'cancelled', 'failed']), trialsRun: count, seconds: wireNumber }),
  /**
   * audit.start: the audit's result, as audit.run returns it (nothing is stored), and the id under which
   * the app keeps its probabilities for a while, for audit.atThreshold.
   */
  z.object({ kind: z.literal('audit'), result: auditResult, thresholdId: auditThresholdId.optional() }),
]);
export type JobResult = z.infer<typeof jobResult>;
