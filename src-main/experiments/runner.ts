/**
 * Experiments as a job: `createExperiment` validates a request and
 * stores it with its resamples; `runExperiment` runs every (trial, fraction, model) not yet stored —
 * so a second run of the same experiment resumes it — in worker threads up to the number of cores,
 * storing each trial as it finishes, reporting progress with an ETA, and stopping between trials when
 * its AbortSignal fires (the experiment is then `cancelled` and keeps its finished trials).
 */
import { availableParallelism } from 'node:os';
import { roundHalfEven } from '../../src-shared/bounds/rounding';
import { BOUND_METHODS } from '../../src-shared/domain/qsa';
import { InputError } from '../errors/input-error';
import { isValidSeed, MAX_SEED } from '../data/shuffle';
import { kernelThreadsFor, type QsaKernelOptions } from '../engine/kernels/select';
import type { WritableDB } from '../store/database';
import { getDataset, loadDatasetForTraining, type DatasetInfo } from '../store/datasets';
import {
  finishExperimentRun,
  getExperiment,
  getResample,
  insertExperiment,
  insertTrial,
  listFailedTrials,
  markExperimentRunning,
  experimentHolder,
  storedTrialKeys,
  trialKey,
  type ExperimentHolder,
  type ExperimentInfo,
  type ExperimentStatus,
} from '../store/experiments';
import { compileExperimentConstraints } from './constraints';
import type { DatasetShape, ExperimentModelType, TrialProgress } from './models/model-type';
import { experimentModelType } from './models/registry';
import { bootstrapIndices, deriveExperimentSeed, randomSeed, SEED_STREAM, trialRows } from './resample';
import { TrialExecutor } from './trial-executor';
import {
  DEFAULT_QSA_SETTINGS,
  PERFORMANCE_METRICS,
  THETA_INITS,
  type ExperimentConstraint,
  type ExperimentSettings,
  type ModelSpec,
  type PerformanceMetric,
  type QsaSettings,
  type TrialResult,
  type TrialTask,
} from './types';
import { schedule } from './schedule';
import { experimentDataset, experimentRows } from './trial-dataset';
import type { StartTrialThread, TrialSlot } from './trial-slot';


export interface ExperimentRequest {
  /** Default: `<dataset name> experiment`. */
  readonly name?: string;
  readonly notes?: string;
  readonly datasetId: number;
  /** The first `rows` rows of the dataset's stored order are the experiment's dataset. Default: all. */
  readonly rows?: number;
  /** One δ per constraint. */
  readonly constraints: readonly { readonly source: string; readonly delta: number }[];
  readonly fractions: readonly number[];
  readonly nTrials: number;
  readonly models: readonly ModelSpec[];
  readonly performance?: PerformanceMetric;
  readonly threshold?: number;
  readonly qsa?: Partial<QsaSettings>;
  /** Default: a random seed (stored). */
  readonly seed?: number;
}

function modelTypeOrInputError(type: string): ExperimentModelType {
  try {
    return experimentModelType(type);
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error));
  }
}

function datasetShape(info: DatasetInfo, nRows: number): DatasetShape {
  return { nRows, nClasses: info.nClasses, nFeatures: info.features?.count ?? null, hasImages: info.image !== null };
}

function checkQsa(qsa: QsaSettings): void {
  const problem = (key: string, what: string): never => {
    throw new InputError(`QSA setting ${key} must be ${what}`, { key });
  };
  if (!(qsa.fracSafety > 0 && qsa.fracSafety < 1)) problem('fracSafety', 'strictly between 0 and 1');
  if (!(qsa.lambdaInit >= 0 && Number.isFinite(qsa.lambdaInit))) problem('lambdaInit', 'a finite number ≥ 0');
  for (const key of ['alphaTheta', 'alphaLambda'] as const) if (!(qsa[key] > 0 && Number.isFinite(qsa[key]))) problem(key, 'a positive number');
  for (const key of ['betaVelocity', 'betaRmsprop'] as const) if (!(qsa[key] >= 0 && qsa[key] < 1)) problem(key, 'in [0, 1)');
  if (!(Number.isInteger(qsa.iterations) && qsa.iterations >= 1)) problem('iterations', 'a positive integer');
  if (!THETA_INITS.includes(qsa.thetaInit)) problem('thetaInit', THETA_INITS.map((t) => `'${t}'`).join(', '));
  if (!BOUND_METHODS.includes(qsa.boundMethod)) problem('boundMethod', BOUND_METHODS.map((b) => `'${b}'`).join(', '));
}

/**
 * Validates the request against the dataset (constraints compile, models exist and fit the dataset,
 * every fraction gives at least one row), draws the resamples and stores the experiment (status
 * running) with them in one transaction. Returns its id. Throws InputError / ConstraintCompileError.
 */
export function createExperiment(db: WritableDB, request: ExperimentRequest): number {
  const info = getDataset(db, request.datasetId);
  if (!info) throw new InputError(`no dataset with id ${request.datasetId}`);
  if (info.nRows < 1) throw new InputError(`dataset '${info.name}' has no rows`);
  const nRows = request.rows ?? info.nRows;
  if (!(Number.isInteger(nRows) && nRows >= 1 && nRows <= info.nRows)) {
    throw new InputError(`rows is ${nRows} but dataset '${info.name}' has ${info.nRows}; use 1..${info.nRows}`, { key: 'rows' });
  }
  if (request.constraints.length === 0) throw new InputError('an experiment needs at least one constraint');
  const compiled = compileExperimentConstraints(request.constraints, info);
  if (!(Number.isInteger(request.nTrials) && request.nTrials >= 1)) throw new InputError(`the number of trials must be a positive integer, got ${request.nTrials}`);
  if (request.fractions.length === 0) throw new InputError('an experiment needs at least one data fraction');
  for (const f of request.fractions) {
    if (!(f > 0 && f <= 1)) throw new InputError(`data fractions must lie in (0, 1], got ${f}`);
    if (roundHalfEven(f * nRows) < 1) throw new InputError(`data fraction ${f} of ${nRows} rows gives no row (round(φ·N) = 0); the smallest fraction must give at least one`);
  }
  if (new Set(request.fractions).size !== request.fractions.length) throw new InputError('a data fraction is listed twice');
  if (request.models.length === 0) throw new InputError('an experiment needs at least one model');
  const names = new Set<string>();
  for (const spec of request.models) {
    if (names.has(spec.name)) throw new InputError(`model '${spec.name}' is listed twice`);
    names.add(spec.name);
    const type = modelTypeOrInputError(spec.type);
    const problem = type.check(datasetShape(info, nRows), spec);
    if (problem) throw new InputError(`${spec.name}: ${problem}`);
  }
  const performance = request.performance ?? 'accuracy';
  if (!PERFORMANCE_METRICS.includes(performance)) throw new InputError(`unknown performance metric '${performance}' (known: ${PERFORMANCE_METRICS.join(', ')})`);
  const threshold = request.threshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1)) throw new InputError(`the accuracy threshold must lie in [0, 1], got ${threshold}`);
  const qsa: QsaSettings = { ...DEFAULT_QSA_SETTINGS, ...request.qsa };
  checkQsa(qsa);
  const seed = request.seed ?? randomSeed();
  if (!isValidSeed(seed)) throw new InputError(`the seed must be an integer in 0..${MAX_SEED}, got ${seed}`);

  const settings: ExperimentSettings = {
    ...(request.rows !== undefined ? { rows: request.rows } : {}),
    fractions: [...request.fractions],
    nTrials: request.nTrials,
    models: request.models.map((m) => ({ name: m.name, type: m.type, kind: experimentModelType(m.type).kind, params: { ...m.params } })),
    performance,
    threshold,
    qsa,
  };
  const constraints: ExperimentConstraint[] = compiled.map((c) => ({ source: c.source, parsed: c.parsed, delta: c.delta }));
  const resamples = Array.from({ length: request.nTrials }, (_, trialIndex) => {
    const resampleSeed = deriveExperimentSeed(seed, SEED_STREAM.resample, trialIndex);
    return { trialIndex, seed: resampleSeed, indices: bootstrapIndices(nRows, resampleSeed) };
  });
  return insertExperiment(
    db,
    { name: request.name ?? `${info.name} experiment`, ...(request.notes !== undefined ? { notes: request.notes } : {}), datasetId: info.id, datasetName: info.name, nRows, constraints, settings, seed },
    resamples,
  );
}

export interface ExperimentProgress {
  readonly experimentId: number;
  /** Trials finished in this run, and how many this run has in all. */
  readonly done: number;
  readonly total: number;
  /** Trials already stored before this run (skipped). */
  readonly skipped: number;
  readonly last: Pick<TrialResult, 'model' | 'fraction' | 'trialIndex' | 'nRows' | 'passed' | 'performance' | 'durationSeconds' | 'kernel' | 'backend' | 'error'>;
  readonly elapsedSeconds: number;
  /** Estimated from the rows done so far (trial cost grows with its rows); null before the first. */
  readonly etaSeconds: number | null;
}

export interface RunOptions {
  /**
   * Worker threads (default: the number of cores). 1 runs every trial on the calling thread, unless
   * `offMainThread` is set.
   */
  readonly workers?: number;
  /**
   * Run every trial of a `worker` model in a worker thread, even with one worker or on a one-core
   * machine: the app's services set it, since a trial on the calling thread would block the app's main
   * process for its whole fit (issue 7: long work never runs on the main thread). The CLI leaves it
   * off: there one worker means the calling thread, with no thread start-up or dataset copy.
   */
  readonly offMainThread?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ExperimentProgress) => void;
  /** Called once the run knows its work, before the first trial. */
  readonly onStart?: (start: { experimentId: number; total: number; skipped: number; workers: number }) => void;
  /**
   * Starts a worker thread for trials (src-main/jobs/trial-threads implements it). Without it there are
   * no worker threads: every trial of a `worker` model runs on the calling thread.
   */
  readonly startTrialThread?: StartTrialThread;
  /**
   * Where trials of `process` models (TensorFlow.js) run, one at a time: the app passes a slot in its
   * training worker process (DeepWorkerQueue.openTrialSession) so tfjs never loads in its main process.
   * Without one they run on the calling thread (the CLI). Called once, when the run has such trials,
   * with that process's share of the cores for its SIMD kernels (the qsa-head's QSA), so that the
   * trials running at once use no more kernel threads than there are cores.
   */
  readonly processSlot?: (share: { readonly kernel: QsaKernelOptions }) => TrialSlot | Promise<TrialSlot>;
  /** Progress inside a trial (deep models: per batch / iteration), wherever it runs. */
  readonly onTrialProgress?: (task: TrialTask, progress: TrialProgress) => void;
}

export interface RunSummary {
  readonly experimentId: number;
  readonly status: Exclude<ExperimentStatus, 'running'>;
  readonly error: string | null;
  readonly trialsRun: number;
  readonly trialsSkipped: number;
  readonly workers: number;
  readonly seconds: number;
}

/** What to say when another process runs the experiment (see ExperimentHolder in the store). */
export function experimentBusyMessage(experimentId: number, holder: ExperimentHolder): string {
  return holder.state === 'alive'
    ? `experiment ${experimentId} is running in another Fairbound process (pid ${holder.pid}): cancel it there (Ctrl-C, or Cancel in the app) or wait for it to end, then resume it`
    : `experiment ${experimentId} is running in a Fairbound process on another machine (${holder.host ?? 'unknown host'}) that shares this workspace: cancel it there or wait for it to end, then resume it`;
}

/**
 * Another live process runs this experiment, so this one may not (its trials would be stored twice).
 * An InputError, so the CLI exits 2 with the message; the services answer it with a `conflict`.
 */
export class ExperimentBusyError extends InputError {
  constructor(
    readonly experimentId: number,
    readonly holder: ExperimentHolder,
  ) {
    super(experimentBusyMessage(experimentId, holder));
  }
}

/** Per-task weight for the ETA: a trial's cost grows with its rows, plus a fixed part. */
const TASK_OVERHEAD_ROWS = 50;

/**
 * Runs the experiment's missing trials (all of them the first time). Input problems (unknown
 * experiment, deleted dataset) throw InputError, and an experiment that another live process is running
 * throws ExperimentBusyError, in both cases leaving the row as it was; a failure during the run is
 * recorded on the experiment and returned as status `failed`.
 */
export async function runExperiment(db: WritableDB, experimentId: number, options: RunOptions = {}): Promise<RunSummary> {
  const started = performance.now();
  const info = getExperiment(db, experimentId);
  if (!info) throw new InputError(`no experiment with id ${experimentId}`);
  // Checked before the dataset is loaded (seconds for a large image set), and again atomically below.
  const holder = experimentHolder(db, experimentId);
  if (holder) throw new ExperimentBusyError(experimentId, holder);
  if (info.datasetId === null) throw new InputError(`experiment ${experimentId}'s dataset '${info.datasetName}' was deleted; it can be shown and exported, not run`);
  const data = experimentRows(loadDatasetForTraining(db, info.datasetId), info);
  const constraints = compileExperimentConstraints(info.constraints, data);
  const tasks = plannedTasks(db, info);
  const skipped = info.settings.nTrials * info.settings.fractions.length * info.settings.models.length - tasks.length;
  const types = new Map(info.settings.models.map((m) => [m.name, modelTypeOrInputError(m.type)]));
  const requested = options.workers ?? availableParallelism();
  if (!(Number.isInteger(requested) && requested >= 1)) throw new InputError(`workers must be a positive integer, got ${requested}`);
  const startTrialThread = options.startTrialThread;
  const threadsAllowed = startTrialThread !== undefined && (requested > 1 || options.offMainThread === true);
  const inWorkers = (t: TrialTask): boolean => threadsAllowed && types.get(t.model)!.execution === 'worker';
  const inProcessSlot = (t: TrialTask): boolean => options.processSlot !== undefined && types.get(t.model)!.execution === 'process';
  const workerTasks = tasks.filter(inWorkers);
  const processTasks = tasks.filter(inProcessSlot);
  const mainTasks = tasks.filter((t) => !inWorkers(t) && !inProcessSlot(t));
  const nWorkers = Math.min(threadsAllowed ? requested : 0, workerTasks.length);
  // Trials that run at once: the worker threads, the calling thread's queue and the deep-work process's.
  // Each SIMD kernel gets its share of the cores (its threads spin while waiting for one another, so
  // trials × kernel threads beyond the cores would slow every trial); the deep-work process (the app's
  // training worker) gets the same share through processSlot.
  const parallelTrials = nWorkers + (mainTasks.length > 0 ? 1 : 0) + (processTasks.length > 0 ? 1 : 0);
  const kernel = { threads: kernelThreadsFor(parallelTrials) };

  const claim = markExperimentRunning(db, experimentId);
  if (claim.outcome === 'held') throw new ExperimentBusyError(experimentId, { state: claim.state, pid: claim.pid, host: claim.host });
  if (claim.outcome === 'missing') throw new InputError(`no experiment with id ${experimentId} (deleted while it was being prepared)`);
  options.onStart?.({ experimentId, total: tasks.length, skipped, workers: Math.max(1, nWorkers) });

  const weight = (t: TrialTask): number => t.rows.length + TASK_OVERHEAD_ROWS;
  const totalWeight = tasks.reduce((s, t) => s + weight(t), 0);
  let doneWeight = 0, done = 0;
  const onResult = (task: TrialTask, result: TrialResult): void => {
    insertTrial(db, experimentId, result);
    done++;
    doneWeight += weight(task);
    const elapsedSeconds = (performance.now() - started) / 1000;
    options.onProgress?.({
      experimentId,
      done,
      total: tasks.length,
      skipped,
      last: result,
      elapsedSeconds,
      etaSeconds: doneWeight > 0 ? (elapsedSeconds * (totalWeight - doneWeight)) / doneWeight : null,
    });
  };

  let executor: TrialExecutor | null = null;
  const slots: TrialSlot[] = [];
  let processSlot: TrialSlot | null = null;
  let status: RunSummary['status'] = 'completed';
  let error: string | null = null;
  try {
    const common = { constraints, settings: info.settings, seed: info.seed, kernel };
    if (nWorkers > 0 && startTrialThread) {
      const workerInputs = new Set(info.settings.models.filter((m) => types.get(m.name)!.execution === 'worker').map((m) => types.get(m.name)!.inputs));
      const dataset = experimentDataset(data, true, { features: workerInputs.has('features'), images: workerInputs.has('images') });
      const init = { dataset, ...common };
      const startups = await Promise.allSettled(Array.from({ length: nWorkers }, () => startTrialThread(init)));
      for (const s of startups) if (s.status === 'fulfilled') slots.push(s.value);
      const failedStart = startups.find((s) => s.status === 'rejected');
      if (failedStart) throw failedStart.reason;
    }
    if (processTasks.length > 0 && options.processSlot) processSlot = await options.processSlot({ kernel });
    if (mainTasks.length > 0) executor = new TrialExecutor({ dataset: experimentDataset(data, false), ...common });
    const outcome = await schedule({ slots, workerTasks, processSlot, processTasks, executor, mainTasks, onResult, onTrialProgress: options.onTrialProgress, signal: options.signal });
    status = outcome.status;
    error = outcome.error;
    // Failed trials (stored with their error) leave the experiment failed, never completed.
    if (status === 'completed') error = failedTrialsMessage(db, experimentId);
    if (error !== null) status = 'failed';
  } catch (e) {
    status = 'failed';
    error = e instanceof Error ? e.message : String(e);
  } finally {
    const all = processSlot ? [...slots, processSlot] : slots;
    await Promise.all(all.map((s) => (status === 'completed' ? s.close() : s.terminate()).catch(() => undefined)));
    executor?.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  finishExperimentRun(db, experimentId, { status, seconds, ...(error !== null ? { error } : {}) });
  return { experimentId, status, error, trialsRun: done, trialsSkipped: skipped, workers: Math.max(1, nWorkers), seconds };
}

/** What the experiment's stored failed trials say, or null when there are none. */
export function failedTrialsMessage(db: WritableDB, experimentId: number): string | null {
  const failed = listFailedTrials(db, experimentId);
  if (failed.length === 0) return null;
  const first = failed[0];
  return (
    `${failed.length} trial${failed.length === 1 ? '' : 's'} failed with an error and ${failed.length === 1 ? 'has' : 'have'} no result ` +
    `(first: ${first.model} φ=${first.fraction} trial ${first.trialIndex}: ${first.error}); the results cover the other trials, and a resume runs the failed ones again`
  );
}

/**
 * Every (trial, fraction, model) without a stored trial, trial-major: a run stopped half-way leaves
 * whole trials across fractions and models (paired), not whole fractions. Within a trial the largest
 * fraction goes first, so the long trials start early and the workers finish together.
 */
function plannedTasks(db: WritableDB, info: ExperimentInfo): TrialTask[] {
  const stored = storedTrialKeys(db, info.id);
  const tasks: TrialTask[] = [];
  for (let trialIndex = 0; trialIndex < info.settings.nTrials; trialIndex++) {
    const missing = info.settings.fractions.some((_, f) => info.settings.models.some((m) => !stored.has(trialKey(m.name, f, trialIndex))));
    if (!missing) continue;
    const resample = getResample(db, info.id, trialIndex);
    if (!resample || resample.length !== info.nRows) throw new Error(`experiment ${info.id}: the resample of trial ${trialIndex} is missing or damaged`);
    const order = info.settings.fractions.map((fraction, fractionIndex) => ({ fraction, fractionIndex })).sort((a, b) => b.fraction - a.fraction);
    for (const { fraction, fractionIndex } of order) {
      const rows = trialRows(resample, fraction);
      for (const m of info.settings.models) {
        if (!stored.has(trialKey(m.name, fractionIndex, trialIndex))) tasks.push({ model: m.name, fractionIndex, fraction, trialIndex, rows });
      }
    }
  }
  return tasks;
}
