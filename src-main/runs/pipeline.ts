/**
 * One training run, start to finish (design §4), in whatever process calls it: the training worker in
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
 * Desktop app: with the GPU window's probe (RunContext.gpuWindow), a head run's `auto` chain includes the
 * window's webgpu/webgl links. If one wins, only the body training goes there (trainOnGpuWindow, through
 * the worker's relay); latents and the head QSA need a backend in this process, chosen by the chain
 * without the window's links, and the stored report names both. Full-model runs compute tf.grad on every
 * QSA iteration, so they never use the window.
 */
import * as tf from '@tensorflow/tfjs';
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import type { GpuBackendName, GpuProbe } from '../../src-shared/contract/gpu-trainer';
import { buildModel } from '../deep/architectures';
import { trainOnGpuWindow, type GpuWindowTrain } from '../deep/backend-gpu-train';
import { gpuWindowLoaders } from '../deep/backend-gpu-window';
import { defaultLoaders, selectBackend, type BackendLoaders, type BackendReport } from '../deep/backends';
import { CancelledError } from '../deep/cancel';
import type { ImageSet } from '../deep/images';
import { cutHead, extractLatents, latentDim, type HeadWeights } from '../deep/inference';
import { trainClassifier, type EpochSummary, type TrainOptions, type TrainResult } from '../deep/train';
import { getWeightsByValue, type WeightsByValue } from '../deep/weights';
import type { LabelledRows, RowRange } from '../engine/data';
import { createQsaKernel } from '../engine/kernels/select';
import { BinaryLogisticModel } from '../engine/models/logistic';
import type { ClassifierModel } from '../engine/models/model';
import { SoftmaxLinearModel } from '../engine/models/softmax';
import { primaryObjective } from '../engine/objectives';
import { candidateSafetySplit, runQsa, type QsaResult } from '../engine/qsa';
import { predictRange } from '../engine/safety-test';
import { seededPermutation } from '../data/shuffle';
import type { WritableDB } from '../store/database';
import { loadDatasetForTraining } from '../store/datasets';
import { RunNotRunningError, storeRunResults, type RunConstraintResult, type RunIteration, type RunWeights } from '../store/run-results';
import { endRun, getRun, isRunCancelRequested, markRunStarted, setRunPhase, setRunTimings, type RunInfo } from '../store/runs';
import { initialHeadTheta } from '../deep/head-init';
import { compileRunConstraints } from './prepare';
import { resizeImages } from '../deep/resize';
import { TfjsClassifierModel } from '../deep/tfjs-model';
import type { EpochRecord, GroupAccuracy, RunEvent, RunPhase, RunResultSummary, RunStatus } from './types';

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
  /** Desktop app: the GPU window (its probe, and the relay that trains there); see the file comment. */
  readonly gpuWindow?: RunGpuWindow;
}

/** The GPU window as a run sees it: the adapters' probe for the chain, and how to train there. */
export interface RunGpuWindow {
  /** undefined: the window could not be opened (`unavailableReason` says why). */
  readonly probe: GpuProbe | undefined;
  readonly tfjsVersion: string;
  readonly unavailableReason?: string;
  readonly train: GpuWindowTrain;
}

/** Where the body trains when not in this process. */
interface GpuBodyTraining {
  readonly backend: GpuBackendName;
  readonly adapter: string | undefined;
  readonly train: GpuWindowTrain;
}

/**
 * The run's backend (see the file comment): the chain with the GPU window's links for a head run when
 * the app gave a probe, else the process's own chain. tf's active backend is always a local one.
 */
async function selectRunBackend(info: RunInfo, ctx: RunContext): Promise<{ readonly report: BackendReport; readonly gpu: GpuBodyTraining | null }> {
  const local = ctx.backendLoaders ?? defaultLoaders;
  const gpuWindow = ctx.gpuWindow;
  if (gpuWindow === undefined || info.settings.pipeline !== 'head') return { report: await selectBackend(info.backendPreference, local), gpu: null };
  const gpuLoaders = gpuWindowLoaders(gpuWindow.probe, {
    tfjsVersion: gpuWindow.tfjsVersion,
    ...(gpuWindow.unavailableReason !== undefined ? { unavailableReason: gpuWindow.unavailableReason } : {}),
  });
  const chosen = await selectBackend(info.backendPreference, { ...local, ...gpuLoaders });
  if (chosen.where !== 'gpu-window' || (chosen.name !== 'webgpu' && chosen.name !== 'webgl')) return { report: chosen, gpu: null };
  // The window's loaders leave tf alone: latents and the QSA get a backend here, from the chain without them.
  const here = await selectBackend(info.backendPreference, local);
  return { report: { ...chosen, local: here }, gpu: { backend: chosen.name, adapter: chosen.adapter, train: gpuWindow.train } };
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

/** The decision threshold of the reported accuracies (binary P(y=1) ≥ 0.5). */
const THRESHOLD = 0.5;

function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The run's rows with everything in run order (candidate rows first). */
interface RunData {
  readonly rowOrder: Int32Array;
  readonly images: ImageSet;
  readonly rows: LabelledRows;
  readonly labels: Int32Array;
}

function loadRunData(db: WritableDB, info: RunInfo): RunData {
  const s = info.settings;
  if (info.datasetId === null) throw new Error(`run ${info.id}: its dataset '${info.datasetName}' was deleted`);
  const data = loadDatasetForTraining(db, info.datasetId);
  if (!data.images) throw new Error(`dataset '${data.name}' has no images`);
  if (data.nRows < s.rows) throw new Error(`dataset '${data.name}' has ${data.nRows} rows, the run needs ${s.rows}`);
  const { width, height, channels, pixels } = data.images;
  if (height !== s.sourceShape[0] || width !== s.sourceShape[1] || channels !== s.sourceShape[2]) {
    throw new Error(`dataset '${data.name}' now holds ${height}×${width}×${channels} images, the run was set up for ${s.sourceShape.join('×')}`);
  }
  const rowOrder = s.shuffleSeed === null ? Int32Array.from({ length: s.rows }, (_, i) => i) : seededPermutation(s.rows, s.shuffleSeed);
  const all: ImageSet = { pixels, n: data.nRows, height, width, channels };
  const images = resizeImages(all, s.inputShape[0], s.inputShape[1], rowOrder);
  const k = data.sensitiveColumns.length;
  const labels64 = new Float64Array(s.rows);
  const sensitive = new Uint8Array(s.rows * k);
  rowOrder.forEach((r, i) => {
    labels64[i] = data.labels[r];
    sensitive.set(data.sensitive.subarray(r * k, (r + 1) * k), i * k);
  });
  return {
    rowOrder,
    images,
    labels: Int32Array.from(labels64),
    rows: { nRows: s.rows, labels: labels64, nClasses: s.numClasses, sensitiveColumns: data.sensitiveColumns, sensitive },
  };
}

/**
 * Hard-decision accuracy per group on `range`: P(y=1) ≥ threshold for one output, the arg-max class for
 * K outputs; `probs` holds the range's rows only.
 */
export function groupAccuracies(rows: LabelledRows, range: RowRange, probs: Float64Array, nOutputs: number, threshold = THRESHOLD): GroupAccuracy[] {
  const n = range.end - range.start;
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let predicted: number;
    if (nOutputs === 1) {
      predicted = probs[i] >= threshold ? 1 : 0;
    } else {
      predicted = 0;
      for (let c = 1; c < nOutputs; c++) if (probs[i * nOutputs + c] > probs[i * nOutputs + predicted]) predicted = c;
    }
    correct[i] = predicted === rows.labels[range.start + i] ? 1 : 0;
  }
  const k = rows.sensitiveColumns.length;
  const tally = (member: (i: number) => boolean, group: string): GroupAccuracy => {
    let count = 0, hits = 0;
    for (let i = 0; i < n; i++) {
      if (!member(i)) continue;
      count++;
      hits += correct[i];
    }
    return { group, n: count, accuracy: count === 0 ? Number.NaN : hits / count };
  };
  return [
    tally(() => true, 'all'),
    ...rows.sensitiveColumns.map((name, c) => tally((i) => rows.sensitive[(range.start + i) * k + c] === 1, name)),
  ];
}

/** The trained CNN's own head on latent features, as probabilities in the engine's layout. */
function headProbabilities(head: HeadWeights, latents: Float32Array, range: RowRange): { probs: Float64Array; nOutputs: number } {
  const { kernel, bias, inputDim: d, units: k } = head;
  const n = range.end - range.start;
  const nOutputs = k === 2 ? 1 : k;
  const probs = new Float64Array(n * nOutputs);
  const z = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const row = (range.start + i) * d;
    for (let c = 0; c < k; c++) z[c] = bias[c];
    for (let j = 0; j < d; j++) {
      const x = latents[row + j];
      for (let c = 0; c < k; c++) z[c] += x * kernel[j * k + c];
    }
    // Softmax (whatever the head's activation: a softmax head's logits are z too).
    const max = Math.max(...z);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[c] - max);
    if (nOutputs === 1) probs[i] = Math.exp(z[1] - max) / sum;
    else for (let c = 0; c < k; c++) probs[i * k + c] = Math.exp(z[c] - max) / sum;
  }
  return { probs, nOutputs };
}

function concatenated(weights: WeightsByValue): Float32Array {
  const total = weights.data.reduce((a, d) => a + d.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const d of weights.data) {
    out.set(d, offset);
    offset += d.length;
  }
  return out;
}

function cnnWeights(kind: 'cnn_initial' | 'cnn_trained', weights: WeightsByValue): RunWeights {
  return { kind, names: weights.names, shapes: weights.shapes, data: concatenated(weights) };
}

function thetaShape(theta: Float64Array, nOutputs: number): number[] {
  return nOutputs === 1 ? [theta.length] : [theta.length / nOutputs, nOutputs];
}

function iterationLog(result: QsaResult): RunIteration[] {
  const cs = result.candidateSelection;
  if (!cs) return [];
  const m = cs.trajectory.nConstraints;
  return cs.trajectory.f.map((f, t) => ({
    iteration: t,
    f,
    g: cs.trajectory.g.slice(t * m, (t + 1) * m),
    lambda: cs.trajectory.lambda.slice(t * m, (t + 1) * m),
    lagrangian: cs.trajectory.lagrangian[t],
  }));
}

/** Each constraint's safety-test outcome in the shape runs store and `fairbound train` prints. */
export function constraintResults(result: QsaResult, constraints: readonly CompiledConstraint[]): RunConstraintResult[] {
  return constraints.map((c, position) => {
    const st = result.safetyTest?.constraints[position];
    return {
      position,
      source: c.source,
      parsed: c.parsed,
      delta: c.delta,
      upperBound: st ? st.bound.upper : null,
      pointEstimate: st ? st.pointEstimate : null,
      passed: st ? st.passed : null,
      nodes: st
        ? c.baseNodes.map((node, i) => {
            const b = st.bound.baseNodes[i];
            return {
              name: node.name,
              lower: b.lower,
              upper: b.upper,
              lowerNeeded: node.lowerNeeded,
              upperNeeded: node.upperNeeded,
              deltaLower: node.deltaLower,
              deltaUpper: node.deltaUpper,
              nSamples: b.nSamples,
              mean: b.mean,
              std: b.std,
            };
          })
        : [],
    };
  });
}

/** The θ whose accuracy is reported: the solution, else the candidate that failed the safety test. */
function reportedTheta(result: QsaResult): { theta: Float64Array; of: 'solution' | 'candidate' } | null {
  if (result.outcome.kind === 'passed') return { theta: result.outcome.solution, of: 'solution' };
  const cs = result.candidateSelection;
  if (cs && cs.outcome === 'candidate' && cs.candidate) return { theta: cs.candidate, of: 'candidate' };
  return null;
}

function summary(result: QsaResult, extra: Pick<RunResultSummary, 'groupAccuracy' | 'trainedCnnGroupAccuracy' | 'bodyTraining' | 'latentDim' | 'nParams'>): RunResultSummary {
  const cs = result.candidateSelection;
  return {
    verdict: result.outcome.kind === 'passed' ? 'passed' : 'nsf',
    outcome: {
      kind: result.outcome.kind,
      reason: result.outcome.kind === 'passed' ? null : result.outcome.reason,
      message: result.outcome.kind === 'passed' ? null : result.outcome.message,
    },
    candidateSelection: {
      iterationsPlanned: cs?.iterationsPlanned ?? 0,
      iterationsRun: cs?.iterationsRun ?? 0,
      chosenIndex: cs?.outcome === 'candidate' ? cs.chosenIndex : null,
      foundFeasible: cs?.foundFeasible ?? false,
      returnedNsf: cs?.outcome === 'nsf',
    },
    ...extra,
  };
}

/** What the pipeline's steps share. */
interface StepContext {
  readonly runId: number;
  readonly info: RunInfo;
  readonly data: RunData;
  readonly candidate: RowRange;
  readonly safety: RowRange;
  readonly model: tf.LayersModel;
  /** Set when the body trains in the GPU window. */
  readonly gpu: GpuBodyTraining | null;
  readonly emit: (event: RunEvent) => void;
  readonly signal: AbortSignal;
  /** Reads the cancel flag (throttled); aborts `signal` when set. */
  readonly pollCancel: () => void;
  readonly throwIfCancelled: () => void;
  readonly enterPhase: (phase: RunPhase) => void;
}

/** The QSA problem a pipeline hands to the engine, and what it produced on the way. */
interface QsaProblem {
  readonly qsaModel: ClassifierModel;
  readonly thetaInit: Float64Array;
  readonly trainedWeights: WeightsByValue | null;
  readonly latents: Float32Array | null;
  readonly dim: number | null;
  readonly bodyRows: Int32Array;
  readonly bodyTraining: EpochRecord[] | null;
  readonly trainedCnnGroupAccuracy: GroupAccuracy[] | null;
}

/**
 * Tutorial J, steps 3–5: the CNN trained on the candidate rows only, the head cut, every row through
 * the body in inference mode, and the untrained head over the latent features.
 */
async function trainBodyAndExtract(c: StepContext): Promise<QsaProblem> {
  const { runId, info, data, candidate, safety, model, emit } = c;
  const s = info.settings;
  const body = s.body!;
  c.enterPhase('training');
  // Candidate rows only (design §4 step 6): run-order indices 0..nCandidate−1, recorded as dataset rows.
  const trainRows = Int32Array.from({ length: candidate.end - candidate.start }, (_, i) => candidate.start + i);
  const bodyRows = Int32Array.from(trainRows, (r) => data.rowOrder[r]);
  const trainingStart = performance.now();
  const options: TrainOptions = {
    epochs: body.epochs,
    batchSize: body.batchSize,
    learningRate: body.learningRate,
    seed: info.seeds.bodyBatches,
    shuffle: body.shuffleBatches,
    signal: c.signal,
    onBatch: (p) => {
      c.pollCancel();
      const fraction = (p.epoch * p.batchesPerEpoch + p.batch + 1) / (body.epochs * p.batchesPerEpoch);
      emit({
        type: 'batch',
        runId,
        epoch: p.epoch,
        epochs: body.epochs,
        batch: p.batch,
        batchesPerEpoch: p.batchesPerEpoch,
        loss: p.loss,
        accuracy: p.accuracy,
        imagesPerSecond: p.imagesPerSecond,
        fraction,
        etaSeconds: (secondsSince(trainingStart) * (1 - fraction)) / fraction,
      });
    },
  };
  const training = c.gpu ? await trainInGpuWindow(c.gpu, model, data, candidate, options) : await trainClassifier(model, data.images, data.labels, trainRows, options);
  const trainedWeights = getWeightsByValue(model);
  c.throwIfCancelled();

  c.enterPhase('latents');
  const dim = latentDim(model);
  const latents = await extractLatents(model, data.images, {
    batchSize: 256,
    signal: c.signal,
    onProgress: (done, total) => {
      c.pollCancel();
      emit({ type: 'latents', runId, done, total });
    },
  });
  const trained = headProbabilities(cutHead(model).headWeights, latents, safety);
  // The kernel `fairbound qsa` picks on the exported latents (createQsaKernel: SIMD for large float32
  // matrices where available, whose results do not depend on the thread count; else JS, which computes on
  // the float32 latents exactly what it did on them widened), so the export reproduces the run.
  const qsaKernel = createQsaKernel(latents, dim, s.numClasses === 2 ? 1 : s.numClasses).kernel;
  const qsaModel = s.numClasses === 2 ? new BinaryLogisticModel(qsaKernel) : new SoftmaxLinearModel(qsaKernel);
  c.throwIfCancelled();
  return {
    qsaModel,
    thetaInit: initialHeadTheta(dim, s.numClasses, info.seeds.head),
    trainedWeights,
    latents,
    dim,
    bodyRows,
    bodyTraining: training.epochs.map((e: EpochSummary) => ({ epoch: e.epoch, meanLoss: e.meanLoss, accuracy: e.accuracy, seconds: e.seconds })),
    trainedCnnGroupAccuracy: groupAccuracies(data.rows, safety, trained.probs, trained.nOutputs),
  };
}

/**
 * Body training in the GPU window, same arguments as trainClassifier. Only the candidate rows' images and
 * labels leave this process (the candidate rows are the run order's prefix, so row i is still row i and
 * the batches are the ones trainClassifier would draw). Copies, not views: a view's structured clone
 * would carry its whole buffer, safety rows included. A failure of the window says where it happened.
 */
async function trainInGpuWindow(gpu: GpuBodyTraining, model: tf.LayersModel, data: RunData, candidate: RowRange, options: TrainOptions): Promise<TrainResult> {
  const { height, width, channels } = data.images;
  const perImage = height * width * channels;
  const n = candidate.end - candidate.start;
  const images: ImageSet = { pixels: data.images.pixels.slice(candidate.start * perImage, candidate.end * perImage), n, height, width, channels };
  const labels = data.labels.slice(candidate.start, candidate.end);
  try {
    return await trainOnGpuWindow(gpu.train, gpu.backend, model, images, labels, { start: 0, end: n }, options);
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    const where = gpu.adapter !== undefined ? `${gpu.backend} on ${gpu.adapter}` : gpu.backend;
    throw new Error(`body training in the GPU window (${where}) failed: ${errorMessage(error)}`, { cause: error });
  }
}

/** Tutorials G/H: the whole CNN is the model, θ₀ its stored initial trainable weights in θ order. */
function fullModelProblem(c: StepContext, initialWeights: WeightsByValue): QsaProblem {
  const s = c.info.settings;
  const qsaModel = new TfjsClassifierModel(c.model, c.data.images, { nOutputs: s.numClasses === 2 ? 1 : s.numClasses, checkCancelled: c.throwIfCancelled });
  const thetaInit = new Float64Array(qsaModel.nParams);
  let offset = 0;
  for (const name of qsaModel.layout.names) {
    const values = initialWeights.data[initialWeights.names.indexOf(name)];
    thetaInit.set(values, offset);
    offset += values.length;
  }
  return { qsaModel, thetaInit, trainedWeights: null, latents: null, dim: null, bodyRows: new Int32Array(0), bodyTraining: null, trainedCnnGroupAccuracy: null };
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
  let gpu: GpuBodyTraining | null;
  try {
    ({ report: backendReport, gpu } = await selectRunBackend(info, ctx));
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
    emit({ type: 'phase', runId, phase: next, backend: phaseBackend(next) });
  };
  // With the GPU window, only body training runs there.
  const phaseBackend = (p: RunPhase): string => (p === 'training' ? backendReport.name : (backendReport.local?.name ?? backendReport.name));
  emit({ type: 'phase', runId, phase: 'loading', backend: phaseBackend('loading') });

  const tensorsBefore = tf.memory().numTensors;
  let model: tf.LayersModel | null = null;
  try {
    const s = info.settings;
    const data = loadRunData(db, info);
    const { candidate, safety } = candidateSafetySplit(s.rows, s.fracSafety);
    if (candidate.end !== info.nCandidate) throw new Error(`run ${runId}: the split gives ${candidate.end} candidate rows, the run recorded ${info.nCandidate}`);
    const constraints = compileRunConstraints(info.constraints, data.rows.sensitiveColumns, s.numClasses);
    throwIfCancelled();

    model = buildModel(s.architecture, { numClasses: s.numClasses, seed: info.seeds.model, inputShape: [s.inputShape[0], s.inputShape[1], s.inputShape[2]] });
    const initialWeights = getWeightsByValue(model);
    const weights: RunWeights[] = [cnnWeights('cnn_initial', initialWeights)];
    const nOutputs = s.numClasses === 2 ? 1 : s.numClasses;
    const steps: StepContext = { runId, info, data, candidate, safety, model, gpu, emit, signal: abort.signal, pollCancel, throwIfCancelled, enterPhase };
    const prepared = s.pipeline === 'head' ? await trainBodyAndExtract(steps) : fullModelProblem(steps, initialWeights);
    if (prepared.trainedWeights) weights.push(cnnWeights('cnn_trained', prepared.trainedWeights));
    const { qsaModel, thetaInit, latents, dim, bodyRows, bodyTraining, trainedCnnGroupAccuracy } = prepared;

    enterPhase('candidate_selection');
    let lastEvent = -Infinity;
    const eventMs = ctx.iterationEventMs ?? 100;
    const selectionStart = performance.now();
    const result = runQsa({
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
    timings.candidate_selection = result.timingsSeconds.candidateSelection;
    timings.safety_test = result.timingsSeconds.safetyTest;
    phaseStart = performance.now();

    const reported = reportedTheta(result);
    const groupAccuracy = reported
      ? { of: reported.of, threshold: THRESHOLD, groups: groupAccuracies(data.rows, safety, predictRange(qsaModel, reported.theta, safety), nOutputs) }
      : null;
    const candidateTheta = result.candidateSelection?.outcome === 'candidate' ? result.candidateSelection.candidate : null;
    const solutionTheta = result.outcome.kind === 'passed' ? result.outcome.solution : null;
    if (s.pipeline === 'head') {
      const head = (kind: RunWeights['kind'], theta: Float64Array): RunWeights => ({ kind, names: ['theta'], shapes: [thetaShape(theta, nOutputs)], data: theta });
      weights.push(head('head_initial', result.thetaInit));
      if (candidateTheta) weights.push(head('head_candidate', candidateTheta));
      if (solutionTheta) weights.push(head('head_solution', solutionTheta));
    } else {
      const layout = (qsaModel as TfjsClassifierModel).layout;
      const full = (kind: RunWeights['kind'], theta: Float64Array): RunWeights => ({ kind, names: layout.names, shapes: layout.shapes, data: theta });
      weights.push(full('theta_initial', result.thetaInit));
      if (candidateTheta) weights.push(full('theta_candidate', candidateTheta));
      if (solutionTheta) weights.push(full('theta_solution', solutionTheta));
    }
    const resultSummary = summary(result, { groupAccuracy, trainedCnnGroupAccuracy, bodyTraining, latentDim: dim, nParams: qsaModel.nParams });
    model.dispose();
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
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked !== 0) process.emitWarning(`training run ${runId} left ${leaked} tensor(s) allocated`);
  }
}
