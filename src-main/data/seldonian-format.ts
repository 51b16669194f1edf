/**
 * The Seldonian Engine's supervised data format (E:seldonian/dataset.py): a headerless
 * numeric CSV whose columns are named by a metadata JSON. Features exclude the label and, unless
 * `feature_col_names` says otherwise, the sensitive columns.
 *
 * Numbers are parsed with `Number()`, which is correctly rounded like Python's float parsing, so the
 * values are bit-identical to what the engine sees. Every cell must be a finite decimal number: the
 * engine would silently carry NaN/inf into its bounds, and we refuse them up front instead.
 */
import { z } from 'zod';
import { checkRegularFileSync, InputError, parseWithSchema, readJsonFile } from '../errors/input-error';
import { formatBytes, MAX_CLASS_ID, MAX_JSON_BYTES, MAX_TABULAR_BYTES, MAX_TABULAR_CELLS } from './file-limits';
import { forEachLine, forEachLineSync } from './line-reader';

export interface SeldonianMetadata {
  regime: 'supervised_learning';
  subRegime: 'classification' | 'multiclass_classification';
  allColumns: string[];
  labelColumn: string;
  sensitiveColumns: string[];
  featureColumns: string[];
}

export interface TabularDataset {
  nRows: number;
  nFeatures: number;
  featureColumns: string[];
  /** Row-major nRows × nFeatures. */
  features: Float64Array;
  /** 0/1 for classification; integer class ids 0..K-1 for multiclass. */
  labels: Float64Array;
  /** 2 for binary classification; max label + 1 for multiclass. */
  nClasses: number;
  sensitiveColumns: string[];
  /** Row-major nRows × nSensitive, 0/1. */
  sensitive: Uint8Array;
}

const columnList = z.array(z.string().min(1));

const metadataSchema = z.object({
  regime: z.literal('supervised_learning', {
    error: (issue) => (issue.input === undefined ? 'missing' : "only 'supervised_learning' is supported"),
  }),
  // QUIRK: the engine's examples also write 'binary_classification' for the binary sub-regime.
  sub_regime: z.enum(['classification', 'binary_classification', 'multiclass_classification']),
  all_col_names: columnList.min(1),
  label_col_names: columnList,
  sensitive_col_names: columnList,
  feature_col_names: columnList.optional(),
});

/** Reads and validates a metadata JSON; every problem names the file and the offending key. */
export function readMetadata(path: string): SeldonianMetadata {
  if (checkRegularFileSync(path) > MAX_JSON_BYTES) {
    throw new InputError(`the file is larger than the ${formatBytes(MAX_JSON_BYTES)} a metadata JSON may have`, { file: path });
  }
  const raw = parseWithSchema(metadataSchema, readJsonFile(path), path);
  const fail = (key: string, detail: string): never => {
    throw new InputError(detail, { file: path, key });
  };

  const allColumns = raw.all_col_names;
  const known = new Set(allColumns);
  requireUnique(allColumns, 'all_col_names', fail);

  if (raw.label_col_names.length !== 1) {
    fail('label_col_names', `expected exactly one label column, got ${raw.label_col_names.length}`);
  }
  const labelColumn = raw.label_col_names[0];
  requireKnown([labelColumn], known, 'label_col_names', fail);

  const sensitiveColumns = raw.sensitive_col_names;
  requireUnique(sensitiveColumns, 'sensitive_col_names', fail);
  requireKnown(sensitiveColumns, known, 'sensitive_col_names', fail);
  if (sensitiveColumns.includes(labelColumn)) {
    fail('sensitive_col_names', `the label column '${labelColumn}' cannot also be a sensitive column`);
  }

  // Engine default: all columns minus the label minus the sensitive ones, in file order.
  const featureColumns =
    raw.feature_col_names ?? allColumns.filter((c) => c !== labelColumn && !sensitiveColumns.includes(c));
  if (raw.feature_col_names !== undefined) {
    requireUnique(featureColumns, 'feature_col_names', fail);
    requireKnown(featureColumns, known, 'feature_col_names', fail);
    if (featureColumns.includes(labelColumn)) {
      fail('feature_col_names', `the label column '${labelColumn}' cannot also be a feature`);
    }
  }

  return {
    regime: raw.regime,
    subRegime: raw.sub_regime === 'multiclass_classification' ? 'multiclass_classification' : 'classification',
    allColumns,
    labelColumn,
    sensitiveColumns,
    featureColumns,
  };
}

type Fail = (key: string, detail: string) => never;

function requireUnique(columns: readonly string[], key: string, fail: Fail): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) fail(key, `column '${c}' is listed twice`);
    seen.add(c);
  }
}

function requireKnown(columns: readonly string[], known: ReadonlySet<string>, key: string, fail: Fail): void {
  for (const c of columns) {
    if (!known.has(c)) fail(key, `column '${c}' is not in all_col_names`);
  }
}

/** What a column's cells must look like beyond "finite number". */
const CellRule = { AnyNumber: 0, ZeroOne: 1, ClassId: 2 } as const;

/** Where each CSV column goes, computed once so the row loop only indexes arrays. */
interface ColumnLayout {
  width: number;
  names: readonly string[];
  rules: Uint8Array;
  featureSource: Int32Array;
  sensitiveSource: Int32Array;
  labelSource: number;
}

function columnLayout(metadata: SeldonianMetadata): ColumnLayout {
  const names = metadata.allColumns;
  const indexOf = new Map(names.map((name, i) => [name, i] as const));
  // Metadata was validated, so every lookup succeeds; `?? -1` only satisfies the type checker.
  const source = (name: string): number => indexOf.get(name) ?? -1;
  const rules = new Uint8Array(names.length);
  const sensitiveSource = Int32Array.from(metadata.sensitiveColumns, source);
  for (const j of sensitiveSource) rules[j] = CellRule.ZeroOne;
  const labelSource = source(metadata.labelColumn);
  rules[labelSource] = metadata.subRegime === 'classification' ? CellRule.ZeroOne : CellRule.ClassId;
  return {
    width: names.length,
    names,
    rules,
    featureSource: Int32Array.from(metadata.featureColumns, source),
    sensitiveSource,
    labelSource,
  };
}

/**
 * Reads a headerless CSV (gzip-compressed when the path ends in `.gz`) whose columns are in
 * `metadata.allColumns` order. Errors name the file, the 1-based line and the column. The file is
 * read line by line; a line longer than `MAX_CSV_RECORD_CHARS`, text beyond `MAX_TABULAR_BYTES`
 * (after decompression) or more than `MAX_TABULAR_CELLS` numbers is refused. A gzip file is
 * decompressed whole here (up to the limit); `readSeldonianCsvStreaming` decompresses as it reads.
 */
export function readSeldonianCsv(path: string, metadata: SeldonianMetadata): TabularDataset {
  const table = new TableBuilder(path, metadata);
  forEachLineSync(path, MAX_TABULAR_BYTES, 'a Seldonian CSV', (line, rowNumber) => table.add(line, rowNumber));
  return table.result();
}

/** `readSeldonianCsv` for callers that can await: the file, compressed or not, is never held whole. */
export async function readSeldonianCsvStreaming(path: string, metadata: SeldonianMetadata): Promise<TabularDataset> {
  const table = new TableBuilder(path, metadata);
  await forEachLine(path, MAX_TABULAR_BYTES, 'a Seldonian CSV', (line, rowNumber) => table.add(line, rowNumber));
  return table.result();
}

/** The parsed rows, in arrays grown as rows arrive: memory follows the rows the file holds. */
class TableBuilder {
  private readonly layout: ColumnLayout;
  private readonly nFeatures: number;
  private readonly nSensitive: number;
  private readonly maxRows: number;
  private capacity = 1024;
  private features: Float64Array;
  private labels: Float64Array;
  private sensitive: Uint8Array;
  // One reusable row buffer: no per-row or per-cell allocation besides the split itself.
  private readonly row: Float64Array;
  private nRows = 0;

  constructor(
    private readonly path: string,
    private readonly metadata: SeldonianMetadata,
  ) {
    this.layout = columnLayout(metadata);
    this.nFeatures = this.layout.featureSource.length;
    this.nSensitive = this.layout.sensitiveSource.length;
    this.maxRows = Math.floor(MAX_TABULAR_CELLS / this.layout.width);
    this.features = new Float64Array(this.capacity * this.nFeatures);
    this.labels = new Float64Array(this.capacity);
    this.sensitive = new Uint8Array(this.capacity * this.nSensitive);
    this.row = new Float64Array(this.layout.width);
  }

  add(line: string, rowNumber: number): void {
    const { layout, nFeatures, nSensitive, row } = this;
    if (this.nRows === this.maxRows) {
      throw new InputError(`more than ${MAX_TABULAR_CELLS} numbers (${this.maxRows} rows of ${layout.width}), the most a Seldonian CSV may hold`, {
        file: this.path,
        row: rowNumber,
      });
    }
    parseRow(line, rowNumber, row, layout, this.path);
    if (this.nRows === this.capacity) {
      this.capacity = Math.min(this.capacity * 2, this.maxRows);
      this.features = grow(this.features, this.capacity * nFeatures);
      this.labels = grow(this.labels, this.capacity);
      this.sensitive = grow(this.sensitive, this.capacity * nSensitive);
    }
    const r = this.nRows++;
    for (let j = 0; j < nFeatures; j++) this.features[r * nFeatures + j] = row[layout.featureSource[j]];
    for (let k = 0; k < nSensitive; k++) this.sensitive[r * nSensitive + k] = row[layout.sensitiveSource[k]];
    this.labels[r] = row[layout.labelSource];
  }

  result(): TabularDataset {
    const n = this.nRows;
    const labels = this.labels.slice(0, n);
    return {
      nRows: n,
      nFeatures: this.nFeatures,
      featureColumns: [...this.metadata.featureColumns],
      features: this.features.slice(0, n * this.nFeatures),
      labels,
      nClasses: countClasses(labels, this.metadata, this.path),
      sensitiveColumns: [...this.metadata.sensitiveColumns],
      sensitive: this.sensitive.slice(0, n * this.nSensitive),
    };
  }
}

function grow<T extends Float64Array | Uint8Array>(array: T, length: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/**
 * Finite decimal numbers as Python's float() accepts them (minus nan/inf). `Number()` alone would
 * also take '' (as 0) and hexadecimal/binary/octal literals, which the engine's pandas reader does not.
 */
const DECIMAL = /^[ \t]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t]*$/;

/**
 * Whether a cell that `Number()` parsed to a finite value is a decimal literal. The fast path covers
 * every ordinary cell without a regex (a third of the parse time otherwise): when the cell starts with
 * a digit, sign or dot and has no radix prefix, `Number()` has already checked the rest of the syntax.
 */
function isDecimal(cell: string): boolean {
  const first = cell.charCodeAt(0);
  const second = cell.charCodeAt(1) | 0x20; // lower-cased; NaN (one-char cell) becomes 0x20
  const startsLikeDecimal = (first >= 0x30 && first <= 0x39) || first === 0x2b || first === 0x2d || first === 0x2e;
  if (startsLikeDecimal && second !== 0x78 && second !== 0x6f && second !== 0x62) return true; // not x, o, b
  return DECIMAL.test(cell);
}

function parseRow(line: string, rowNumber: number, out: Float64Array, layout: ColumnLayout, path: string): void {
  const cells = line.split(',');
  if (cells.length !== layout.width) throw widthError(cells, rowNumber, layout, path);
  for (let j = 0; j < cells.length; j++) {
    const cell = cells[j];
    const value = Number(cell);
    // `value - value !== 0` is true exactly for NaN and ±Infinity.
    if (value - value !== 0 || !isDecimal(cell)) {
      throw new InputError(describeBadCell(cell), { file: path, row: rowNumber, column: layout.names[j] });
    }
    const rule = layout.rules[j];
    if (rule !== CellRule.AnyNumber) checkRule(rule, value, cell, rowNumber, layout.names[j], path);
    out[j] = value;
  }
}

function widthError(cells: readonly string[], rowNumber: number, layout: ColumnLayout, path: string): InputError {
  if (cells.length === 1 && cells[0].trim() === '') {
    return new InputError(`empty line, expected ${layout.width} cells`, { file: path, row: rowNumber });
  }
  // On the first line a mismatch most likely means the metadata describes a different file.
  const detail =
    rowNumber === 1
      ? `metadata all_col_names lists ${layout.width} columns but the file has ${cells.length}`
      : `expected ${layout.width} cells, got ${cells.length}`;
  return new InputError(detail, { file: path, row: rowNumber });
}

const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

function describeBadCell(cell: string): string {
  const trimmed = cell.trim();
  if (trimmed === '') return 'empty cell';
  if (NON_FINITE.test(trimmed)) return `non-finite value ${quote(cell)} is not allowed`;
  if (DECIMAL.test(cell)) return `${quote(cell)} overflows to infinity`;
  return `not a number: ${quote(cell)}`;
}

function checkRule(rule: number, value: number, cell: string, rowNumber: number, column: string, path: string): void {
  if (rule === CellRule.ZeroOne && value !== 0 && value !== 1) {
    throw new InputError(`expected 0 or 1, got ${quote(cell)}`, { file: path, row: rowNumber, column });
  }
  if (rule === CellRule.ClassId && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new InputError(`expected a class id (a non-negative integer), got ${quote(cell)}`, {
      file: path,
      row: rowNumber,
      column,
    });
  }
  // The model has one column of θ per class id up to the largest: a huge id would allocate for it.
  if (rule === CellRule.ClassId && value > MAX_CLASS_ID) {
    throw new InputError(`class id above ${MAX_CLASS_ID}: got ${quote(cell)}`, { file: path, row: rowNumber, column });
  }
}

/** Long garbage cells are cut so the message stays one line. */
function quote(cell: string): string {
  return cell.length > 40 ? `'${cell.slice(0, 37)}...'` : `'${cell}'`;
}

/** Binary: always 2. Multiclass: max id + 1, as the model needs one column of θ per id. */
function countClasses(labels: Float64Array, metadata: SeldonianMetadata, path: string): number {
  if (metadata.subRegime === 'classification') return 2;
  let max = 0;
  for (const y of labels) if (y > max) max = y;
  if (max < 1) {
    throw new InputError('multiclass labels must include at least 2 classes, found only class 0', {
      file: path,
      column: metadata.labelColumn,
    });
  }
  return max + 1;
}
