/**
 * The handler table: one implementation per route of the contract, keyed by route name. Its type
 * (`HandlerTable`) makes a missing or unknown route a compile error; main dispatches from it only after
 * `isRouteName` (own keys of the contract), so the table's prototype is never reached.
 */
import { homedir } from 'node:os';
import { auditHandler, auditReportHandler, startAuditHandler } from './audit';
import { auditAtThresholdHandler } from './audit-threshold';
import { auditCertificateHandler, runCertificateHandler } from './certificate';
import { auditExamplesHandler } from './audit-examples';
import { deleteConstraintHandler, listConstraintsHandler, saveConstraintHandler } from './constraints';
import type { HandlerTable } from './context';
import { ServiceError } from '../errors/reported-error';
import { datasetSummaryHandler, deleteDatasetHandler, importDatasetHandler, listDatasetsHandler } from './datasets';
import { filesListHandler, peekCsvHandler } from './files';
import { cancelExperimentHandler, deleteExperimentHandler, experimentModelsHandler, exportExperimentHandler, getExperimentHandler, listExperimentsHandler, resumeExperimentHandler, startExperimentHandler } from './experiments';
import { listJobsHandler } from './jobs';
import { datasetPreviewHandler } from './preview';
import { experimentPlotsHandler, reportHtmlHandler, reportWriteHandler, runAdviceHandler, runExportHandler, runsOverviewHandler } from './run-views';
import { backendsReportHandler, cancelRunHandler, deleteRunHandler, getRunHandler, listRunsHandler, runIterationsHandler, startPretrainedRunHandler, startRunHandler } from './runs';

export const handlers: HandlerTable = {
  'app.info': (_input, ctx) => ({
    version: ctx.version,
    runtime: ctx.runtime,
    databasePath: ctx.dbPath,
    platform: process.platform,
    node: process.versions.node,
    electron: ctx.electronVersion,
    homeDir: homedir(),
  }),
  // The Electron shell replaces this: it switches workspaces, which a browser-mode server cannot.
  'workspace.openSample': () => {
    throw new ServiceError('not_available', 'browser mode serves one workspace: start it with fairbound serve --sample to open the sample workspace');
  },
  'datasets.list': listDatasetsHandler,
  'datasets.summary': datasetSummaryHandler,
  'datasets.delete': deleteDatasetHandler,
  'datasets.import': importDatasetHandler,
  'datasets.preview': datasetPreviewHandler,
  'files.list': filesListHandler,
  'files.peekCsv': peekCsvHandler,
  // The Electron shell replaces this with the native dialog (src-main/shell/dialogs.ts).
  'dialogs.open': () => {
    throw new ServiceError('not_available', 'native file dialogs exist only in the desktop app; use the file browser');
  },
  'constraints.list': listConstraintsHandler,
  'constraints.save': saveConstraintHandler,
  'constraints.delete': deleteConstraintHandler,
  'audit.run': auditHandler,
  'audit.start': startAuditHandler,
  'audit.atThreshold': auditAtThresholdHandler,
  'audit.report': auditReportHandler,
  'certificates.audit': auditCertificateHandler,
  'certificates.run': runCertificateHandler,
  'runs.list': listRunsHandler,
  'runs.get': getRunHandler,
  'runs.iterations': runIterationsHandler,
  'runs.start': startRunHandler,
  'runs.startPretrained': startPretrainedRunHandler,
  'runs.cancel': cancelRunHandler,
  'runs.delete': deleteRunHandler,
  'runs.export': runExportHandler,
  'reports.write': reportWriteHandler,
  'reports.html': reportHtmlHandler,
  'runs.overview': runsOverviewHandler,
  'runs.advice': runAdviceHandler,
  'experiments.exportPlots': experimentPlotsHandler,
  'audit.examples': auditExamplesHandler,
  'backends.report': backendsReportHandler,
  'experiments.list': listExperimentsHandler,
  'experiments.models': experimentModelsHandler,
  'experiments.get': getExperimentHandler,
  'experiments.start': startExperimentHandler,
  'experiments.resume': resumeExperimentHandler,
  'experiments.cancel': cancelExperimentHandler,
  'experiments.delete': deleteExperimentHandler,
  'experiments.exportCsv': exportExperimentHandler,
  'jobs.list': listJobsHandler,
  'jobs.cancel': (input, ctx) => ({ cancelled: ctx.jobs.cancel(input.jobId) }),
};
