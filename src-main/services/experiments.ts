/**
 * Seldonian experiments behind the contract: `experiments.start` validates and stores the experiment
 * (bad input is the reply's error), then runs its trials as a job on a connection of its own, one
 * `job.progress` per finished trial with the runner's ETA; cancel aborts between trials.
 * `experiments.resume` runs the missing trials of a failed or cancelled experiment with the same job.
 * Engine trials (qsa-features, logistic, random baselines) run in worker threads, also with one worker;
 * deep models (qsa-head, qsa-full, cnn) run in the deep worker queue's worker process, one trial at a time
 * with progress per batch, never here: this module must not import TensorFlow.js (the app's main
 * process would freeze while it trains).
 */
import type { ExperimentDetail, ExperimentSummaryDto } from '../../src-shared/contract/schemas';
import { listExperimentModelTypes } from '../experiments/models/registry';
import { completedTrials, exportExperimentResults, experimentResults } from '../experiments/results';
import { experimentBusyMessage, ExperimentBusyError, type RunSummary } from '../experiments/runner';
import { runExperimentInThreads } from '../jobs/trial-threads/run-experiment';
import { openWorkspace, type WritableDB } from '../store/database';
import { deleteFinishedExperiment, experimentHolder, releaseExperimentClaim, getExperiment, listExperiments, type ExperimentInfo } from '../store/experiments';
import type { Handler, ServiceContext } from './context';
import { createExperimentFromInput } from './experiment-start';
import { notFound, ServiceError } from '../errors/reported-error';

function summaryDto(e: ExperimentInfo, stored: number): ExperimentSummaryDto {
  const s = e.settings;
  return {
    id: e.id,
    name: e.name,
    notes: e.notes,
    datasetId: e.datasetId,
    datasetName: e.datasetName,
    nRows: e.nRows,
    constraints: e.constraints.map((c) => ({ ...c })),
    fractions: [...s.fractions],
    nTrials: s.nTrials,
    models: s.models.map((m) => ({ name: m.name, type: m.type, kind: m.kind })),
    performance: s.performance,
    seed: e.seed,
    status: e.status,
    error: e.error,
    createdAt: e.createdAt,
    finishedAt: e.finishedAt,
    runSeconds: e.runSeconds,
    trialsStored: stored,
    trialsPlanned: s.nTrials * s.fractions.length * s.models.length,
  };
}

export const listExperimentsHandler: Handler<'experiments.list'> = (_input, ctx) =>
  listExperiments(ctx.db)
    .reverse()
    .map((e) => summaryDto(e, e.trialsStored));

export const experimentModelsHandler: Handler<'experiments.models'> = () => listExperimentModelTypes().map((t) => ({ type: t.type, kind: t.kind, execution: t.execution }));

export const getExperimentHandler: Handler<'experiments.get'> = (input, ctx) => {
  const results = experimentResults(ctx.db, input.experimentId);
  if (!results) throw notFound(`no experiment with id ${input.experimentId} (deleted?)`);
  const detail: ExperimentDetail = {
    experiment: summaryDto(results.experiment, completedTrials(results).length),
    settings: JSON.parse(JSON.stringify(results.experiment.settings)) as Record<string, unknown>,
    aggregates: {
      nRows: results.aggregates.nRows,
      constraints: results.aggregates.constraints.map((c) => ({ ...c })),
      performanceMetric: results.aggregates.performanceMetric,
      models: results.aggregates.models.map((m) => ({
        name: m.name,
        kind: m.kind,
        nTrials: m.nTrials,
        fractions: m.fractions.map((f) => ({
          ...f,
          performance: f.performance ? { ...f.performance } : null,
          probabilityOfSolution: { ...f.probabilityOfSolution },
          probabilityOfViolation: f.probabilityOfViolation.map((v) => ({ ...v })),
          violations: [...f.violations],
        })),
      })),
    },
    failedTrials: results.failedTrials.map((t) => ({ ...t })),
  };
  return detail;
};

export const startExperimentHandler: Handler<'experiments.start'> = (input, ctx) => {
  const experimentId = createExperimentFromInput(ctx.db, input);
  return { jobId: startExperimentJob(ctx, experimentId, input.workers), experimentId };
};

/**
 * Runs an experiment's missing trials as a job (all of them for a new one), on a connection of its own,
 * and records it in ctx.activeExperiments while it runs. The one job for experiments.start and
 * experiments.resume, so a resume reports, cancels and routes deep trials exactly as a start does.
 */
function startExperimentJob(ctx: ServiceContext, experimentId: number, workers: number | undefined): string {
  // Whether runExperiment returned (it then recorded the run's end on the row itself).
  let recorded = false;
  let failure: string | undefined;
  const jobId = ctx.jobs.start(
    'experiment',
    async ({ signal, progress }) => {
      let db: WritableDB | undefined;
      try {
        db = openWorkspace(ctx.dbPath, ctx.openOptions);
        progress({ fraction: 0, phase: 'starting', message: 'starting the trials' });
        let trialsDone = 0, trialsTotal = 0, skipped = 0;
        const stored = (): string => (skipped > 0 ? ` (${skipped} stored before)` : '');
        let summary: RunSummary;
        try {
          summary = await runExperimentInThreads(db, experimentId, {
            ...(workers !== undefined ? { workers } : {}),
            ...(ctx.trialWorkerEntry ? { workerEntry: ctx.trialWorkerEntry } : {}),
            // Engine trials run in worker threads even with one worker: a trial here would block this
            // process (the app's main process, or the bridge's) for its whole fit.
            offMainThread: true,
            // Deep trials go to the deep worker queue's one worker process (TensorFlow.js stays out of this
            // one), with the kernel share the runner computed so its SIMD kernel and the threads share the cores.
            processSlot: (share) => ctx.deepWorker().openTrialSession(ctx.dbPath, experimentId, share),
            onTrialProgress: (task, p) => {
              const within = p.total > 0 ? p.done / p.total : 0;
              const step = p.phase === 'training' ? `training epoch ${p.epoch}/${p.epochs}, batch ${p.done} of ${p.total}` : `${p.phase.replace('_', ' ')} ${p.done}/${p.total}`;
              progress({
                fraction: trialsTotal === 0 ? 0 : Math.min(1, (trialsDone + within) / trialsTotal),
                phase: 'trials',
                message: `trial ${trialsDone + 1} of ${trialsTotal}${stored()}: ${task.model}, fraction ${task.fraction}, trial ${task.trialIndex + 1} (${task.rows.length} rows): ${step}`,
              });
            },
            onStart: (s) => {
              trialsTotal = s.total;
              skipped = s.skipped;
            },
            signal,
            onProgress: (p) => {
              trialsDone = p.done;
              const l = p.last;
              progress({
                fraction: p.total === 0 ? 1 : p.done / p.total,
                phase: 'trials',
                message: `trial ${p.done} of ${p.total}${stored()}: ${l.model}, fraction ${l.fraction}, trial ${l.trialIndex + 1} (${l.nRows} rows) ${l.error !== undefined ? `FAILED (${l.error})` : l.passed ? 'returned a solution' : 'no solution'}`,
                ...(p.etaSeconds !== null ? { etaSeconds: Math.max(0, Math.round(p.etaSeconds)) } : {}),
              });
            },
          });
          recorded = true;
        } catch (error) {
          failure = error instanceof Error ? error.message : String(error);
          // Another process claimed it after the handler's check: the same `conflict` the handler gives.
          if (error instanceof ExperimentBusyError) throw new ServiceError('conflict', error.message);
          throw error;
        }
        if (summary.status === 'cancelled') signal.throwIfAborted();
        if (summary.status === 'failed') throw new Error(summary.error ?? 'the experiment failed');
        return { kind: 'experiment', experimentId, status: summary.status, trialsRun: summary.trialsRun, seconds: summary.seconds };
      } finally {
        db?.close();
      }
    },
    // On the job's settlement, not in the work's `finally`: a cancel before the work begins skips the
    // work. Only this job's entry: a later start of the same experiment may have replaced it.
    // A job ended before runExperiment recorded its end (cancelled before the work began, the connection
    // failed to open): a new experiment's row, created `running` by this process, is ended here too, else
    // it would stay `running` and refuse a delete.
    (end) => {
      if (ctx.activeExperiments.get(experimentId) === jobId) ctx.activeExperiments.delete(experimentId);
      if (!recorded && end !== 'done') {
        releaseExperimentClaim(ctx.db, experimentId, end === 'cancelled' ? { status: 'cancelled' } : { status: 'failed', ...(failure !== undefined ? { error: failure } : {}) });
      }
    },
  );
  ctx.activeExperiments.set(experimentId, jobId);
  return jobId;
}

/**
 * Runs the missing trials of a failed or cancelled experiment (its stored trials are kept and skipped;
 * their resamples are stored, so the result is the one an uninterrupted run would have given). Refused
 * with `not_found` for an unknown id, and with `conflict` while it runs here or in another live process,
 * when its dataset was deleted, and when it is already completed — a completed experiment has nothing to
 * resume, and a clear refusal says so where a job that runs nothing would only look like a glitch.
 */
export const resumeExperimentHandler: Handler<'experiments.resume'> = (input, ctx) => {
  const id = input.experimentId;
  if (ctx.activeExperiments.has(id)) throw new ServiceError('conflict', `experiment ${id} is already running here: wait for it to end, or cancel it and resume it later`);
  const info = getExperiment(ctx.db, id);
  if (!info) throw notFound(`no experiment with id ${id} (deleted?)`);
  const holder = experimentHolder(ctx.db, id);
  if (holder) throw new ServiceError('conflict', experimentBusyMessage(id, holder));
  if (info.status === 'completed') throw new ServiceError('conflict', `experiment ${id} is completed: every trial is stored, there is nothing to resume`);
  if (info.datasetId === null) throw new ServiceError('conflict', `experiment ${id}'s dataset '${info.datasetName}' was deleted: its stored trials can be shown and exported, not resumed`);
  return { jobId: startExperimentJob(ctx, id, input.workers), experimentId: id };
};

export const cancelExperimentHandler: Handler<'experiments.cancel'> = (input, ctx) => {
  const jobId = ctx.activeExperiments.get(input.experimentId);
  return { cancelled: jobId !== undefined && ctx.jobs.cancel(jobId) };
};

/** Deletes an experiment with its trials; a running one (here or in another process) is refused. */
export const deleteExperimentHandler: Handler<'experiments.delete'> = (input, ctx) => {
  const refuse = (): ServiceError =>
    new ServiceError('conflict', `experiment ${input.experimentId} is running: cancel it and wait for it to stop, then delete it`);
  if (ctx.activeExperiments.has(input.experimentId)) throw refuse();
  const result = deleteFinishedExperiment(ctx.db, input.experimentId);
  if (result.outcome === 'active') throw refuse();
  return { deleted: result.outcome === 'deleted' };
};

export const exportExperimentHandler: Handler<'experiments.exportCsv'> = (input, ctx) => {
  const results = experimentResults(ctx.db, input.experimentId);
  if (!results) throw notFound(`no experiment with id ${input.experimentId} (deleted?)`);
  const files = exportExperimentResults(results, input.folder, { overwrite: input.overwrite });
  return { folder: input.folder, files };
};
