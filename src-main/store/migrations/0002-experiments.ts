/**
 * Schema 2: Seldonian experiments. An `experiment` fixes a dataset, constraints with
 * their δs, data fractions × trials, the models and their settings, and a seed. Each trial's bootstrap
 * resample is drawn once and stored as an `experiment_resample` (N row indices as an int32 blob), never
 * regenerated: every model and every fraction of trial i reads its rows as a prefix of that resample. A
 * `trial` row is one model at one fraction on one resample, written in a transaction of its own as it
 * finishes, so an interrupted or cancelled experiment keeps every finished trial and resumes after them.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 2;

export function migrateTo2(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      CREATE TABLE experiment (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL CHECK (length(name) > 0),
        -- NULL once the dataset is deleted: the results stay readable, a resume is refused
        dataset_id      INTEGER REFERENCES dataset (id) ON DELETE SET NULL,
        dataset_name    TEXT NOT NULL,
        -- N: the ground truth's row count, and the size of every resample
        n_rows          INTEGER NOT NULL CHECK (n_rows >= 1),
        -- [{source, parsed, delta}] in the order given (JSON)
        constraints_json TEXT NOT NULL,
        -- fractions, trials, models (name, type, params), performance metric, QSA settings (JSON)
        settings_json   TEXT NOT NULL,
        -- the seed every resample seed and every model seed derives from
        seed            INTEGER NOT NULL CHECK (seed BETWEEN 0 AND 4294967295),
        status          TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
        error           TEXT,
        created_at      TEXT NOT NULL,
        -- the latest (re)start and its end; run_seconds sums the wall time of every run
        started_at      TEXT NOT NULL,
        finished_at     TEXT,
        run_seconds     REAL NOT NULL DEFAULT 0 CHECK (run_seconds >= 0),
        CHECK ((status = 'running') = (finished_at IS NULL)),
        CHECK ((status = 'failed') = (error IS NOT NULL))
      );
      CREATE INDEX experiment_dataset ON experiment (dataset_id);

      CREATE TABLE experiment_resample (
        experiment_id   INTEGER NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
        trial_index     INTEGER NOT NULL CHECK (trial_index >= 0),
        -- the seed of this resample's generator (derived from experiment.seed and trial_index)
        seed            INTEGER NOT NULL CHECK (seed BETWEEN 0 AND 4294967295),
        -- n_rows little-endian int32 indices into the dataset's stored order, drawn with replacement
        indices         BLOB NOT NULL,
        PRIMARY KEY (experiment_id, trial_index)
      );

      CREATE TABLE trial (
        id              INTEGER PRIMARY KEY,
        experiment_id   INTEGER NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
        -- the model's name within the experiment, e.g. 'qsa-features', 'weighted-random-0.70'
        model           TEXT NOT NULL CHECK (length(model) > 0),
        -- position in the settings' fractions, and the fraction φ itself
        fraction_index  INTEGER NOT NULL CHECK (fraction_index >= 0),
        data_frac       REAL NOT NULL CHECK (data_frac > 0 AND data_frac <= 1),
        trial_index     INTEGER NOT NULL CHECK (trial_index >= 0),
        -- round(φ·N), half to even: the trial data are the first n_rows rows of the resample
        n_rows          INTEGER NOT NULL CHECK (n_rows >= 1),
        -- 1 when a solution was returned (for a QSA model: it passed the safety test)
        passed          INTEGER NOT NULL CHECK (passed IN (0, 1)),
        -- on the ground truth; NULL stands for NaN (no solution)
        performance     REAL,
        -- each constraint's g on the ground truth (JSON numbers, "inf"/"-inf"/"nan" for non-finite)
        g_json          TEXT NOT NULL,
        -- the solution's parameters, little-endian float64, where the model has a parameter vector
        theta           BLOB,
        -- why no solution was returned (NSF reason or training error)
        nsf_reason      TEXT,
        duration_s      REAL NOT NULL CHECK (duration_s >= 0),
        finished_at     TEXT NOT NULL,
        UNIQUE (experiment_id, model, fraction_index, trial_index),
        FOREIGN KEY (experiment_id, trial_index) REFERENCES experiment_resample (experiment_id, trial_index) ON DELETE CASCADE
      );
    `);
  });
}
