/**
 * Training runs behind the contract: `runs.start` validates and queues a run on the deep worker queue (bad
 * input is the reply's error, not a failed job), then follows it as a job — every RunEvent goes out as
 * `run.event` with the job and run ids, and the run's end is the job's `job.done` / `job.failed` /
 * `job.cancelled`. Cancel (runs.cancel or jobs.cancel) returns at once; the host stops the worker's run.
 */
import type { BackendReportDto, BackendsReport, RunDetail, RunEventDto, RunSummaryDto } from '../../src-shared/contract/schemas';
import { CHAIN_LINKS_BY_PREFERENCE } from '../deep/backend-chain';
import type { BackendPreference, BackendReport } from '../deep/backend-types';
import { runBoundMethod } from '../../src-shared/domain/runs';
import type { RunEvent } from '../runs/types';
import { preparePretrainedRun } from '../audit/pretrained-run';
import type { QueuedRunHandle } from '../jobs/worker-queue/run-job';
import type { ReadableDB } from '../store/database';
import { getRunConstraints, getRunIterations } from '../store/run-results';
import { deleteFinishedRun, getRun, listRuns, type RunInfo } from '../store/runs';
import type { Handler, ServiceContext } from './context';
import { notFound, ServiceError } from '../errors/reported-error';

export function runSummaryDto(r: RunInfo): RunSummaryDto {
  return {
    id: r.id,
    name: r.name,
    notes: r.notes,
    datasetId: r.datasetId,
    datasetName: r.datasetName,
    pipeline: r.pipeline,
    architecture: r.architecture,
    constraints: r.constraints.map((c) => ({ ...c })),
    seed: r.seed,
    backendPreference: r.backendPreference,
    backend: r.backend ? describeBackend(r.backend) : null,
    status: r.status,
    phase: r.phase,
    error: r.error,
    nRows: r.nRows,
    nCandidate: r.nCandidate,
    nSafety: r.nSafety,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

function describeBackend(b: BackendReport): string {
  if (b.name === 'tensorflow') return `tensorflow (${b.device ?? 'cpu'})`;
  if (b.name === 'wasm') return `wasm${b.simd ? ' + SIMD' : ''}`;
  if (b.name === 'webgpu' && b.adapter !== undefined) return `webgpu (${b.adapter.description || b.adapter.device}${b.adapter.software ? ', software' : ''})`;
  return b.name;
}

/** A stored report as the contract's (mutable) DTO. */
function backendReportDto(b: BackendReport): BackendReportDto {
  const { adapter, ...rest } = b;
  return {
    ...rest,
    ...(adapter !== undefined ? { adapter: { ...adapter, limits: { ...adapter.limits } } } : {}),
    attempts: b.attempts.map((a) => ({ ...a })),
  };
}

function requireRun(ctx: ServiceContext, runId: number): RunInfo {
  const run = getRun(ctx.db, runId);
  if (!run) throw notFound(`no run with id ${runId} (deleted?)`);
  return run;
}

export const listRunsHandler: Handler<'runs.list'> = (_input, ctx) => listRuns(ctx.db).reverse().map(runSummaryDto);

/** A stored run as the contract's RunDetail: what runs.get returns and `fairbound train --json` prints. */
export function storedRunDetail(db: ReadableDB, run: RunInfo): RunDetail {
  const result = run.result;
  return {
    run: runSummaryDto(run),
    settings: JSON.parse(JSON.stringify(run.settings)) as Record<string, unknown>,
    bound: runBoundMethod(run.settings),
    seeds: { ...run.seeds },
    backend: run.backend ? backendReportDto(run.backend) : null,
    timings: { ...run.timings },
    verdict: result?.verdict ?? null,
    outcome: result ? { ...result.outcome } : null,
    candidateSelection: result ? { ...result.candidateSelection } : null,
    constraints: getRunConstraints(db, run.id).map((c) => ({ ...c, nodes: c.nodes.map((n) => ({ ...n })) })),
    groupAccuracy: result?.groupAccuracy ? { of: result.groupAccuracy.of, threshold: result.groupAccuracy.threshold, groups: result.groupAccuracy.groups.map((g) => ({ ...g })) } : null,
    trainedCnnGroupAccuracy: result?.trainedCnnGroupAccuracy ? result.trainedCnnGroupAccuracy.map((g) => ({ ...g })) : null,
    bodyTraining: result?.bodyTraining ? result.bodyTraining.map((e) => ({ ...e })) : null,
    ...(result?.pretrainedBody ? { pretrainedBody: { ...result.pretrainedBody, replacedHead: { ...result.pretrainedBody.replacedHead }, kernel: { ...result.pretrainedBody.kernel } } } : {}),
  };
}

export const getRunHandler: Handler<'runs.get'> = (input, ctx) => storedRunDetail(ctx.db, requireRun(ctx, input.runId));

export const runIterationsHandler: Handler<'runs.iterations'> = (input, ctx) => {
  requireRun(ctx, input.runId);
  return { runId: input.runId, iterations: getRunIterations(ctx.db, input.runId) };
};

function eventDto(e: RunEvent): RunEventDto {
  switch (e.type) {
    case 'iteration':
      return { ...e, g: [...e.g], lambda: [...e.lambda] };
    default:
      return { ...e };
  }
}

export const startRunHandler: Handler<'runs.start'> = (input, ctx) =>
  followQueuedRun(ctx, (onEvent) => ctx.deepWorker().start(ctx.dbPath, { ...input, dataset: input.dataset }, { onEvent }));

/** Tutorial J's pretrained-network path on a model file, as a stored run (audit/pretrained-run.ts). */
export const startPretrainedRunHandler: Handler<'runs.startPretrained'> = (input, ctx) =>
  followQueuedRun(ctx, (onEvent) => ctx.deepWorker().startPrepared(ctx.dbPath, (db) => preparePretrainedRun(db, input), { onEvent }));

/** A run its caller has queued, followed as a job: its events as run.event, its end as job.*. */
function followQueuedRun(ctx: ServiceContext, queue: (onEvent: (event: RunEvent) => void) => QueuedRunHandle): { jobId: string; runId: number } {
  let jobId: string | null = null;
  const early: RunEvent[] = [];
  const forward = (event: RunEvent): void => {
    if (jobId === null) early.push(event);
    else ctx.emit('run.event', { jobId, runId: event.runId, event: eventDto(event) });
  };
  // Throws InputError / ConstraintCompileError for a bad request: the reply carries it.
  const handle = queue(forward);
  const id = ctx.jobs.start('run', async ({ signal }) => {
    const onAbort = (): void => handle.cancel(signal.reason instanceof Error ? signal.reason.message : 'cancelled');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await handle.done;
      if (outcome.status === 'cancelled' && signal.aborted) signal.throwIfAborted();
      if (outcome.status === 'queued' || outcome.status === 'running') throw new Error(`run ${handle.runId} ended while ${outcome.status}`);
      return { kind: 'run', runId: handle.runId, status: outcome.status, error: outcome.error };
    } finally {
      signal.removeEventListener('abort', onAbort);
      ctx.activeRuns.delete(handle.runId);
    }
  });
  jobId = id;
  ctx.activeRuns.set(handle.runId, id);
  for (const event of early.splice(0)) forward(event);
  return { jobId: id, runId: handle.runId };
};

export const cancelRunHandler: Handler<'runs.cancel'> = (input, ctx) => {
  const jobId = ctx.activeRuns.get(input.runId);
  if (jobId !== undefined && ctx.jobs.cancel(jobId)) return { cancelled: true };
  return { cancelled: ctx.deepWorker().cancelRun(input.runId, 'cancelled by the user') };
};

/** Deletes a finished run; a queued or running one (here or in another process) is refused. */
export const deleteRunHandler: Handler<'runs.delete'> = (input, ctx) => {
  if (ctx.activeRuns.has(input.runId)) throw runStillActive(input.runId, 'running');
  const result = deleteFinishedRun(ctx.db, input.runId);
  if (result.outcome === 'active') throw runStillActive(input.runId, result.status);
  return { deleted: result.outcome === 'deleted' };
};

function runStillActive(runId: number, status: string): ServiceError {
  return new ServiceError('conflict', `run ${runId} is ${status}: cancel it and wait for it to stop, then delete it`);
}

export const backendsReportHandler: Handler<'backends.report'> = (_input, ctx) => {
  const latest = listRuns(ctx.db)
    .reverse()
    .find((r) => r.backend !== null);
  const report: BackendsReport = {
    preferences: (Object.keys(CHAIN_LINKS_BY_PREFERENCE) as BackendPreference[]).map((preference) => ({ preference, candidates: [...CHAIN_LINKS_BY_PREFERENCE[preference]] })),
    latest: latest?.backend ? { runId: latest.id, report: backendReportDto(latest.backend) } : null,
  };
  return report;
};
