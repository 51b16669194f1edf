/**
 * The store's service API: plain functions taking the open database handle, called by the CLI, the
 * Electron app's job workers and the engine.
 */
export {
  DATABASE_ENV,
  defaultDatabasePath,
  openWorkspace,
  resolveDatabasePath,
  userVersion,
  type OpenOptions,
  type ReadableDB,
  type WritableDB,
} from './database';
export { LATEST_VERSION, migrate, migrations, type Migration } from './migrations';
export {
  datasetRowKeys,
  deleteDataset,
  findDataset,
  getDataset,
  listDatasets,
  loadDatasetForTraining,
  loadDatasetLabels,
  type AttributeFamily,
  type AttributeInfo,
  type DatasetFormat,
  type DatasetInfo,
  type FeatureDtype,
  type FeatureShape,
  type ImageShape,
  type LabelMapping,
  type TrainingData,
} from './datasets';
export { getImportJob, listImportJobs, type ImportJob, type ImportJobStatus } from './import-jobs';
export { DEFAULT_MIN_GROUP_SIZE, datasetSummary, type DatasetSummary, type GroupCount, type Intersection, type SummaryWarning } from './summary';
export {
  INTERRUPTED_PREFIX,
  interruptedExperimentReason,
  interruptedRunReason,
  recoverInterrupted,
  tryRecoverInterrupted,
  type InterruptedRecovery,
  type RecoverOptions,
} from './interrupted';
export { isProcessAlive, ownerState, thisProcess, type JobOwner, type OwnerState, type StoredOwner } from './owner';
