/**
 * Dataset routes: list, summary, delete, and import as a job. An import runs on a database connection
 * of its own (its transaction stays open across awaits, see src-main/data/importers/session.ts), so the
 * shared connection keeps answering reads meanwhile.
 */
import type { RouteInput } from '../../src-shared/contract/routes';
import type { ImportRequest, JobResult } from '../../src-shared/contract/schemas';
import { importIdx, importImageFolder, importPixelCsv, importSeldonian, type ImportContext, type ImportProgress, type ImportResult } from '../data/importers';
import { InputError } from '../data/input-error';
import { openWorkspace, type WritableDB } from '../store/database';
import { datasetNameExists, deleteDataset, getDataset, listDatasets, type DatasetInfo } from '../store/datasets';
import { datasetSummary } from '../store/summary';
import type { Handler, ServiceContext } from './context';
import { notFound } from './errors';
import type { JobProgress } from './jobs';

export function requireDataset(ctx: ServiceContext, datasetId: number): DatasetInfo {
  const dataset = getDataset(ctx.db, datasetId);
  if (!dataset) throw notFound(`no dataset with id ${datasetId} (deleted?)`);
  return dataset;
}

export const listDatasetsHandler: Handler<'datasets.list'> = (_input, ctx) => listDatasets(ctx.db);

export const datasetSummaryHandler: Handler<'datasets.summary'> = (input, ctx) => {
  requireDataset(ctx, input.datasetId);
  return datasetSummary(ctx.db, input.datasetId, { minGroupSize: input.minGroupSize });
};

export const deleteDatasetHandler: Handler<'datasets.delete'> = (input, ctx) => ({ deleted: deleteDataset(ctx.db, input.datasetId) });

/** Calls the importer of the request's format with its options. */
export function runImporter(db: WritableDB, request: ImportRequest, importContext: ImportContext): Promise<ImportResult> {
  switch (request.format) {
    case 'folder': {
      const { format: _format, ...options } = request;
      return importImageFolder(db, options, importContext);
    }
    case 'pixels': {
      const { format: _format, ...options } = request;
      return importPixelCsv(db, options, importContext);
    }
    case 'idx': {
      const { format: _format, ...options } = request;
      return importIdx(db, options, importContext);
    }
    case 'seldonian': {
      const { format: _format, ...options } = request;
      return importSeldonian(db, options, importContext);
    }
  }
}

const PHASE_TEXT: Record<ImportProgress['phase'], string> = { reading: 'reading', ordering: 'ordering rows', committing: 'saving' };

export function describeImportProgress(p: ImportProgress): JobProgress {
  const of = p.rowsTotal !== undefined ? ` of ${p.rowsTotal}` : '';
  return { fraction: p.fraction ?? null, phase: p.phase, message: `${PHASE_TEXT[p.phase]}: ${p.rowsDone}${of} rows`, rowsDone: p.rowsDone };
}

export const importDatasetHandler: Handler<'datasets.import'> = (input: RouteInput<'datasets.import'>, ctx) => {
  // Checked here too so the most common mistake is answered at once, not as a failed job.
  if (datasetNameExists(ctx.db, input.name)) throw new InputError(`a dataset named '${input.name}' already exists`);
  const jobId = ctx.jobs.start('import', async ({ signal, progress }): Promise<JobResult> => {
    const db = openWorkspace(ctx.dbPath, ctx.openOptions);
    try {
      progress({ fraction: 0, phase: 'starting', message: 'opening the files' });
      const result = await runImporter(db, input, { signal, onProgress: (p) => progress(describeImportProgress(p)) });
      return { kind: 'import', datasetId: result.dataset.id, datasetName: result.dataset.name, importJobId: result.jobId, nRows: result.dataset.nRows };
    } finally {
      db.close();
    }
  });
  return { jobId };
};
