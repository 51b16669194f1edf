/** The runs.start request that repeats a stored run: same dataset, constraints, settings and seed. */
import type { PretrainedRunRequest, RunDetail, RunRequestDto } from '../../../src-shared/contract';
import { runBoundMethod, type RunSettings } from '../../../src-shared/domain/runs';

export function rerunRequest(detail: RunDetail): RunRequestDto | null {
  const { run } = detail;
  const s = detail.settings as unknown as RunSettings;
  // A pretrained run is queued from the Audit page (runs.startPretrained), not by runs.start.
  if (run.datasetId === null || s.architecture === 'pretrained') return null;
  const common = {
    dataset: run.datasetId,
    constraints: run.constraints.map((c) => ({ source: c.source, delta: c.delta })),
    architecture: s.architecture,
    fracSafety: s.fracSafety,
    seed: run.seed,
    backend: run.backendPreference,
    rows: s.rows,
    ...(s.resize !== null ? { resize: s.resize } : {}),
  };
  if (run.pipeline === 'head') {
    return {
      ...common,
      pipeline: 'head',
      ...(s.body ? { epochs: s.body.epochs, batchSize: s.body.batchSize, learningRate: s.body.learningRate } : {}),
      ...(s.qsa.numIters !== null ? { iterations: s.qsa.numIters } : {}),
    };
  }
  return {
    ...common,
    pipeline: 'full',
    ...(s.qsa.nEpochs !== null ? { epochs: s.qsa.nEpochs } : {}),
    ...(s.qsa.batchSize !== null ? { batchSize: s.qsa.batchSize } : {}),
    learningRate: s.qsa.alphaTheta,
  };
}

/**
 * A pretrained run repeated from the Audit page: its model file, how it was fed, and the QSA's settings
 * (runs.startPretrained's request less what the page's own fields hold: the dataset, the constraints).
 */
export interface PretrainedRerun {
  readonly runId: number;
  readonly datasetId: number;
  readonly constraints: readonly { readonly source: string; readonly delta: number }[];
  readonly modelPath: string;
  /** ONNX: the recorded feeding; null for a TF.js model. */
  readonly onnx: NonNullable<PretrainedRunRequest['onnx']> | null;
  readonly latentOutput: string | null;
  readonly resize: number | null;
  readonly backend: NonNullable<PretrainedRunRequest['backend']>;
  readonly fracSafety: number;
  readonly iterations: number;
  readonly bound: NonNullable<PretrainedRunRequest['bound']>;
  readonly seed: number;
  readonly alphaTheta: number;
  readonly alphaLambda: number;
  readonly lambdaInit: number[];
}

/** What re-running a pretrained run prefills on the Audit page, or null (not pretrained, or its dataset deleted). */
export function pretrainedRerun(detail: RunDetail): PretrainedRerun | null {
  const { run } = detail;
  const s = detail.settings as unknown as RunSettings;
  const source = s.pretrained;
  if (run.datasetId === null || !source) return null;
  const pre = source.preprocessing;
  return {
    runId: run.id,
    datasetId: run.datasetId,
    constraints: run.constraints.map((c) => ({ source: c.source, delta: c.delta })),
    modelPath: source.path,
    onnx: pre === null ? null : { ...(pre.layout ? { layout: pre.layout } : {}), ...(pre.normalize ? { normalize: pre.normalize.map((n) => ({ ...n })) } : {}), ...(pre.channels ? { channels: pre.channels } : {}) },
    latentOutput: source.latentOutput,
    resize: s.resize,
    backend: run.backendPreference,
    fracSafety: s.fracSafety,
    iterations: s.qsa.numIters ?? 1,
    bound: runBoundMethod(s),
    seed: run.seed,
    alphaTheta: s.qsa.alphaTheta,
    alphaLambda: s.qsa.alphaLambda,
    lambdaInit: [...s.qsa.lambdaInit],
  };
}
