/** The runs.start request that repeats a stored run: same dataset, constraints, settings and seed. */
import type { RunDetail, RunRequestDto } from '../../../src-shared/contract';
import type { RunSettings } from '../../../src-shared/domain/runs';

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
