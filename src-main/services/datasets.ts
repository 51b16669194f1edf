/**
 * Dataset routes: list, summary, delete, and import as a job. An import runs in a worker thread on a
 * database connection of its own (its one transaction stays open across awaits, see
 * src-main/data/importers/session.ts), so the main thread and the shared connection keep answering.
 */
import type { RouteInput } from '../../src-shared/contract/routes';
import type { JobResult } from '../../src-shared/contract/schemas';
import type { ImportProgress } from '../data/importers';
import { InputError } from '../errors/input-error';
import type { ReadableDB } from '../store/database';
import { datasetNameExists, deleteDataset, getDataset, listDatasets, type DatasetInfo } from '../store/datasets';
import { datasetSummary } from '../store/summary';
import type { Handler } from './context';
import { notFound } from '../errors/reported-error';
import { defaultImportWorkerEntry, importInWorker } from '../jobs/import-thread/start';
import type { JobProgress } from '../jobs/job-runner';

export function requireDataset(workspace: { readonly db: ReadableDB }, datasetId: number): DatasetInfo {
  const dataset = getDataset(workspace.db, datasetId);
  if (!dataset) throw notFound(`no dataset with id ${datasetId} (deleted?)`);
  return dataset;
}

export const listDatasetsHandler: Handler<'datasets.list'> = (_input, ctx) => listDatasets(ctx.db);

export const datasetSummaryHandler: Handler<'datasets.summary'> = (input, ctx) => {
  requireDataset(ctx, input.datasetId);
  return datasetSummary(ctx.db, input.datasetId, { minGroupSize: input.minGroupSize });
};

export const deleteDatasetHandler: Handler<'datasets.delete'> = (input, ctx) => ({ deleted: deleteDataset(ctx.db, input.datasetId) });

const PHASE_TEXT: Record<ImportProgress['phase'], string> = { reading: 'reading', ordering: 'ordering rows', committing: 'saving' };

export function describeImportProgress(p: ImportProgress): JobProgress {
  const of = p.rowsTotal !== undefined ? ` of ${p.rowsTotal}` : '';
  return { fraction: p.fraction ?? null, phase: p.phase, message: `${PHASE_TEXT[p.phase]}: ${p.rowsDone}${of} rows`, rowsDone: p.rowsDone };
}

export const importDatasetHandler: Handler<'datasets.import'> = (input: RouteInput<'datasets.import'>, ctx) => {
  // The worker opens ctx.dbPath itself: for an in-memory workspace that would be a throw-away database of
  // its own, and the dataset id it reported would exist nowhere (as DeepWorkerQueue refuses).
  if (ctx.dbPath === '' || ctx.dbPath === ':memory:') throw new InputError('importing a dataset needs a workspace file: the import worker opens it too', { key: 'db' });
  // Checked here too so the most common mistake is answered at once, not as a failed job.
  if (datasetNameExists(ctx.db, input.name)) throw new InputError(`a dataset named '${input.name}' already exists`);
  // The import itself runs in a worker thread with its own connection (src-main/services/import-worker.ts).
  const jobId = ctx.jobs.start('import', async ({ signal, progress }): Promise<JobResult> => {
    progress({ fraction: 0, phase: 'starting', message: 'opening the files' });
    const entry = ctx.importWorkerEntry ?? (await defaultImportWorkerEntry());
    const outcome = await importInWorker(entry, { dbPath: ctx.dbPath, openOptions: ctx.openOptions, request: input }, { signal, onProgress: (p) => progress(describeImportProgress(p)) });
    return { kind: 'import', ...outcome };
  });
  return { jobId };
};
