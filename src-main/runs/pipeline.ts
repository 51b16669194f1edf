/**
 * One training run, start to finish, in whatever process calls it: the training worker in
 * the app and the CLI, or a test directly. It reads the run's stored settings, so what ran is exactly
 * what was stored.
 *
 * head (Tutorial J): row order fixed → engine split → CNN trained on the candidate rows only → head cut →
 *   every row through the body in inference mode → latent features → the engine's QSA on an untrained
 *   head (binary: the logistic model; multiclass: the softmax model), full batch.
 * full (Tutorials G/H): the whole CNN is the Seldonian model (θ = its trainable weights), mini-batches.
 *
 * Status changes are small transactions; results are written in one transaction at the end
 * (storeRunResults), so a failure or a cancel leaves the run with its settings and reason only.
 * Cancellation: the caller's signal (an IPC message, noticed between training batches) or the run's
 * cancel flag in the database (polled, also inside the engine's synchronous loops).
 *
 * The backend comes from the chain (run-backend.ts): either pipeline may train on webgpu, which in Node
 * reads tensors only asynchronously, so a run never reads one synchronously before it has read it
 * asynchronously (getWeightsByValueAsync caches every weight's value on the CPU), and the QSA runs
 * through runQsaAsync, which awaits the full model's reads.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../deep/architectures';
import type { BackendLoaders, BackendReport } from '../deep/backends';
import type { ParameterLayout } from '../deep/tfjs-model';
import { getWeightsByValueAsync } from '../deep/weights';
import { primaryObjective } from '../engine/objectives';
import { candidateSafetySplit, runQsaAsync } from '../engine/qsa';
import { predictRangeAsync } from '../engine/safety-test';
import type { WritableDB } from '../store/database';
import { RunNotRunningError, storeRunResults, type RunWeights } from '../store/run-results';
import { endRun, getRun, isRunCancelRequested, markRunStarted, setRunPhase, setRunTimings } from '../store/runs';
import { fullModelProblem } from './full-pipeline';
import { trainBodyAndExtract } from './head-pipeline';
import { cnnArchitecture, errorMessage, secondsSince, type PretrainedBodyPort, type PretrainedStepContext, type QsaProblem } from './pipeline-steps';
import { pretrainedProblem } from './pretrained-pipeline';
import { compileRunConstraints } from './prepare';
import { selectRunBackend } from './run-backend';
import { loadRunData } from './run-data';
import { cnnWeights, constraintResults, iterationLog, reportedTheta, summary, THRESHOLD, thetaShape, groupAccuracies } from './run-results';
import { runBoundMethod, type PretrainedBodySummary } from '../../src-shared/domain/runs';
import type { QsaResult } from '../engine/qsa';
import type { RunEvent, RunPhase, RunStatus } from './types';

export interface RunContext {
  /** Aborting it cancels the run (noticed between batches and between QSA iterations). */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RunEvent) => void;
  /** For tests: stand-in backend loaders. */
  readonly backendLoaders?: BackendLoaders;
  /** How often the database's cancel flag is read, in ms (default 200). */
  readonly cancelPollMs?: number;
  /** Minimum ms between two iteration events (default 100; the first and last are always sent). */
  readonly iterationEventMs?: number;
  /** How a pretrained run reads its source model (audit/pretrained-body.ts); required for those runs. */
  readonly pretrainedBody?: PretrainedBodyPort;
  /** The QSA's own result, before it is stored (the CLI prints it in the engine's report shape). */
  readonly onQsaResult?: (result: QsaResult) => void;
}

export interface RunOutcome {
  readonly runId: number;
  readonly status: RunStatus;
  readonly error: string | null;
}

/** Thrown inside a run once it is cancelled; never escapes executeRun. */
class RunCancelled extends Error {
  override readonly name = 'RunCancelled';
}

/**
 * Runs a queued run to its end and records the outcome; never throws for a failure of the run itself
 * (it is stored as `failed` with the reason, and returned).
 */
export async function executeRun(db: WritableDB, runId: number, ctx: RunContext = {}): Promise<RunOutcome> {
  const emit = (event: RunEvent): void => ctx.onEvent?.(event);
  const info = getRun(db, runId);
  if (!info) throw new Error(`executeRun: no run ${runId}`);
  if (info.status !== 'queued') return { runId, status: info.status, error: info.error };
  const finish = (status: RunStatus, error: string | null): RunOutcome => {
    emit({ type: 'finished', runId, status, error });
    return { runId, status, error };
  };
  if (info.cancelRequested || ctx.signal?.aborted) {
    endRun(db, runId, { status: 'cancelled', error: 'cancelled before it started' });
    return finish('cancelled', 'cancelled before it started');
  }

  let backendReport: BackendReport;
  try {
    if (info.settings.pipeline === 'pretrained' && !ctx.pretrainedBody) throw new Error(`run ${runId} is a pretrained run and this process cannot read its model`);
    backendReport = info.settings.pipeline === 'pretrained' ? await ctx.pretrainedBody!.backend(info, ctx.backendLoaders) : await selectRunBackend(info, ctx.backendLoaders);
  } catch (error) {
    const message = `no TensorFlow.js backend: ${errorMessage(error)}`;
    endRun(db, runId, { status: 'failed', error: message });
    return finish('failed', message);
  }
  if (!markRunStarted(db, runId, backendReport)) {
    const now = getRun(db, runId);
    return finish(now?.status ?? 'failed', now?.error ?? null);
  }
  emit({ type: 'status', runId, status: 'running' });

  const timings: Record<string, number> = {};
  const started = performance.now();
  // One controller for every way a cancel arrives; the work checks it between steps.
  const abort = new AbortController();
  const onCallerAbort = (): void => abort.abort();
  ctx.signal?.addEventListener('abort', onCallerAbort);
  const pollMs = ctx.cancelPollMs ?? 200;
  let lastPoll = 0;
  const pollCancel = (): void => {
    if (abort.signal.aborted) return;
    const now = performance.now();
    if (now - lastPoll < pollMs) return;
    lastPoll = now;
    if (ctx.signal?.aborted || isRunCancelRequested(db, runId)) abort.abort();
  };
  const throwIfCancelled = (): void => {
    pollCancel();
    if (abort.signal.aborted) throw new RunCancelled('cancelled');
  };
  let phaseStart = performance.now();
  let phase: RunPhase = 'loading';
  const enterPhase = (next: RunPhase): void => {
    // The engine times its own two phases (set from its result).
    if (phase !== 'candidate_selection' && phase !== 'safety_test') timings[phase] = (timings[phase] ?? 0) + secondsSince(phaseStart);
    phase = next;
    phaseStart = performance.now();
    setRunPhase(db, runId, next, timings);
    emit({ type: 'phase', runId, phase: next, backend: backendReport.name });
  };
  emit({ type: 'phase', runId, phase: 'loading', backend: backendReport.name });

  const tensorsBefore = tf.memory().numTensors;
  let model: tf.LayersModel | null = null;
  let releaseQsaModel: (() => Promise<void>) | undefined;
  try {
    const s = info.settings;
    const data = loadRunData(db, info);
    const { candidate, safety } = candidateSafetySplit(s.rows, s.fracSafety);
    if (candidate.end !== info.nCandidate) throw new Error(`run ${runId}: the split gives ${candidate.end} candidate rows, the run recorded ${info.nCandidate}`);
    const constraints = compileRunConstraints(info.constraints, data.rows.sensitiveColumns, s.numClasses);
    throwIfCancelled();

    const weights: RunWeights[] = [];
    const nOutputs = s.numClasses === 2 ? 1 : s.numClasses;
    const base: PretrainedStepContext = { runId, info, data, candidate, safety, emit, signal: abort.signal, pollCancel, throwIfCancelled, enterPhase };
    let prepared: QsaProblem;
    let pretrainedBody: PretrainedBodySummary | null = null;
    if (s.pipeline === 'pretrained') {
      const got = await pretrainedProblem(base, ctx.pretrainedBody!);
      prepared = got.problem;
      pretrainedBody = got.body;
    } else {
      model = buildModel(cnnArchitecture(s), { numClasses: s.numClasses, seed: info.seeds.model, inputShape: [s.inputShape[0], s.inputShape[1], s.inputShape[2]] });
      const initialWeights = await getWeightsByValueAsync(model);
      weights.push(cnnWeights('cnn_initial', initialWeights));
      const steps = { ...base, model };
      prepared = s.pipeline === 'head' ? await trainBodyAndExtract(steps) : await fullModelProblem(steps, initialWeights);
    }
    releaseQsaModel = prepared.release;
    if (prepared.trainedWeights) weights.push(cnnWeights('cnn_trained', prepared.trainedWeights));
    const { qsaModel, thetaInit, latents, dim, bodyRows, bodyTraining, trainedCnnGroupAccuracy } = prepared;

    enterPhase('candidate_selection');
    let lastEvent = -Infinity;
    const eventMs = ctx.iterationEventMs ?? 100;
    const selectionStart = performance.now();
    const result = await runQsaAsync({
      model: qsaModel,
      objective: primaryObjective(s.objective, s.numClasses),
      constraints,
      data: data.rows,
      fracDataInSafety: s.fracSafety,
      thetaInit,
      settings: {
        lambdaInit: s.qsa.lambdaInit,
        alphaTheta: s.qsa.alphaTheta,
        alphaLambda: s.qsa.alphaLambda,
        betaVelocity: s.qsa.betaVelocity,
        betaRmsprop: s.qsa.betaRmsprop,
        numIters: s.qsa.numIters ?? 0,
        batchSize: s.qsa.batchSize,
        nEpochs: s.qsa.nEpochs,
        clipTheta: null,
      },
      boundMethod: runBoundMethod(s),
      signal: abort.signal,
      onIteration: (p) => {
        pollCancel();
        const last = p.iteration + 1 === p.total;
        const now = performance.now();
        if (p.iteration === 0 || last || now - lastEvent >= eventMs) {
          lastEvent = now;
          const done = (p.iteration + 1) / p.total;
          emit({ type: 'iteration', runId, iteration: p.iteration, total: p.total, f: p.f, g: p.g, lambda: p.lambda, etaSeconds: (secondsSince(selectionStart) * (1 - done)) / done });
        }
        if (last) enterPhase('safety_test');
      },
    });
    throwIfCancelled();
    ctx.onQsaResult?.(result);
    timings.candidate_selection = result.timingsSeconds.candidateSelection;
    timings.safety_test = result.timingsSeconds.safetyTest;
    phaseStart = performance.now();

    const reported = reportedTheta(result);
    const groupAccuracy = reported
      ? { of: reported.of, threshold: THRESHOLD, groups: groupAccuracies(data.rows, safety, await predictRangeAsync(qsaModel, reported.theta, safety), nOutputs) }
      : null;
    const candidateTheta = result.candidateSelection?.outcome === 'candidate' ? result.candidateSelection.candidate : null;
    const solutionTheta = result.outcome.kind === 'passed' ? result.outcome.solution : null;
    if (s.pipeline !== 'full') {
      const head = (kind: RunWeights['kind'], theta: Float64Array): RunWeights => ({ kind, names: ['theta'], shapes: [thetaShape(theta, nOutputs)], data: theta });
      weights.push(head('head_initial', result.thetaInit));
      if (candidateTheta) weights.push(head('head_candidate', candidateTheta));
      if (solutionTheta) weights.push(head('head_solution', solutionTheta));
    } else {
      const layout = (qsaModel as typeof qsaModel & { readonly layout: ParameterLayout }).layout;
      const full = (kind: RunWeights['kind'], theta: Float64Array): RunWeights => ({ kind, names: layout.names, shapes: layout.shapes, data: theta });
      weights.push(full('theta_initial', result.thetaInit));
      if (candidateTheta) weights.push(full('theta_candidate', candidateTheta));
      if (solutionTheta) weights.push(full('theta_solution', solutionTheta));
    }
    const resultSummary = { ...summary(result, { groupAccuracy, trainedCnnGroupAccuracy, bodyTraining, latentDim: dim, nParams: qsaModel.nParams }), ...(pretrainedBody ? { pretrainedBody } : {}) };
    model?.dispose();
    model = null;

    timings.evaluation = secondsSince(phaseStart);
    enterPhase('saving');
    const status = resultSummary.verdict;
    const results = {
      status,
      result: resultSummary,
      iterations: iterationLog(result),
      constraints: constraintResults(result, constraints),
      weights,
      latents: latents && dim !== null ? { nRows: s.rows, dim, data: latents } : null,
      rows: { rowOrder: data.rowOrder, bodyRows },
    };
    storeRunResults(db, runId, { ...results, timings: { ...timings, total: secondsSince(started) } });
    // The write's own duration is known only after it: a small update of the timings.
    timings.saving = secondsSince(phaseStart);
    timings.total = secondsSince(started);
    setRunTimings(db, runId, timings);
    return finish(status, null);
  } catch (error) {
    timings[phase] = (timings[phase] ?? 0) + secondsSince(phaseStart);
    timings.total = secondsSince(started);
    if (error instanceof RunNotRunningError) {
      const now = getRun(db, runId);
      return finish(now?.status ?? 'failed', now?.error ?? error.message);
    }
    const cancelled = abort.signal.aborted;
    const message = cancelled ? (ctx.signal?.aborted && typeof ctx.signal.reason === 'string' ? ctx.signal.reason : `cancelled during ${phase}`) : errorMessage(error);
    endRun(db, runId, { status: cancelled ? 'cancelled' : 'failed', error: message, timings });
    const now = getRun(db, runId);
    return finish(now?.status ?? (cancelled ? 'cancelled' : 'failed'), now?.error ?? message);
  } finally {
    ctx.signal?.removeEventListener('abort', onCallerAbort);
    model?.dispose();
    await releaseQsaModel?.();
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked !== 0) process.emitWarning(`training run ${runId} left ${leaked} tensor(s) allocated`);
  }
}
