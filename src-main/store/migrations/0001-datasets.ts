/**
 * Schema 1: imported datasets. A dataset's rows are `sample`s in a fixed stored order
 * (`order_index`, what the engine's split uses); its sensitive one-hot columns are `attribute`s,
 * optionally grouped into `attribute_family`s that are one-hot per row; every import attempt is an
 * `import_job`, which outlives a failed or cancelled import (its dataset never existed).
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 1;

export function migrateTo1(db: WritableDB): void {
  applyMigration(db, version, () => {
    db.exec(`
      CREATE TABLE dataset (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
        format          TEXT NOT NULL CHECK (format IN ('folder', 'pixels', 'idx', 'seldonian')),
        -- the files and options of the import, as given (JSON)
        source_json     TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        n_rows          INTEGER NOT NULL CHECK (n_rows >= 0),
        label_column    TEXT NOT NULL,
        n_classes       INTEGER NOT NULL CHECK (n_classes >= 2),
        -- how file labels became class ids: {"classes"?: [...], "positiveClasses"?: [...]} (JSON)
        label_mapping_json TEXT NOT NULL,
        -- NULL: file order; else the seed of the shuffle that produced sample.order_index
        shuffle_seed    INTEGER,
        -- images: every sample's pixels blob is image_height × image_width × image_channels bytes (HWC)
        image_width     INTEGER CHECK (image_width > 0),
        image_height    INTEGER CHECK (image_height > 0),
        image_channels  INTEGER CHECK (image_channels IN (1, 3)),
        -- numeric features: every sample's features blob is n_features little-endian floats of feature_dtype
        n_features      INTEGER CHECK (n_features > 0),
        feature_dtype   TEXT CHECK (feature_dtype IN ('float32', 'float64')),
        feature_names_json TEXT,
        CHECK ((image_width IS NULL) = (image_height IS NULL) AND (image_width IS NULL) = (image_channels IS NULL)),
        CHECK ((n_features IS NULL) = (feature_dtype IS NULL))
      );

      CREATE TABLE attribute_family (
        dataset_id  INTEGER NOT NULL REFERENCES dataset (id) ON DELETE CASCADE,
        name        TEXT NOT NULL CHECK (length(name) > 0),
        position    INTEGER NOT NULL CHECK (position >= 0),
        PRIMARY KEY (dataset_id, name),
        UNIQUE (dataset_id, position)
      );

      -- The sensitive one-hot columns; position is the byte's index in sample.sensitive.
      CREATE TABLE attribute (
        dataset_id    INTEGER NOT NULL REFERENCES dataset (id) ON DELETE CASCADE,
        position      INTEGER NOT NULL CHECK (position >= 0),
        name          TEXT NOT NULL CHECK (length(name) > 0),
        family        TEXT,
        -- where a derived column came from, e.g. "gender = 1" or "brightness"; NULL for a CSV column
        derived_from  TEXT,
        PRIMARY KEY (dataset_id, position),
        UNIQUE (dataset_id, name),
        FOREIGN KEY (dataset_id, family) REFERENCES attribute_family (dataset_id, name) ON DELETE CASCADE
      );

      CREATE TABLE sample (
        id            INTEGER PRIMARY KEY,
        dataset_id    INTEGER NOT NULL REFERENCES dataset (id) ON DELETE CASCADE,
        -- 0-based position in the stored order (file order, or the seeded shuffle)
        order_index   INTEGER NOT NULL,
        -- 0-based position in the source: files in the order given, rows in file order
        source_index  INTEGER NOT NULL CHECK (source_index >= 0),
        -- image path as written in the CSV, or the base name of the CSV / IDX file
        source_file   TEXT NOT NULL,
        -- 1-based line of the CSV, or 1-based item of the IDX file
        source_row    INTEGER NOT NULL CHECK (source_row >= 1),
        -- the label as written in the file, and its class id after the dataset's label mapping
        raw_label     TEXT NOT NULL,
        label         INTEGER NOT NULL CHECK (label >= 0),
        -- one byte (0/1) per attribute, in attribute.position order
        sensitive     BLOB NOT NULL,
        pixels        BLOB,
        features      BLOB,
        UNIQUE (dataset_id, order_index),
        UNIQUE (dataset_id, source_index)
      );

      CREATE TABLE import_job (
        id            INTEGER PRIMARY KEY,
        format        TEXT NOT NULL CHECK (format IN ('folder', 'pixels', 'idx', 'seldonian')),
        dataset_name  TEXT NOT NULL,
        options_json  TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
        -- the dataset it created; NULL until it succeeds, and again if that dataset is deleted
        dataset_id    INTEGER REFERENCES dataset (id) ON DELETE SET NULL,
        rows_done     INTEGER NOT NULL DEFAULT 0,
        -- failed/cancelled: the message, and for bad input where it was ({file,row,column,key,detail} JSON)
        error         TEXT,
        error_location_json TEXT,
        started_at    TEXT NOT NULL,
        finished_at   TEXT,
        CHECK ((status = 'running') = (finished_at IS NULL)),
        CHECK ((status IN ('failed', 'cancelled')) = (error IS NOT NULL))
      );
      CREATE INDEX import_job_dataset ON import_job (dataset_id);
    `);
  });
}
