/**
 * The `run` tables (schema 0004): SQL next to its rows. `…Row` types are as stored (snake_case);
 * `RunInfo` and friends are the domain view.
 *
 * Write discipline (design §5): a run's row (settings, seeds, status) is inserted when it is queued;
 * status, phase, timings and cancel requests are small transactions of their own; everything the run
 * produces goes in with `storeRunResults`, one transaction that also sets the final status and refuses
 * to write unless the run is still `running` (so a run cancelled or failed meanwhile by another process
 * never gets results). `endRun` marks a failure or cancel only while the run is queued or running.
 */
import type { BackendPreference, BackendReport } from '../deep/backend-types';
import type { RunResultSummary, RunSeeds, RunSettings } from '../runs/types';
import type { ReadableDB, WritableDB } from './database';
import { thisProcess } from './owner';
import { all, get, run, sql } from './sql';

export type RunStatus = 'queued' | 'running' | 'passed' | 'nsf' | 'failed' | 'cancelled';
export type RunPipeline = 'head' | 'full';
export type RunPhase = 'loading' | 'training' | 'latents' | 'candidate_selection' | 'safety_test' | 'saving';

export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'running'];

export interface RunConstraintSpec {
  /** As typed. */
  readonly source: string;
  /** The engine's normalised g. */
  readonly parsed: string;
  readonly delta: number;
}

export interface NewRun {
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

/** One candidate-selection iteration (spec §4.4 step 5). */
export interface RunIteration {
  readonly iteration: number;
  readonly f: number;
  readonly g: readonly number[];
  readonly lambda: readonly number[];
  readonly lagrangian: number;
}

export interface RunNodeBound {
  readonly name: string;
  readonly lower: number;
  readonly upper: number;
  readonly lowerNeeded: boolean;
  readonly upperNeeded: boolean;
  readonly deltaLower: number | null;
  readonly deltaUpper: number | null;
  readonly nSamples: number;
  readonly mean: number;
  readonly std: number;
}

export interface RunConstraintResult extends RunConstraintSpec {
  readonly position: number;
  /** Safety-test upper bound of g; null when candidate selection ended in NSF (no safety test). */
  readonly upperBound: number | null;
  readonly pointEstimate: number | null;
  readonly passed: boolean | null;
  readonly nodes: readonly RunNodeBound[];
}

export type RunWeightsKind =
  | 'cnn_initial'
  | 'cnn_trained'
  | 'head_initial'
  | 'head_candidate'
  | 'head_solution'
  | 'theta_initial'
  | 'theta_candidate'
  | 'theta_solution';

export interface RunWeights {
  readonly kind: RunWeightsKind;
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  /** The tensors' values concatenated in `names` order. */
  readonly data: Float32Array | Float64Array;
}

export interface RunLatents {
  readonly nRows: number;
  readonly dim: number;
  /** nRows × dim, in the run's row order. */
  readonly data: Float32Array;
}

export interface RunRows {
  /** Stored-order dataset indices of the run's rows, in the run's order (candidate rows first). */
  readonly rowOrder: Int32Array;
  /** Stored-order dataset indices of the rows that trained the body (empty for the full pipeline). */
  readonly bodyRows: Int32Array;
}

export interface RunResults {
  readonly status: 'passed' | 'nsf';
  readonly result: RunResultSummary;
  readonly timings: Readonly<Record<string, number>>;
  readonly iterations: readonly RunIteration[];
  readonly constraints: readonly RunConstraintResult[];
  readonly weights: readonly RunWeights[];
  readonly latents: RunLatents | null;
  readonly rows: RunRows;
}

/** storeRunResults found the run no longer running (cancelled or failed by another process meanwhile). */
export class RunNotRunningError extends Error {
  override readonly name = 'RunNotRunningError';
  constructor(
    readonly runId: number,
    readonly status: RunStatus | undefined,
  ) {
    super(status === undefined ? `run ${runId} does not exist` : `run ${runId} is ${status}, not running: its results were not stored`);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * JSON in which non-finite numbers survive: written as {"$number": "inf" | "-inf" | "nan"}, a form no
 * ordinary value takes, so decoding is unambiguous.
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' };
    return v;
  });
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$number') {
        const tag = (v as { $number: unknown }).$number;
        if (tag === 'inf') return Infinity;
        if (tag === '-inf') return -Infinity;
        if (tag === 'nan') return Number.NaN;
      }
    }
    return v;
  }) as T;
}

/** The bytes of a typed array (little-endian on every supported CPU), without copying. */
function bytesOf(values: Int32Array | Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** A blob back as an aligned typed array (a copy). */
function typedFrom<T extends Int32Array | Float32Array | Float64Array>(blob: Uint8Array, make: (n: number) => T): T {
  const out = make(blob.byteLength / make(0).BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/** SQLite stores NaN as NULL; read NULL back as NaN where a number is expected. */
function numberOrNaN(value: number | null): number {
  return value ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// Writing: status (small transactions)

/**
 * Inserts a queued run owned by this process (the one that queues it is the one that ends it if its
 * worker dies: TrainingHost); returns its id. The owner lets a later process tell a run left behind by a
 * dead process from a live one (interrupted.ts).
 */
export function insertRun(db: WritableDB, input: NewRun, now: string = new Date().toISOString()): number {
  const owner = thisProcess();
  const { lastInsertRowid } = run(
    db,
    sql`INSERT INTO run (dataset_id, dataset_name, pipeline, architecture, constraints_json, settings_json, seed, seeds_json,
                         backend_preference, status, n_rows, n_candidate, n_safety, created_at, owner_pid, owner_token, owner_host, owner_boot)
        VALUES (${input.datasetId}, ${input.datasetName}, ${input.pipeline}, ${input.architecture}, ${JSON.stringify(input.constraints)},
                ${encodeJson(input.settings)}, ${input.seed}, ${JSON.stringify(input.seeds)}, ${input.backendPreference}, 'queued',
                ${input.nRows}, ${input.nCandidate}, ${input.nSafety}, ${now}, ${owner.pid}, ${owner.token}, ${owner.host}, ${owner.boot})`,
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
// Writing: results (one transaction)

/**
 * Writes everything a finished run produced and its final status, all or nothing. Throws
 * RunNotRunningError (writing nothing) unless the run is `running` when the transaction starts.
 */
export function storeRunResults(db: WritableDB, id: number, results: RunResults, now: string = new Date().toISOString()): void {
  db.transaction(() => {
    const current = get<{ status: RunStatus }>(db, sql`SELECT status FROM run WHERE id = ${id}`)?.status;
    if (current !== 'running') throw new RunNotRunningError(id, current);
    for (const it of results.iterations) {
      run(
        db,
        sql`INSERT INTO run_iteration (run_id, iteration, f, g_json, lambda_json, lagrangian)
            VALUES (${id}, ${it.iteration}, ${it.f}, ${encodeJson(it.g)}, ${encodeJson(it.lambda)}, ${it.lagrangian})`,
      );
    }
    for (const c of results.constraints) {
      run(
        db,
        sql`INSERT INTO run_constraint (run_id, position, source, parsed, delta, upper_bound, point_estimate, passed)
            VALUES (${id}, ${c.position}, ${c.source}, ${c.parsed}, ${c.delta}, ${c.upperBound}, ${c.pointEstimate},
                    ${c.passed === null ? null : c.passed ? 1 : 0})`,
      );
      for (const [k, n] of c.nodes.entries()) {
        run(
          db,
          sql`INSERT INTO run_bound (run_id, constraint_position, node_position, node, lower, upper, lower_needed, upper_needed, delta_lower, delta_upper,
                                     n_samples, mean, std)
              VALUES (${id}, ${c.position}, ${k}, ${n.name}, ${n.lower}, ${n.upper}, ${n.lowerNeeded ? 1 : 0}, ${n.upperNeeded ? 1 : 0},
                      ${n.deltaLower}, ${n.deltaUpper}, ${n.nSamples}, ${n.mean}, ${n.std})`,
        );
      }
    }
    for (const w of results.weights) {
      const dtype = w.data instanceof Float32Array ? 'float32' : 'float64';
      run(
        db,
        sql`INSERT INTO run_weights (run_id, kind, dtype, names_json, shapes_json, data)
            VALUES (${id}, ${w.kind}, ${dtype}, ${JSON.stringify(w.names)}, ${JSON.stringify(w.shapes)}, ${bytesOf(w.data)})`,
      );
    }
    if (results.latents) {
      const { nRows, dim, data } = results.latents;
      run(db, sql`INSERT INTO run_latents (run_id, n_rows, dim, data) VALUES (${id}, ${nRows}, ${dim}, ${bytesOf(data)})`);
    }
    run(
      db,
      sql`INSERT INTO run_rows (run_id, row_order, body_rows) VALUES (${id}, ${bytesOf(results.rows.rowOrder)}, ${bytesOf(results.rows.bodyRows)})`,
    );
    run(
      db,
      sql`UPDATE run SET status = ${results.status}, phase = NULL, result_json = ${encodeJson(results.result)},
            timings_json = ${JSON.stringify(results.timings)}, finished_at = ${now}
          WHERE id = ${id}`,
    );
  }).immediate();
}

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

export function getRunIterations(db: ReadableDB, id: number): RunIteration[] {
  return all<{ iteration: number; f: number | null; g_json: string; lambda_json: string; lagrangian: number | null }>(
    db,
    sql`SELECT iteration, f, g_json, lambda_json, lagrangian FROM run_iteration WHERE run_id = ${id} ORDER BY iteration`,
  ).map((r) => ({
    iteration: r.iteration,
    f: numberOrNaN(r.f),
    g: decodeJson<number[]>(r.g_json),
    lambda: decodeJson<number[]>(r.lambda_json),
    lagrangian: numberOrNaN(r.lagrangian),
  }));
}

interface BoundRow {
  constraint_position: number;
  node: string;
  lower: number | null;
  upper: number | null;
  lower_needed: number;
  upper_needed: number;
  delta_lower: number | null;
  delta_upper: number | null;
  n_samples: number;
  mean: number | null;
  std: number | null;
}

/** Each constraint with its safety-test bound and its base nodes' intervals, in position order. */
export function getRunConstraints(db: ReadableDB, id: number): RunConstraintResult[] {
  const bounds = all<BoundRow>(db, sql`SELECT * FROM run_bound WHERE run_id = ${id} ORDER BY constraint_position, node_position`);
  return all<{ position: number; source: string; parsed: string; delta: number; upper_bound: number | null; point_estimate: number | null; passed: number | null }>(
    db,
    sql`SELECT position, source, parsed, delta, upper_bound, point_estimate, passed FROM run_constraint WHERE run_id = ${id} ORDER BY position`,
  ).map((c) => ({
    position: c.position,
    source: c.source,
    parsed: c.parsed,
    delta: c.delta,
    // A NULL with passed set means the bound was NaN; with passed NULL there was no safety test.
    upperBound: c.passed === null ? null : numberOrNaN(c.upper_bound),
    pointEstimate: c.passed === null ? null : numberOrNaN(c.point_estimate),
    passed: c.passed === null ? null : c.passed === 1,
    nodes: bounds
      .filter((b) => b.constraint_position === c.position)
      .map((b) => ({
        name: b.node,
        lower: numberOrNaN(b.lower),
        upper: numberOrNaN(b.upper),
        lowerNeeded: b.lower_needed === 1,
        upperNeeded: b.upper_needed === 1,
        deltaLower: b.delta_lower,
        deltaUpper: b.delta_upper,
        nSamples: b.n_samples,
        mean: numberOrNaN(b.mean),
        std: numberOrNaN(b.std),
      })),
  }));
}

export function listRunWeightKinds(db: ReadableDB, id: number): RunWeightsKind[] {
  return all<{ kind: RunWeightsKind }>(db, sql`SELECT kind FROM run_weights WHERE run_id = ${id} ORDER BY kind`).map((r) => r.kind);
}

export function getRunWeights(db: ReadableDB, id: number, kind: RunWeightsKind): RunWeights | undefined {
  const row = get<{ dtype: 'float32' | 'float64'; names_json: string; shapes_json: string; data: Uint8Array }>(
    db,
    sql`SELECT dtype, names_json, shapes_json, data FROM run_weights WHERE run_id = ${id} AND kind = ${kind}`,
  );
  if (!row) return undefined;
  return {
    kind,
    names: JSON.parse(row.names_json) as string[],
    shapes: JSON.parse(row.shapes_json) as number[][],
    data: row.dtype === 'float32' ? typedFrom(row.data, (n) => new Float32Array(n)) : typedFrom(row.data, (n) => new Float64Array(n)),
  };
}

export function getRunLatents(db: ReadableDB, id: number): RunLatents | undefined {
  const row = get<{ n_rows: number; dim: number; data: Uint8Array }>(db, sql`SELECT n_rows, dim, data FROM run_latents WHERE run_id = ${id}`);
  return row && { nRows: row.n_rows, dim: row.dim, data: typedFrom(row.data, (n) => new Float32Array(n)) };
}

export function getRunRows(db: ReadableDB, id: number): RunRows | undefined {
  const row = get<{ row_order: Uint8Array; body_rows: Uint8Array }>(db, sql`SELECT row_order, body_rows FROM run_rows WHERE run_id = ${id}`);
  return row && { rowOrder: typedFrom(row.row_order, (n) => new Int32Array(n)), bodyRows: typedFrom(row.body_rows, (n) => new Int32Array(n)) };
}

/** Row counts of every result table for one run: all zero for a run that failed or was cancelled. */
export function runResultCounts(db: ReadableDB, id: number): Record<'iterations' | 'constraints' | 'bounds' | 'weights' | 'latents' | 'rows', number> {
  const count = (q: ReturnType<typeof sql>): number => get<{ n: number }>(db, q)?.n ?? 0;
  return {
    iterations: count(sql`SELECT count(*) AS n FROM run_iteration WHERE run_id = ${id}`),
    constraints: count(sql`SELECT count(*) AS n FROM run_constraint WHERE run_id = ${id}`),
    bounds: count(sql`SELECT count(*) AS n FROM run_bound WHERE run_id = ${id}`),
    weights: count(sql`SELECT count(*) AS n FROM run_weights WHERE run_id = ${id}`),
    latents: count(sql`SELECT count(*) AS n FROM run_latents WHERE run_id = ${id}`),
    rows: count(sql`SELECT count(*) AS n FROM run_rows WHERE run_id = ${id}`),
  };
}
