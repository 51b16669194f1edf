/**
 * The `import_job` table (schema 0001): one row per import attempt. It is written in its own short
 * transactions, before and after the import's transaction, so a failed or cancelled import leaves
 * this record (with the reason) and nothing else.
 */
import type { InputErrorLocation } from '../errors/input-error';
import type { ReadableDB, WritableDB } from './database';
import type { DatasetFormat } from './datasets';
import { all, get, run, sql } from './sql';

export type ImportJobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ImportJob {
  readonly id: number;
  readonly format: DatasetFormat;
  readonly datasetName: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly status: ImportJobStatus;
  readonly datasetId: number | null;
  readonly rowsDone: number;
  readonly error: string | null;
  /** For bad input: where (file, row, column, key) and the problem without the location. */
  readonly errorLocation: (InputErrorLocation & { detail?: string }) | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

interface ImportJobRow {
  id: number;
  format: DatasetFormat;
  dataset_name: string;
  options_json: string;
  status: ImportJobStatus;
  dataset_id: number | null;
  rows_done: number;
  error: string | null;
  error_location_json: string | null;
  started_at: string;
  finished_at: string | null;
}

export function startImportJob(
  db: WritableDB,
  job: { format: DatasetFormat; datasetName: string; options: Readonly<Record<string, unknown>> },
): number {
  return run(
    db,
    sql`INSERT INTO import_job (format, dataset_name, options_json, status, started_at)
        VALUES (${job.format}, ${job.datasetName}, ${JSON.stringify(job.options)}, 'running', ${new Date().toISOString()})`,
  ).lastInsertRowid;
}

export type ImportJobOutcome =
  | { status: 'succeeded'; datasetId: number; rowsDone: number }
  | { status: 'failed' | 'cancelled'; rowsDone: number; error: string; errorLocation?: InputErrorLocation & { detail?: string } };

export function finishImportJob(db: WritableDB, id: number, outcome: ImportJobOutcome): void {
  const finishedAt = new Date().toISOString();
  if (outcome.status === 'succeeded') {
    run(
      db,
      sql`UPDATE import_job SET status = 'succeeded', dataset_id = ${outcome.datasetId}, rows_done = ${outcome.rowsDone},
            finished_at = ${finishedAt} WHERE id = ${id}`,
    );
    return;
  }
  const location = outcome.errorLocation ? JSON.stringify(outcome.errorLocation) : null;
  run(
    db,
    sql`UPDATE import_job SET status = ${outcome.status}, rows_done = ${outcome.rowsDone}, error = ${outcome.error},
          error_location_json = ${location}, finished_at = ${finishedAt} WHERE id = ${id}`,
  );
}

export function getImportJob(db: ReadableDB, id: number): ImportJob | undefined {
  const row = get<ImportJobRow>(db, sql`SELECT * FROM import_job WHERE id = ${id}`);
  return row && toJob(row);
}

/** Most recent first. */
export function listImportJobs(db: ReadableDB, limit = 100): ImportJob[] {
  return all<ImportJobRow>(db, sql`SELECT * FROM import_job ORDER BY id DESC LIMIT ${limit}`).map(toJob);
}

function toJob(row: ImportJobRow): ImportJob {
  return {
    id: row.id,
    format: row.format,
    datasetName: row.dataset_name,
    options: JSON.parse(row.options_json) as Record<string, unknown>,
    status: row.status,
    datasetId: row.dataset_id,
    rowsDone: row.rows_done,
    error: row.error,
    errorLocation: row.error_location_json === null ? null : (JSON.parse(row.error_location_json) as ImportJob['errorLocation']),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
