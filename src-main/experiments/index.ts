/**
 * Seldonian experiments (spec §7): QSA models against baselines over data fractions × trials on
 * bootstrap resamples, the three metrics and plots, and the Seldonian Experiments export layout.
 */
export { aggregateTrials, meanAndStd, violated, type ExperimentAggregates, type FractionAggregate, type MeanWithError, type ModelAggregate } from './aggregate';
export { exportModelName, resultsCsv, trialCsv, trialFileName, writeExperimentExport } from './export';
export { fitLogisticRegression, lbfgs, type LogisticRegressionFit } from './logistic-regression';
export type {
  DatasetShape,
  ExperimentModelType,
  ModelContext,
  ModelExecution,
  ModelInputs,
  TrialFit,
  TrialInput,
  TrialModel,
  TrialPredictor,
  TrialProgress,
} from './models/model-type';
export {
  BUILTIN_MODEL_TYPES,
  experimentModelType,
  findExperimentModelType,
  listExperimentModelTypes,
  parseModelList,
  registerExperimentModelType,
} from './models/registry';
export { accuracy, evaluatePerformance, logLoss, probabilisticAccuracy, PERFORMANCE_LABEL } from './performance';
export { experimentPlotOptions, renderExperimentSvg, type PlotOptions, type SvgOptions } from './plots';
export { numpyArrayString, pythonFloat } from './python-format';
export { bootstrapIndices, deriveExperimentSeed, SEED_STREAM, trialRowCount, trialRows } from './resample';
export { experimentResults, experimentSvgs, exportExperimentResults, type ExperimentResults } from './results';
export {
  compileExperimentConstraints,
  createExperiment,
  experimentDataset,
  runExperiment,
  type ExperimentProgress,
  type ExperimentRequest,
  type RunOptions,
  type RunSummary,
} from './runner';
export { TrialExecutor } from './trial-executor';
export * from './types';
export { CLI_WORKER_ARGV, defaultTrialWorkerEntry, type TrialSlot, type TrialWorkerEntry } from './worker-pool';
export { TRIAL_WORKER_MARKER } from './worker-protocol';
export { serveTrialWorker } from './worker-serve';
