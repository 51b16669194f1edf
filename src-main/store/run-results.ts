/**
 * What a finished run produced, in the `run_iteration`, `run_constraint`, `run_bound`, `run_weights`,
 * `run_latents` and `run_rows` tables (schema 0004): written all at once by `storeRunResults`, read
 * back piece by piece.
 */
import type { RunResultSummary, RunStatus } from '../../src-shared/domain/runs';
import type { ReadableDB, WritableDB } from './database';
import { decodeJson, encodeJson } from './json';
import type { RunConstraintSpec } from './runs';
import { all, get, run, sql } from './sql';

/** One candidate-selection iteration. */
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
// Writing (one transaction)

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

// ---------------------------------------------------------------------------------------------
// Reading

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
