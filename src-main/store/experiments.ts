/**
 * The `experiment`, `experiment_resample` and `trial` tables (schema 0002; the trial's kernel, 0006; a
 * failed trial's error, 0007; what computed a deep trial, 0011): SQL next to its rows.
 * `…Row` types are as stored (snake_case); `ExperimentInfo` / `StoredTrial` are the domain view.
 * Writes are small: each trial is stored in a transaction of its own as it finishes (so a crash or a
 * cancel loses at most the trials in flight), an experiment with its resamples in one.
 */
import type { ExperimentConstraint, ExperimentSettings, TrialBackend, TrialResult } from '../../src-shared/domain/experiments';
import type { QsaKernelName } from '../../src-shared/domain/qsa';
import type { ReadableDB, WritableDB } from './database';
import { ownerState, thisProcess, type JobOwner } from './owner';
import { all, get, run, sql } from './sql';

export type ExperimentStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface ExperimentInfo {
  readonly id: number;
  readonly name: string;
  /** What the user noted about it (null: nothing). */
  readonly notes: string | null;
  /** null once the dataset was deleted. */
  readonly datasetId: number | null;
  readonly datasetName: string;
  /** N: rows of the ground truth and of each resample. */
  readonly nRows: number;
  readonly constraints: readonly ExperimentConstraint[];
  readonly settings: ExperimentSettings;
  readonly seed: number;
  readonly status: ExperimentStatus;
  readonly error: string | null;
  readonly createdAt: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** Wall time summed over every run of it (a resume adds to it). */
  readonly runSeconds: number;
}

interface ExperimentRow {
  id: number;
  name: string;
  notes: string | null;
  dataset_id: number | null;
  dataset_name: string;
  n_rows: number;
  constraints_json: string;
  settings_json: string;
  seed: number;
  status: ExperimentStatus;
  error: string | null;
  created_at: string;
  started_at: string;
  finished_at: string | null;
  run_seconds: number;
}

/** A stored trial: the TrialResult as it went in (NaN and ±∞ restored). */
export type StoredTrial = TrialResult & { readonly finishedAt: string };

interface TrialRow {
  model: string;
  fraction_index: number;
  data_frac: number;
  trial_index: number;
  n_rows: number;
  passed: number;
  performance: number | null;
  g_json: string;
  theta: Uint8Array | null;
  nsf_reason: string | null;
  duration_s: number;
  finished_at: string;
  /** Schema 6; NULL for models without a QSA and trials stored before it. */
  kernel_name: QsaKernelName | null;
  kernel_threads: number | null;
  /** Schema 7; the message of a failed trial, NULL for a trial that ran to an outcome. */
  error: string | null;
  /** Schema 11; NULL for models without a CNN and trials stored before it. */
  backend: TrialBackend | null;
}

export interface NewExperiment {
  readonly name: string;
  readonly notes?: string;
  readonly datasetId: number;
  readonly datasetName: string;
  readonly nRows: number;
  readonly constraints: readonly ExperimentConstraint[];
  readonly settings: ExperimentSettings;
  readonly seed: number;
}

export interface NewResample {
  readonly trialIndex: number;
  readonly seed: number;
  readonly indices: Int32Array;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** JSON numbers with the project's convention for non-finite values: "inf", "-inf", "nan". */
export function encodeNumbers(values: readonly number[]): string {
  return JSON.stringify(values.map((v) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v)));
}

export function decodeNumbers(text: string): number[] {
  return (JSON.parse(text) as (number | string)[]).map((v) => {
    if (typeof v === 'number') return v;
    if (v === 'inf') return Infinity;
    if (v === '-inf') return -Infinity;
    if (v === 'nan') return Number.NaN;
    throw new Error(`not a stored number: ${JSON.stringify(v)}`);
  });
}

/** The bytes of a typed array (little-endian on every supported CPU), without copying. */
function bytesOf(values: Int32Array | Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** A blob back as a typed array, copied into aligned memory. */
function int32From(blob: Uint8Array): Int32Array {
  const out = new Int32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

function float64From(blob: Uint8Array): Float64Array {
  const out = new Float64Array(blob.byteLength / 8);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Inserts an experiment (status running, owned by this process: see owner.ts) and its resamples in one
 * transaction; returns its id.
 */
export function insertExperiment(db: WritableDB, input: NewExperiment, resamples: readonly NewResample[], now: string = new Date().toISOString()): number {
  const owner = thisProcess();
  return db.transaction(() => {
    const { lastInsertRowid: id } = run(
      db,
      sql`INSERT INTO experiment (name, notes, dataset_id, dataset_name, n_rows, constraints_json, settings_json, seed, status, created_at, started_at,
                                  owner_pid, owner_token, owner_host, owner_boot)
          VALUES (${input.name}, ${input.notes ?? null}, ${input.datasetId}, ${input.datasetName}, ${input.nRows}, ${JSON.stringify(input.constraints)},
                  ${JSON.stringify(input.settings)}, ${input.seed}, 'running', ${now}, ${now}, ${owner.pid}, ${owner.token}, ${owner.host}, ${owner.boot})`,
    );
    for (const r of resamples) insertResample(db, id, r);
    return id;
  }).immediate();
}

export function insertResample(db: WritableDB, experimentId: number, resample: NewResample): void {
  run(
    db,
    sql`INSERT INTO experiment_resample (experiment_id, trial_index, seed, indices)
        VALUES (${experimentId}, ${resample.trialIndex}, ${resample.seed}, ${bytesOf(resample.indices)})`,
  );
}

/**
 * Stores one finished trial in its own transaction. A failed trial of the same key stored by an earlier
 * run (a resume runs failed trials again) is replaced; a trial that ran to an outcome never is.
 */
export function insertTrial(db: WritableDB, experimentId: number, t: TrialResult, finishedAt: string = new Date().toISOString()): void {
  const failed = t.error !== undefined;
  db.transaction(() => {
    run(
      db,
      sql`DELETE FROM trial WHERE experiment_id = ${experimentId} AND model = ${t.model} AND fraction_index = ${t.fractionIndex}
            AND trial_index = ${t.trialIndex} AND error IS NOT NULL`,
    );
    run(
      db,
      sql`INSERT INTO trial (experiment_id, model, fraction_index, data_frac, trial_index, n_rows, passed, performance, g_json, theta,
                             nsf_reason, duration_s, finished_at, kernel_name, kernel_threads, error, backend)
          VALUES (${experimentId}, ${t.model}, ${t.fractionIndex}, ${t.fraction}, ${t.trialIndex}, ${t.nRows}, ${t.passed && !failed ? 1 : 0},
                  ${failed || Number.isNaN(t.performance) ? null : t.performance}, ${encodeNumbers(t.g)},
                  ${t.theta && !failed ? bytesOf(t.theta) : null}, ${failed ? null : t.nsfReason}, ${Math.max(0, t.durationSeconds)}, ${finishedAt},
                  ${t.kernel?.name ?? null}, ${t.kernel?.threads ?? null}, ${failed ? (t.error === '' ? 'failed' : t.error) : null},
                  ${t.backend ?? null})`,
    );
  }).immediate();
}

/**
 * Another process that holds an experiment: the row is `running` and its owner (owner.ts) is a live
 * other process on this machine (`alive`), or a process on another machine that shares the file
 * (`unknown`: nothing can be checked, so it counts as holding it). Owners that are gone, and this very
 * process, do not hold it: a row left running by a dead process may be taken over, and this process's
 * own row is the one createExperiment just inserted (the service layer keeps its own list of the
 * experiments it runs, ServiceContext.activeExperiments).
 */
export interface ExperimentHolder {
  readonly state: 'alive' | 'unknown';
  readonly pid: number | null;
  readonly host: string | null;
}

/** For tests: who "this process" is and how a pid is checked (as RecoverOptions in interrupted.ts). */
export interface OwnerCheckOptions {
  readonly self?: JobOwner;
  readonly isAlive?: (pid: number) => boolean;
}

interface OwnerRow {
  status: ExperimentStatus;
  owner_pid: number | null;
  owner_token: string | null;
  owner_host: string | null;
  owner_boot: string | null;
}

function holderOf(row: OwnerRow, options: OwnerCheckOptions): ExperimentHolder | null {
  if (row.status !== 'running') return null;
  const state = ownerState({ pid: row.owner_pid, token: row.owner_token, host: row.owner_host, boot: row.owner_boot }, options.self, options.isAlive);
  return state === 'alive' || state === 'unknown' ? { state, pid: row.owner_pid, host: row.owner_host } : null;
}

/** The other process running this experiment now, or null (none, or no such experiment). */
export function experimentHolder(db: ReadableDB, id: number, options: OwnerCheckOptions = {}): ExperimentHolder | null {
  const row = get<OwnerRow>(db, sql`SELECT status, owner_pid, owner_token, owner_host, owner_boot FROM experiment WHERE id = ${id}`);
  return row ? holderOf(row, options) : null;
}

/** What a (re)start found: it claimed the experiment, there is none, or another process holds it. */
export type ExperimentClaim = { readonly outcome: 'claimed' } | { readonly outcome: 'missing' } | ({ readonly outcome: 'held' } & ExperimentHolder);

/**
 * Marks a (re)start: status running, started now, owned by this process (the one that runs its trials) —
 * unless another live process holds it (see ExperimentHolder): two processes running the same trials
 * would store them twice (the second insert fails on the trial's key) and fight over the status. The
 * check and the claim are one write transaction, so two processes resuming at once cannot both win.
 */
export function markExperimentRunning(db: WritableDB, id: number, options: OwnerCheckOptions & { readonly now?: string } = {}): ExperimentClaim {
  const owner = options.self ?? thisProcess();
  const now = options.now ?? new Date().toISOString();
  return db
    .transaction((): ExperimentClaim => {
      const row = get<OwnerRow>(db, sql`SELECT status, owner_pid, owner_token, owner_host, owner_boot FROM experiment WHERE id = ${id}`);
      if (!row) return { outcome: 'missing' };
      const holder = holderOf(row, { ...options, self: owner });
      if (holder) return { outcome: 'held', ...holder };
      run(
        db,
        sql`UPDATE experiment SET status = 'running', error = NULL, started_at = ${now}, finished_at = NULL,
              owner_pid = ${owner.pid}, owner_token = ${owner.token}, owner_host = ${owner.host}, owner_boot = ${owner.boot}
            WHERE id = ${id}`,
      );
      return { outcome: 'claimed' };
    })
    .immediate();
}

/** Ends a run: its status (with the error for `failed`), and its wall time added to run_seconds. */
export function finishExperimentRun(
  db: WritableDB,
  id: number,
  outcome: { status: Exclude<ExperimentStatus, 'running'>; error?: string; seconds: number },
  now: string = new Date().toISOString(),
): void {
  const error = outcome.status === 'failed' ? (outcome.error ?? 'failed') : null;
  run(
    db,
    sql`UPDATE experiment SET status = ${outcome.status}, error = ${error}, finished_at = ${now},
          run_seconds = run_seconds + ${Math.max(0, outcome.seconds)} WHERE id = ${id}`,
  );
}

/**
 * Ends a claim whose run never finished it (a job cancelled or failed before or around runExperiment): the
 * row, if still `running` and owned by this very process (its token), becomes `status`. Rows another
 * process owns, and rows already ended, are left as they are. True if it changed the row.
 */
export function releaseExperimentClaim(
  db: WritableDB,
  id: number,
  outcome: { status: 'cancelled' | 'failed'; error?: string },
  owner: JobOwner = thisProcess(),
  now: string = new Date().toISOString(),
): boolean {
  const error = outcome.status === 'failed' ? (outcome.error ?? 'failed') : null;
  return (
    run(
      db,
      sql`UPDATE experiment SET status = ${outcome.status}, error = ${error}, finished_at = ${now}
            WHERE id = ${id} AND status = 'running' AND owner_token = ${owner.token}`,
    ).changes > 0
  );
}

/** What deleting an experiment did: deleted it, found none, or refused because it is running. */
export type ExperimentDeletion = { readonly outcome: 'deleted' } | { readonly outcome: 'missing' } | { readonly outcome: 'active'; readonly status: 'running' };

/**
 * Deletes an experiment that is not running, with its trials and resamples, in one transaction; refuses
 * while it runs (its trials are still being written). Child rows are deleted explicitly as well as by the
 * schema's cascades, so no connection setting can leave orphans.
 */
export function deleteFinishedExperiment(db: WritableDB, id: number): ExperimentDeletion {
  return db
    .transaction((): ExperimentDeletion => {
      const row = get<{ status: ExperimentStatus }>(db, sql`SELECT status FROM experiment WHERE id = ${id}`);
      if (!row) return { outcome: 'missing' };
      if (row.status === 'running') return { outcome: 'active', status: 'running' };
      run(db, sql`DELETE FROM trial WHERE experiment_id = ${id}`);
      run(db, sql`DELETE FROM experiment_resample WHERE experiment_id = ${id}`);
      run(db, sql`DELETE FROM experiment WHERE id = ${id}`);
      return { outcome: 'deleted' };
    })
    .immediate();
}

// ---------------------------------------------------------------------------------------------
// Reading

function toInfo(row: ExperimentRow): ExperimentInfo {
  return {
    id: row.id,
    name: row.name,
    notes: row.notes,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    nRows: row.n_rows,
    constraints: JSON.parse(row.constraints_json) as ExperimentConstraint[],
    settings: JSON.parse(row.settings_json) as ExperimentSettings,
    seed: row.seed,
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    runSeconds: row.run_seconds,
  };
}

export function getExperiment(db: ReadableDB, id: number): ExperimentInfo | undefined {
  const row = get<ExperimentRow>(db, sql`SELECT * FROM experiment WHERE id = ${id}`);
  return row && toInfo(row);
}

export interface ExperimentListing extends ExperimentInfo {
  /** Trials stored with an outcome (failed trials are not counted: a resume runs them again). */
  readonly trialsStored: number;
  readonly trialsPlanned: number;
}

export function listExperiments(db: ReadableDB): ExperimentListing[] {
  return all<ExperimentRow & { trials_stored: number }>(
    db,
    sql`SELECT e.*, (SELECT count(*) FROM trial t WHERE t.experiment_id = e.id AND t.error IS NULL) AS trials_stored FROM experiment e ORDER BY e.id`,
  ).map((row) => {
    const info = toInfo(row);
    return { ...info, trialsStored: row.trials_stored, trialsPlanned: info.settings.fractions.length * info.settings.nTrials * info.settings.models.length };
  });
}

/** Trial i's resample, or undefined if it was never drawn. */
export function getResample(db: ReadableDB, experimentId: number, trialIndex: number): Int32Array | undefined {
  const row = get<{ indices: Uint8Array }>(db, sql`SELECT indices FROM experiment_resample WHERE experiment_id = ${experimentId} AND trial_index = ${trialIndex}`);
  return row && int32From(row.indices);
}

export function listResampleSeeds(db: ReadableDB, experimentId: number): { trialIndex: number; seed: number }[] {
  return all<{ trial_index: number; seed: number }>(
    db,
    sql`SELECT trial_index, seed FROM experiment_resample WHERE experiment_id = ${experimentId} ORDER BY trial_index`,
  ).map((r) => ({ trialIndex: r.trial_index, seed: r.seed }));
}

/** Every stored trial, ordered by model (as stored), fraction, trial. */
export function listTrials(db: ReadableDB, experimentId: number): StoredTrial[] {
  return all<TrialRow>(
    db,
    sql`SELECT model, fraction_index, data_frac, trial_index, n_rows, passed, performance, g_json, theta, nsf_reason, duration_s, finished_at,
               kernel_name, kernel_threads, error, backend
        FROM trial WHERE experiment_id = ${experimentId} ORDER BY model, fraction_index, trial_index`,
  ).map((r) => ({
    model: r.model,
    fractionIndex: r.fraction_index,
    fraction: r.data_frac,
    trialIndex: r.trial_index,
    nRows: r.n_rows,
    passed: r.passed === 1,
    performance: r.performance ?? Number.NaN,
    g: decodeNumbers(r.g_json),
    theta: r.theta ? float64From(r.theta) : null,
    nsfReason: r.nsf_reason,
    durationSeconds: r.duration_s,
    finishedAt: r.finished_at,
    // The schema keeps both columns NULL or both set.
    ...(r.kernel_name !== null && r.kernel_threads !== null ? { kernel: { name: r.kernel_name, threads: r.kernel_threads } } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
    ...(r.backend !== null ? { backend: r.backend } : {}),
  }));
}

/** A stored trial that failed (TrialResult.error). */
export interface FailedTrial {
  readonly model: string;
  readonly fraction: number;
  readonly trialIndex: number;
  readonly error: string;
}

/** The experiment's failed trials, ordered as listTrials. */
export function listFailedTrials(db: ReadableDB, experimentId: number): FailedTrial[] {
  return all<{ model: string; data_frac: number; trial_index: number; error: string }>(
    db,
    sql`SELECT model, data_frac, trial_index, error FROM trial WHERE experiment_id = ${experimentId} AND error IS NOT NULL
        ORDER BY model, fraction_index, trial_index`,
  ).map((r) => ({ model: r.model, fraction: r.data_frac, trialIndex: r.trial_index, error: r.error }));
}

/**
 * Keys `model|fractionIndex|trialIndex` of the stored trials that ran to an outcome, for skipping them on
 * a resume (failed trials run again).
 */
export function storedTrialKeys(db: ReadableDB, experimentId: number): Set<string> {
  return new Set(
    all<{ model: string; fraction_index: number; trial_index: number }>(
      db,
      sql`SELECT model, fraction_index, trial_index FROM trial WHERE experiment_id = ${experimentId} AND error IS NULL`,
    ).map((r) => trialKey(r.model, r.fraction_index, r.trial_index)),
  );
}

export function trialKey(model: string, fractionIndex: number, trialIndex: number): string {
  return `${model}|${fractionIndex}|${trialIndex}`;
}
