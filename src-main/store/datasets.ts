/**
 * The `dataset`, `attribute_family`, `attribute` and `sample` tables (schema 0001): SQL next to its
 * rows. `…Row` types are the rows as stored (snake_case); `DatasetInfo` is the domain view.
 * Functions taking a `WritableDB` change rows and are meant to run inside the caller's transaction
 * (an import is one transaction, see src-main/data/importers/session.ts).
 */
import type { LabelledRows } from '../../src-shared/domain/datasets';
import type { ReadableDB, WritableDB } from './database';
import { all, get, iterate, prepareCached, run, sql } from './sql';

export type DatasetFormat = 'folder' | 'pixels' | 'idx' | 'seldonian';
export type FeatureDtype = 'float32' | 'float64';

/** How labels as written in the files became class ids; stored with the dataset. */
export interface LabelMapping {
  /** Allowed file labels in class-id order: `classes[k]` is class k. Absent: labels are integers ≥ 0 and are their own ids. */
  readonly classes?: readonly string[];
  /** Binary mapping: file labels in this set → 1, all others → 0 (e.g. Fashion-MNIST 0,2,4,6). */
  readonly positiveClasses?: readonly string[];
}

export interface ImageShape {
  readonly width: number;
  readonly height: number;
  /** 1 grayscale, 3 RGB; pixels are stored height × width × channels, row-major. */
  readonly channels: 1 | 3;
}

export interface FeatureShape {
  readonly count: number;
  readonly dtype: FeatureDtype;
  readonly names: readonly string[];
}

export interface AttributeInfo {
  /** Index of this column's byte in each sample's sensitive blob. */
  readonly position: number;
  readonly name: string;
  readonly family: string | null;
  /** For derived columns: where from, e.g. `gender = 1` or `brightness`. */
  readonly derivedFrom: string | null;
}

export interface AttributeFamily {
  readonly name: string;
  /** Member columns; exactly one of them is 1 in every row. */
  readonly columns: readonly string[];
}

export interface DatasetInfo {
  readonly id: number;
  readonly name: string;
  readonly format: DatasetFormat;
  /** Files and options of the import, as given. */
  readonly source: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly nRows: number;
  readonly labelColumn: string;
  readonly nClasses: number;
  readonly labelMapping: LabelMapping;
  /** null: file order; else the seed of the shuffle that fixed the stored order. */
  readonly shuffleSeed: number | null;
  readonly image: ImageShape | null;
  readonly features: FeatureShape | null;
  readonly sensitiveColumns: readonly string[];
  readonly attributes: readonly AttributeInfo[];
  readonly families: readonly AttributeFamily[];
}

export interface DatasetRow {
  id: number;
  name: string;
  format: DatasetFormat;
  source_json: string;
  created_at: string;
  n_rows: number;
  label_column: string;
  n_classes: number;
  label_mapping_json: string;
  shuffle_seed: number | null;
  image_width: number | null;
  image_height: number | null;
  image_channels: number | null;
  n_features: number | null;
  feature_dtype: FeatureDtype | null;
  feature_names_json: string | null;
}

interface AttributeRow {
  position: number;
  name: string;
  family: string | null;
  derived_from: string | null;
}

interface FamilyRow {
  name: string;
  position: number;
}

// ---------------------------------------------------------------------------------------------
// Writing (inside an import's transaction)

export interface NewDataset {
  readonly name: string;
  readonly format: DatasetFormat;
  readonly source: Readonly<Record<string, unknown>>;
  readonly labelColumn: string;
  readonly labelMapping: LabelMapping;
  readonly shuffleSeed: number | null;
  readonly attributes: readonly { name: string; family: string | null; derivedFrom: string | null }[];
  readonly families: readonly AttributeFamily[];
}

/**
 * Inserts the dataset row (with provisional counts, see `finishDatasetRow`), its families and its
 * attributes; returns the dataset id.
 */
export function insertDataset(db: WritableDB, input: NewDataset, createdAt: string = new Date().toISOString()): number {
  const { lastInsertRowid: id } = run(
    db,
    sql`INSERT INTO dataset (name, format, source_json, created_at, n_rows, label_column, n_classes, label_mapping_json, shuffle_seed)
        VALUES (${input.name}, ${input.format}, ${JSON.stringify(input.source)}, ${createdAt}, 0, ${input.labelColumn}, 2,
                ${JSON.stringify(input.labelMapping)}, ${input.shuffleSeed})`,
  );
  input.families.forEach((family, position) => {
    run(db, sql`INSERT INTO attribute_family (dataset_id, name, position) VALUES (${id}, ${family.name}, ${position})`);
  });
  input.attributes.forEach((a, position) => {
    run(
      db,
      sql`INSERT INTO attribute (dataset_id, position, name, family, derived_from)
          VALUES (${id}, ${position}, ${a.name}, ${a.family}, ${a.derivedFrom})`,
    );
  });
  return id;
}

/** The final counts and shapes, once every sample is in. */
export function finishDatasetRow(
  db: WritableDB,
  id: number,
  final: { nRows: number; nClasses: number; image: ImageShape | null; features: FeatureShape | null },
): void {
  const { image, features } = final;
  run(
    db,
    sql`UPDATE dataset SET n_rows = ${final.nRows}, n_classes = ${final.nClasses},
          image_width = ${image?.width ?? null}, image_height = ${image?.height ?? null}, image_channels = ${image?.channels ?? null},
          n_features = ${features?.count ?? null}, feature_dtype = ${features?.dtype ?? null},
          feature_names_json = ${features ? JSON.stringify(features.names) : null}
        WHERE id = ${id}`,
  );
}

export interface NewSample {
  readonly orderIndex: number;
  readonly sourceIndex: number;
  readonly sourceFile: string;
  readonly sourceRow: number;
  readonly rawLabel: string;
  readonly label: number;
  readonly sensitive: Uint8Array;
  readonly pixels: Uint8Array | null;
  readonly features: Float32Array | Float64Array | null;
}

const INSERT_SAMPLE = `INSERT INTO sample (dataset_id, order_index, source_index, source_file, source_row, raw_label, label, sensitive, pixels, features)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Inserts one sample; returns its rowid. The hot path of every import: one cached prepared statement. */
export function insertSample(db: WritableDB, datasetId: number, s: NewSample): number {
  const result = prepareCached(db, INSERT_SAMPLE).run(
    datasetId,
    s.orderIndex,
    s.sourceIndex,
    s.sourceFile,
    s.sourceRow,
    s.rawLabel,
    s.label,
    s.sensitive,
    s.pixels,
    s.features ? bytesOf(s.features) : null,
  );
  return Number(result.lastInsertRowid);
}

export function setSampleOrder(db: WritableDB, sampleId: number, orderIndex: number): void {
  run(db, sql`UPDATE sample SET order_index = ${orderIndex} WHERE id = ${sampleId}`);
}

export function setSampleSensitive(db: WritableDB, sampleId: number, sensitive: Uint8Array): void {
  run(db, sql`UPDATE sample SET sensitive = ${sensitive} WHERE id = ${sampleId}`);
}

/** Records how a derived attribute was computed once that is known (e.g. the brightness median). */
export function setAttributeDerivation(db: WritableDB, datasetId: number, name: string, derivedFrom: string): void {
  run(db, sql`UPDATE attribute SET derived_from = ${derivedFrom} WHERE dataset_id = ${datasetId} AND name = ${name}`);
}

/** The bytes of a typed array, without copying (SQLite stores them little-endian as on every supported CPU). */
function bytesOf(values: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Reading

export function listDatasets(db: ReadableDB): DatasetInfo[] {
  return all<DatasetRow>(db, sql`SELECT * FROM dataset ORDER BY id`).map((row) => toInfo(db, row));
}

export function getDataset(db: ReadableDB, id: number): DatasetInfo | undefined {
  const row = get<DatasetRow>(db, sql`SELECT * FROM dataset WHERE id = ${id}`);
  return row && toInfo(db, row);
}

/**
 * A dataset by id (`"3"` or 3) or by name. A string of digits is tried as an id first, then as a name.
 */
export function findDataset(db: ReadableDB, idOrName: string | number): DatasetInfo | undefined {
  if (typeof idOrName === 'number') return getDataset(db, idOrName);
  if (/^\d+$/.test(idOrName)) {
    const byId = getDataset(db, Number(idOrName));
    if (byId) return byId;
  }
  const row = get<DatasetRow>(db, sql`SELECT * FROM dataset WHERE name = ${idOrName}`);
  return row && toInfo(db, row);
}

export function datasetNameExists(db: ReadableDB, name: string): boolean {
  return get<{ one: number }>(db, sql`SELECT 1 AS one FROM dataset WHERE name = ${name}`) !== undefined;
}

/** Deletes a dataset with its samples and attributes (import jobs keep their history); false if absent. */
export function deleteDataset(db: WritableDB, id: number): boolean {
  return run(db, sql`DELETE FROM dataset WHERE id = ${id}`).changes > 0;
}

function toInfo(db: ReadableDB, row: DatasetRow): DatasetInfo {
  const attributes = all<AttributeRow>(
    db,
    sql`SELECT position, name, family, derived_from FROM attribute WHERE dataset_id = ${row.id} ORDER BY position`,
  ).map((a) => ({ position: a.position, name: a.name, family: a.family, derivedFrom: a.derived_from }));
  const families = all<FamilyRow>(db, sql`SELECT name, position FROM attribute_family WHERE dataset_id = ${row.id} ORDER BY position`).map(
    (f) => ({ name: f.name, columns: attributes.filter((a) => a.family === f.name).map((a) => a.name) }),
  );
  const image =
    row.image_width !== null && row.image_height !== null && row.image_channels !== null
      ? { width: row.image_width, height: row.image_height, channels: row.image_channels === 1 ? (1 as const) : (3 as const) }
      : null;
  const features =
    row.n_features !== null && row.feature_dtype !== null
      ? { count: row.n_features, dtype: row.feature_dtype, names: JSON.parse(row.feature_names_json ?? '[]') as string[] }
      : null;
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    source: JSON.parse(row.source_json) as Record<string, unknown>,
    createdAt: row.created_at,
    nRows: row.n_rows,
    labelColumn: row.label_column,
    nClasses: row.n_classes,
    labelMapping: JSON.parse(row.label_mapping_json) as LabelMapping,
    shuffleSeed: row.shuffle_seed,
    image,
    features,
    sensitiveColumns: attributes.map((a) => a.name),
    attributes,
    families,
  };
}

/** Labels and sensitive bytes of every sample in stored order, without the (large) pixel/feature blobs. */
export function* iterateLabelsAndSensitive(db: ReadableDB, datasetId: number): Generator<{ label: number; sensitive: Uint8Array }> {
  yield* iterate<{ label: number; sensitive: Uint8Array }>(
    db,
    sql`SELECT label, sensitive FROM sample WHERE dataset_id = ${datasetId} ORDER BY order_index`,
  );
}

// ---------------------------------------------------------------------------------------------
// Loading for the engine

/**
 * A dataset as the engine consumes it: `LabelledRows` (labels, sensitive one-hots) in the stored row
 * order, plus the model inputs: images (uint8, nRows × height × width × channels) or numeric features
 * (nRows × nFeatures, in the stored dtype).
 */
export interface TrainingData extends LabelledRows {
  readonly datasetId: number;
  readonly name: string;
  readonly images?: { readonly width: number; readonly height: number; readonly channels: 1 | 3; readonly pixels: Uint8Array };
  readonly features?: Float32Array | Float64Array;
  readonly featureColumns?: readonly string[];
  /** For each stored row, its 0-based position in the source files (the permutation of a shuffle). */
  readonly sourceIndex: Int32Array;
}

export function loadDatasetForTraining(db: ReadableDB, id: number): TrainingData {
  return loadDataset(db, id, true);
}

/**
 * A dataset's labels and sensitive one-hots (and source order) without its model inputs: what an audit
 * needs in the app's main process, where the training worker reads the images itself. Its query does
 * not select the pixel or feature blobs, so on a large image dataset it reads a small fraction of the
 * bytes and does not hold the event loop while they are copied.
 */
export function loadDatasetLabels(db: ReadableDB, id: number): LabelsAndGroups {
  return loadDataset(db, id, false);
}

/** What `loadDatasetLabels` returns: a TrainingData without images or features. */
export type LabelsAndGroups = Omit<TrainingData, 'images' | 'features' | 'featureColumns'>;

/** The one row loop of both loaders, so that labels, groups and checks are decoded the same way. */
function loadDataset(db: ReadableDB, id: number, withInputs: true): TrainingData;
function loadDataset(db: ReadableDB, id: number, withInputs: false): LabelsAndGroups;
function loadDataset(db: ReadableDB, id: number, withInputs: boolean): TrainingData {
  const info = getDataset(db, id);
  if (!info) throw new Error(`no dataset with id ${id}`);
  const n = info.nRows;
  const k = info.sensitiveColumns.length;
  const labels = new Float64Array(n);
  const sensitive = new Uint8Array(n * k);
  const sourceIndex = new Int32Array(n);
  const image = withInputs ? info.image : null;
  const featureShape = withInputs ? info.features : null;
  const imageBytes = image ? image.width * image.height * image.channels : 0;
  const pixels = image ? new Uint8Array(n * imageBytes) : undefined;
  const nFeatures = featureShape?.count ?? 0;
  const features = featureShape ? (featureShape.dtype === 'float32' ? new Float32Array(n * nFeatures) : new Float64Array(n * nFeatures)) : undefined;
  const featureBytes = features ? nFeatures * features.BYTES_PER_ELEMENT : 0;
  const featureView = features ? new Uint8Array(features.buffer) : undefined;
  // Without inputs the blobs are not selected at all, so SQLite does not read their (overflow) pages.
  const query = withInputs
    ? sql`SELECT label, source_index, sensitive, pixels, features FROM sample WHERE dataset_id = ${id} ORDER BY order_index`
    : sql`SELECT label, source_index, sensitive FROM sample WHERE dataset_id = ${id} ORDER BY order_index`;

  let r = 0;
  for (const s of iterate<{ label: number; source_index: number; sensitive: Uint8Array; pixels?: Uint8Array | null; features?: Uint8Array | null }>(db, query)) {
    if (r >= n) throw new Error(`dataset ${id} has more samples than its n_rows (${n})`);
    labels[r] = s.label;
    sourceIndex[r] = s.source_index;
    expectLength(s.sensitive, k, id, r, 'sensitive');
    sensitive.set(s.sensitive, r * k);
    if (pixels) {
      expectLength(s.pixels, imageBytes, id, r, 'pixels');
      pixels.set(s.pixels!, r * imageBytes);
    }
    if (featureView) {
      expectLength(s.features, featureBytes, id, r, 'features');
      featureView.set(s.features!, r * featureBytes);
    }
    r++;
  }
  if (r !== n) throw new Error(`dataset ${id} has ${r} samples but its n_rows says ${n}`);
  return {
    datasetId: id,
    name: info.name,
    nRows: n,
    labels,
    nClasses: info.nClasses,
    sensitiveColumns: [...info.sensitiveColumns],
    sensitive,
    sourceIndex,
    ...(image && pixels ? { images: { width: image.width, height: image.height, channels: image.channels, pixels } } : {}),
    ...(featureShape && features ? { features, featureColumns: [...featureShape.names] } : {}),
  };
}

function expectLength(blob: Uint8Array | null | undefined, bytes: number, id: number, row: number, what: string): void {
  if (blob === null || blob === undefined || blob.length !== bytes) {
    throw new Error(`dataset ${id}, stored row ${row}: ${what} blob has ${blob?.length ?? 'no'} bytes, expected ${bytes}`);
  }
}

/**
 * A key per stored row (in stored order) for matching external files such as predictions: the image path
 * as written in the attributes CSV for image folders, otherwise the row's 0-based position in the source
 * (its order before any shuffle).
 */
export function datasetRowKeys(db: ReadableDB, datasetId: number, format: DatasetFormat): string[] {
  const keys: string[] = [];
  for (const row of iterate<{ source_file: string; source_index: number }>(
    db,
    sql`SELECT source_file, source_index FROM sample WHERE dataset_id = ${datasetId} ORDER BY order_index`,
  )) {
    keys.push(format === 'folder' ? row.source_file : String(row.source_index));
  }
  return keys;
}
