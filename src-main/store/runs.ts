/**
 * The `run` table (schema 0004): SQL next to its rows. `RunRow` is as stored (snake_case); `RunInfo` is
 * the domain view. What a finished run produced (iterations, bounds, weights, …) is in run-results.ts.
 *
 * Write discipline: a run's row (settings, seeds, status) is inserted when it is queued;
 * status, phase, timings and cancel requests are small transactions of their own; everything the run
 * produces goes in with `storeRunResults`, one transaction that also sets the final status and refuses
 * to write unless the run is still `running` (so a run cancelled or failed meanwhile by another process
 * never gets results). `endRun` marks a failure or cancel only while the run is queued or running.
 */
import type { BackendPreference, BackendReport } from '../../src-shared/domain/backends';
import type { RunPhase, RunPipeline, RunResultSummary, RunSeeds, RunSettings, RunStatus } from '../../src-shared/domain/runs';
import type { ReadableDB, WritableDB } from './database';
import { decodeJson, encodeJson } from './json';
import { thisProcess } from './owner';
import { all, get, run, sql } from './sql';

export type { RunPhase, RunPipeline, RunStatus };

export interface RunConstraintSpec {
  /** As typed. */
  readonly source: string;
  /** The engine's normalised g. */
  readonly parsed: string;
  readonly delta: number;
}

export interface NewRun {
  /** What the user called it, and what they noted about it (null: nothing given). */
  readonly name: string | null;
  readonly notes: string | null;
  readonly datasetId: number;
  readonly datasetName: string;
  readonly pipeline: RunPipeline;
  readonly architecture: string;
  readonly constraints: readonly RunConstraintSpec[];
  readonly settings: RunSettings;
  readonly seed: number;
  readonly seeds: RunSeeds;
  readonly backendPreference: BackendPreference;
  readonly nRows: number;
  readonly nCandidate: number;
  readonly nSafety: number;
}

export interface RunInfo {
  readonly id: number;
  readonly name: string | null;
  readonly notes: string | null;
  /** null once the dataset was deleted. */
  readonly datasetId: number | null;
  readonly datasetName: string;
  readonly pipeline: RunPipeline;
  readonly architecture: string;
  readonly constraints: readonly RunConstraintSpec[];
  readonly settings: RunSettings;
  readonly seed: number;
  readonly seeds: RunSeeds;
  readonly backendPreference: BackendPreference;
  readonly backend: BackendReport | null;
  readonly status: RunStatus;
  readonly phase: RunPhase | null;
  readonly cancelRequested: boolean;
  readonly error: string | null;
  readonly nRows: number;
  readonly nCandidate: number;
  readonly nSafety: number;
  /** Seconds per phase. */
  readonly timings: Readonly<Record<string, number>>;
  readonly result: RunResultSummary | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

interface RunRow {
  id: number;
  name: string | null;
  notes: string | null;
  dataset_id: number | null;
  dataset_name: string;
  pipeline: RunPipeline;
  architecture: string;
  constraints_json: string;
  settings_json: string;
  seed: number;
  seeds_json: string;
  backend_preference: BackendPreference;
  backend: string | null;
  backend_report_json: string | null;
  status: RunStatus;
  phase: RunPhase | null;
  cancel_requested: number;
  error: string | null;
  n_rows: number;
  n_candidate: number;
  n_safety: number;
  timings_json: string;
  result_json: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

// ---------------------------------------------------------------------------------------------
// Writing: status (small transactions)

/**
 * Inserts a queued run owned by this process (the one that queues it is the one that ends it if its
 * worker dies: DeepWorkerQueue); returns its id. The owner lets a later process tell a run left behind by a
 * dead process from a live one (interrupted.ts).
 */
export function insertRun(db: WritableDB, input: NewRun, now: string = new Date().toISOString()): number {
  const owner = thisProcess();
  const { lastInsertRowid } = run(
    db,
    sql`INSERT INTO run (dataset_id, dataset_name, pipeline, architecture, constraints_json, settings_json, seed, seeds_json,
                         backend_preference, status, n_rows, n_candidate, n_safety, created_at, owner_pid, owner_token, owner_host, owner_boot, name, notes)
        VALUES (${input.datasetId}, ${input.datasetName}, ${input.pipeline}, ${input.architecture}, ${JSON.stringify(input.constraints)},
                ${encodeJson(input.settings)}, ${input.seed}, ${JSON.stringify(input.seeds)}, ${input.backendPreference}, 'queued',
                ${input.nRows}, ${input.nCandidate}, ${input.nSafety}, ${now}, ${owner.pid}, ${owner.token}, ${owner.host}, ${owner.boot},
                ${input.name}, ${input.notes})`,
  );
  return lastInsertRowid;
}

/** queued → running with the backend that will run it; false if the run is not queued (e.g. cancelled). */
export function markRunStarted(db: WritableDB, id: number, backend: BackendReport, now: string = new Date().toISOString()): boolean {
  return (
    run(
      db,
      sql`UPDATE run SET status = 'running', phase = 'loading', started_at = ${now}, backend = ${backend.name},
            backend_report_json = ${JSON.stringify(backend)}
          WHERE id = ${id} AND status = 'queued'`,
    ).changes > 0
  );
}

/** The current phase and the timings so far, while running. */
export function setRunPhase(db: WritableDB, id: number, phase: RunPhase, timings?: Readonly<Record<string, number>>): void {
  if (timings) {
    run(db, sql`UPDATE run SET phase = ${phase}, timings_json = ${JSON.stringify(timings)} WHERE id = ${id} AND status = 'running'`);
  } else {
    run(db, sql`UPDATE run SET phase = ${phase} WHERE id = ${id} AND status = 'running'`);
  }
}

/** Replaces a run's timings (any status): e.g. the duration of the final write, known only after it. */
export function setRunTimings(db: WritableDB, id: number, timings: Readonly<Record<string, number>>): void {
  run(db, sql`UPDATE run SET timings_json = ${JSON.stringify(timings)} WHERE id = ${id}`);
}

/**
 * Asks a queued or running run to stop; its worker notices between steps. Returns the run's status
 * (unchanged: a finished run cannot be cancelled), or undefined if there is no such run.
 */
export function requestRunCancel(db: WritableDB, id: number): RunStatus | undefined {
  run(db, sql`UPDATE run SET cancel_requested = 1 WHERE id = ${id} AND status IN ('queued', 'running')`);
  return get<{ status: RunStatus }>(db, sql`SELECT status FROM run WHERE id = ${id}`)?.status;
}

export function isRunCancelRequested(db: ReadableDB, id: number): boolean {
  return get<{ c: number }>(db, sql`SELECT cancel_requested AS c FROM run WHERE id = ${id}`)?.c === 1;
}

/**
 * Ends a queued or running run as failed or cancelled with its reason (settings stay, results are never
 * written). False when the run had already ended, which leaves it as it was.
 */
export function endRun(
  db: WritableDB,
  id: number,
  outcome: { status: 'failed' | 'cancelled'; error: string; timings?: Readonly<Record<string, number>> },
  now: string = new Date().toISOString(),
): boolean {
  const error = outcome.error === '' ? outcome.status : outcome.error;
  const timings = outcome.timings ? JSON.stringify(outcome.timings) : null;
  return (
    run(
      db,
      sql`UPDATE run SET status = ${outcome.status}, error = ${error}, phase = NULL, finished_at = ${now},
            timings_json = coalesce(${timings}, timings_json)
          WHERE id = ${id} AND status IN ('queued', 'running')`,
    ).changes > 0
  );
}

// ---------------------------------------------------------------------------------------------
// Deleting

/** What deleting a run did: deleted it, found none, or refused because it is still queued or running. */
export type RunDeletion = { readonly outcome: 'deleted' } | { readonly outcome: 'missing' } | { readonly outcome: 'active'; readonly status: 'queued' | 'running' };

/**
 * Deletes a finished run and everything it stored (iterations, constraint results, base-node bounds,
 * weights, latents, row lists) in one transaction; refuses while the run is queued or running (its
 * worker still writes to it). The child rows are deleted explicitly, not only through the schema's
 * ON DELETE CASCADE, so a connection opened without `foreign_keys` leaves no orphans either.
 */
export function deleteFinishedRun(db: WritableDB, id: number): RunDeletion {
  return db
    .transaction((): RunDeletion => {
      const row = get<{ status: RunStatus }>(db, sql`SELECT status FROM run WHERE id = ${id}`);
      if (!row) return { outcome: 'missing' };
      if (row.status === 'queued' || row.status === 'running') return { outcome: 'active', status: row.status };
      run(db, sql`DELETE FROM run_bound WHERE run_id = ${id}`);
      run(db, sql`DELETE FROM run_constraint WHERE run_id = ${id}`);
      run(db, sql`DELETE FROM run_iteration WHERE run_id = ${id}`);
      run(db, sql`DELETE FROM run_weights WHERE run_id = ${id}`);
      run(db, sql`DELETE FROM run_latents WHERE run_id = ${id}`);
      run(db, sql`DELETE FROM run_rows WHERE run_id = ${id}`);
      run(db, sql`DELETE FROM run WHERE id = ${id}`);
      return { outcome: 'deleted' };
    })
    .immediate();
}

// ---------------------------------------------------------------------------------------------
// Reading

function toInfo(row: RunRow): RunInfo {
  return {
    id: row.id,
    name: row.name,
    notes: row.notes,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    pipeline: row.pipeline,
    architecture: row.architecture,
    constraints: JSON.parse(row.constraints_json) as RunConstraintSpec[],
    settings: decodeJson<RunSettings>(row.settings_json),
    seed: row.seed,
    seeds: JSON.parse(row.seeds_json) as RunSeeds,
    backendPreference: row.backend_preference,
    backend: row.backend_report_json === null ? null : (JSON.parse(row.backend_report_json) as BackendReport),
    status: row.status,
    phase: row.phase,
    cancelRequested: row.cancel_requested === 1,
    error: row.error,
    nRows: row.n_rows,
    nCandidate: row.n_candidate,
    nSafety: row.n_safety,
    timings: JSON.parse(row.timings_json) as Record<string, number>,
    result: row.result_json === null ? null : decodeJson<RunResultSummary>(row.result_json),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export function getRun(db: ReadableDB, id: number): RunInfo | undefined {
  const row = get<RunRow>(db, sql`SELECT * FROM run WHERE id = ${id}`);
  return row && toInfo(row);
}

export function listRuns(db: ReadableDB): RunInfo[] {
  return all<RunRow>(db, sql`SELECT * FROM run ORDER BY id`).map(toInfo);
}
