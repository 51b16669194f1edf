/**
 * Training runs (design §4–§6): the Tutorial J body/head pipeline and full-model QSA (Tutorials G/H),
 * executed in one long-lived worker process, stored in the workspace.
 *
 * The service for the app and the bridge is `startTrainingRun(dbPath, request, { onEvent })`, which
 * validates the request, queues the run and returns `{ runId, done, cancel }`; `executeRun` is the same
 * work in the calling process (the worker calls it; so may tests).
 */
export * from './types';
export { prepareRun, runSeeds, compileRunConstraints, resolveRunDataset, type PreparedRun } from './prepare';
export { executeRun, groupAccuracies, type RunContext, type RunOutcome } from './pipeline';
export {
  cancelTrainingRun,
  CLI_TRAIN_WORKER_ARGS,
  defaultWorkerEntry,
  shutdownTrainingWorker,
  startTrainingRun,
  TrainingHost,
  trainingHost,
  type StartRunOptions,
  type TrainingHostOptions,
  type TrainingRunHandle,
  type WorkerEntry,
} from './host';
export { serveTrainingWorker, type WorkerPort } from './worker-serve';
export { serializeError, TrainingWorkerError, type FromTrainingWorker, type SerializedError, type ToTrainingWorker } from './protocol';
export { exportLatentsCase, exportRunModel, headThetaAsDense, runModel, splitWeights, type ExportedModel, type LatentsCaseFiles } from './export';
export { resizeImages } from './resize';
export { binaryHeadTheta, drawLinear, initialHeadTheta, softmaxHeadTheta } from './head-init';
export { parameterLayout, TfjsClassifierModel, thetaOf, type ParameterLayout } from './tfjs-model';
export { insertSyntheticImageDataset, type SyntheticDatasetOptions } from './synthetic';
