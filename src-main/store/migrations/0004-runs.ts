/**
 * Schema 4: training runs. A `run` is one QSA training of a dataset under constraints:
 * `head` (Tutorial J: train the CNN on the candidate rows, cut the head, QSA on the latent features) or
 * `full` (Tutorials G/H: the whole CNN is the Seldonian model). Its settings, seeds, backend and status
 * are written as soon as it is queued and updated in small transactions while it runs; everything it
 * produces (iteration log, bounds, weights, latent features, row lists) is written in ONE transaction at
 * the end together with the final status, so a failed, crashed or cancelled run keeps its settings and
 * reason and has no results at all.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 4;

export function migrateTo4(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      CREATE TABLE run (
        id              INTEGER PRIMARY KEY,
        -- NULL once the dataset is deleted: the run's results stay readable
        dataset_id      INTEGER REFERENCES dataset (id) ON DELETE SET NULL,
        dataset_name    TEXT NOT NULL,
        pipeline        TEXT NOT NULL CHECK (pipeline IN ('head', 'full')),
        architecture    TEXT NOT NULL,
        -- [{source, parsed, delta}] in the order given (JSON)
        constraints_json TEXT NOT NULL,
        -- every resolved setting: rows, input shape, resize, body training, QSA optimiser (JSON)
        settings_json   TEXT NOT NULL,
        -- the user's seed and the streams derived from it: {run, model, bodyBatches, head} (JSON)
        seed            INTEGER NOT NULL CHECK (seed BETWEEN 0 AND 4294967295),
        seeds_json      TEXT NOT NULL,
        backend_preference TEXT NOT NULL CHECK (backend_preference IN ('auto', 'tensorflow', 'wasm', 'cpu')),
        -- the backend that ran it and every candidate tried (JSON BackendReport); NULL until it starts
        backend         TEXT,
        backend_report_json TEXT,
        status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'passed', 'nsf', 'failed', 'cancelled')),
        -- while running: 'loading', 'training', 'latents', 'candidate_selection', 'safety_test', 'saving'
        phase           TEXT,
        -- set by a cancel request from any process; the run's worker polls it between steps
        cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
        -- failed / cancelled: why
        error           TEXT,
        n_rows          INTEGER NOT NULL CHECK (n_rows >= 1),
        n_candidate     INTEGER NOT NULL CHECK (n_candidate >= 0),
        n_safety        INTEGER NOT NULL CHECK (n_safety >= 0),
        -- seconds per phase, updated as phases end (JSON)
        timings_json    TEXT NOT NULL DEFAULT '{}',
        -- passed / nsf: the verdict summary (outcome, chosen iterate, group accuracies, …) (JSON)
        result_json     TEXT,
        created_at      TEXT NOT NULL,
        started_at      TEXT,
        finished_at     TEXT,
        CHECK ((status IN ('failed', 'cancelled')) = (error IS NOT NULL)),
        CHECK ((status IN ('passed', 'nsf')) = (result_json IS NOT NULL)),
        CHECK ((status IN ('queued', 'running')) = (finished_at IS NULL))
      );
      CREATE INDEX run_dataset ON run (dataset_id);

      -- Candidate selection, one row per iteration; g and λ per constraint (JSON, "inf"/"-inf"/"nan").
      -- f and L are NULL where they were NaN.
      CREATE TABLE run_iteration (
        run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
        iteration   INTEGER NOT NULL CHECK (iteration >= 0),
        f           REAL,
        g_json      TEXT NOT NULL,
        lambda_json TEXT NOT NULL,
        lagrangian  REAL,
        PRIMARY KEY (run_id, iteration)
      ) WITHOUT ROWID;

      -- Each constraint's safety-test result (NULL bounds when candidate selection ended in NSF).
      CREATE TABLE run_constraint (
        run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
        position    INTEGER NOT NULL CHECK (position >= 0),
        source      TEXT NOT NULL,
        parsed      TEXT NOT NULL,
        delta       REAL NOT NULL,
        upper_bound REAL,
        point_estimate REAL,
        passed      INTEGER CHECK (passed IN (0, 1)),
        PRIMARY KEY (run_id, position)
      ) WITHOUT ROWID;

      -- Each base node's interval on the safety rows; lower/upper are ±inf where not needed.
      CREATE TABLE run_bound (
        run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
        constraint_position INTEGER NOT NULL,
        -- the node's index among the constraint's unique base nodes (first-occurrence order)
        node_position INTEGER NOT NULL CHECK (node_position >= 0),
        node        TEXT NOT NULL,
        lower       REAL,
        upper       REAL,
        lower_needed INTEGER NOT NULL CHECK (lower_needed IN (0, 1)),
        upper_needed INTEGER NOT NULL CHECK (upper_needed IN (0, 1)),
        delta_lower REAL,
        delta_upper REAL,
        n_samples   INTEGER NOT NULL,
        mean        REAL,
        std         REAL,
        PRIMARY KEY (run_id, constraint_position, node_position),
        FOREIGN KEY (run_id, constraint_position) REFERENCES run_constraint (run_id, position) ON DELETE CASCADE
      ) WITHOUT ROWID;

      -- Weights by value: 'cnn_initial' (every weight of the CNN before training, float32), 'cnn_trained'
      -- (after body training), 'head_initial' / 'head_candidate' / 'head_solution' (the head's θ, float64),
      -- 'theta_initial' / 'theta_candidate' / 'theta_solution' (full pipeline: all trainable weights, float64).
      -- names/shapes list the tensors in the order their values are concatenated in data.
      CREATE TABLE run_weights (
        run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,
        dtype       TEXT NOT NULL CHECK (dtype IN ('float32', 'float64')),
        names_json  TEXT NOT NULL,
        shapes_json TEXT NOT NULL,
        data        BLOB NOT NULL,
        PRIMARY KEY (run_id, kind)
      ) WITHOUT ROWID;

      -- The body's output for every run row (candidate rows, then safety rows), n_rows × dim float32.
      CREATE TABLE run_latents (
        run_id      INTEGER PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,
        n_rows      INTEGER NOT NULL CHECK (n_rows >= 1),
        dim         INTEGER NOT NULL CHECK (dim >= 1),
        data        BLOB NOT NULL
      );

      -- Which dataset rows the run used, in the run's order (int32 stored-order indices; the first
      -- n_candidate are the candidate rows), and which of them trained the body (empty for 'full').
      CREATE TABLE run_rows (
        run_id      INTEGER PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,
        row_order   BLOB NOT NULL,
        body_rows   BLOB NOT NULL
      );
    `);
  });
}
