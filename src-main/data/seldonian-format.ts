/**
 * The Seldonian Engine's supervised data format (E:seldonian/dataset.py): a headerless
 * numeric CSV whose columns are named by a metadata JSON. Features exclude the label and, unless
 * `feature_col_names` says otherwise, the sensitive columns.
 *
 * Numbers are parsed with `Number()`, which is correctly rounded like Python's float parsing, so the
 * values are bit-identical to what the engine sees. Every cell must be a finite decimal number: the
 * engine would silently carry NaN/inf into its bounds, and we refuse them up front instead.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { InputError, parseWithSchema, readFileOrThrow, readJsonFile } from '../errors/input-error';
import { checkRegularFileSync, formatBytes, MAX_CLASS_ID, MAX_CSV_RECORD_CHARS, MAX_JSON_BYTES, MAX_TABULAR_BYTES, MAX_TABULAR_CELLS } from './file-limits';

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
 * read line by line (a plain file in chunks); a line longer than `MAX_CSV_RECORD_CHARS`, text beyond
 * `MAX_TABULAR_BYTES` (after decompression) or more than `MAX_TABULAR_CELLS` numbers is refused.
 */
export function readSeldonianCsv(path: string, metadata: SeldonianMetadata): TabularDataset {
  const layout = columnLayout(metadata);
  const nFeatures = layout.featureSource.length;
  const nSensitive = layout.sensitiveSource.length;
  const maxRows = Math.floor(MAX_TABULAR_CELLS / layout.width);
  let capacity = 1024;
  let features = new Float64Array(capacity * nFeatures);
  let labels = new Float64Array(capacity);
  let sensitive = new Uint8Array(capacity * nSensitive);
  // One reusable row buffer: no per-row or per-cell allocation besides the split itself.
  const row = new Float64Array(layout.width);
  let nRows = 0;

  forEachLine(path, (line, rowNumber) => {
    if (nRows === maxRows) {
      throw new InputError(`more than ${MAX_TABULAR_CELLS} numbers (${maxRows} rows of ${layout.width}), the most a Seldonian CSV may hold`, {
        file: path,
        row: rowNumber,
      });
    }
    parseRow(line, rowNumber, row, layout, path);
    if (nRows === capacity) {
      // Grown as rows arrive: memory follows the rows the file holds.
      capacity = Math.min(capacity * 2, maxRows);
      features = grow(features, capacity * nFeatures);
      labels = grow(labels, capacity);
      sensitive = grow(sensitive, capacity * nSensitive);
    }
    const r = nRows++;
    for (let j = 0; j < nFeatures; j++) features[r * nFeatures + j] = row[layout.featureSource[j]];
    for (let k = 0; k < nSensitive; k++) sensitive[r * nSensitive + k] = row[layout.sensitiveSource[k]];
    labels[r] = row[layout.labelSource];
  });

  const trimmedLabels = labels.slice(0, nRows);
  return {
    nRows,
    nFeatures,
    featureColumns: [...metadata.featureColumns],
    features: features.slice(0, nRows * nFeatures),
    labels: trimmedLabels,
    nClasses: countClasses(trimmedLabels, metadata, path),
    sensitiveColumns: [...metadata.sensitiveColumns],
    sensitive: sensitive.slice(0, nRows * nSensitive),
  };
}

function grow<T extends Float64Array | Uint8Array>(array: T, length: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/** Bytes read from a plain file at a time. */
const READ_CHUNK = 4 * 1024 * 1024;

/**
 * Calls `onLine` with each line (1-based number), without its `\n` or `\r\n`; one trailing newline
 * ends the last line, a UTF-8 byte-order mark is dropped. An empty file is an InputError.
 */
function forEachLine(path: string, onLine: (line: string, rowNumber: number) => void): void {
  const size = checkRegularFileSync(path);
  let rowNumber = 0;
  // A first line that is empty is held back: alone, it is an empty file, not an empty line.
  let heldEmptyFirst = false;
  const emit = (bytes: Buffer, start: number, end: number): void => {
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    if (rowNumber === 0 && stop - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    rowNumber++;
    if (rowNumber === 1 && stop === start) {
      heldEmptyFirst = true;
      return;
    }
    if (heldEmptyFirst) {
      heldEmptyFirst = false;
      onLine('', 1);
    }
    onLine(bytes.toString('utf8', start, stop), rowNumber);
  };
  const tooLong = (): InputError =>
    new InputError(`record too long: more than ${MAX_CSV_RECORD_CHARS} bytes without a line break`, { file: path, row: rowNumber + 1 });
  /** Emits the complete lines of `bytes`; returns where the unfinished last line starts. */
  const scan = (bytes: Buffer): number => {
    let start = 0;
    for (let nl = bytes.indexOf(0x0a, start); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
      if (nl - start > MAX_CSV_RECORD_CHARS) throw tooLong();
      emit(bytes, start, nl);
      start = nl + 1;
    }
    if (bytes.length - start > MAX_CSV_RECORD_CHARS) throw tooLong();
    return start;
  };

  if (path.endsWith('.gz')) {
    const text = gunzipCapped(path, size);
    const rest = scan(text);
    if (rest < text.length) emit(text, rest, text.length);
  } else {
    if (size > MAX_TABULAR_BYTES) {
      throw new InputError(`the file is ${size} bytes, more than the ${formatBytes(MAX_TABULAR_BYTES)} a Seldonian CSV may hold`, { file: path });
    }
    const fd = openSyncOrThrow(path);
    try {
      let carry = Buffer.alloc(0);
      const chunk = Buffer.alloc(READ_CHUNK);
      for (;;) {
        const n = readSync(fd, chunk, 0, READ_CHUNK, null);
        if (n === 0) break;
        const bytes = carry.length === 0 ? chunk.subarray(0, n) : Buffer.concat([carry, chunk.subarray(0, n)]);
        const rest = scan(bytes);
        carry = Buffer.from(bytes.subarray(rest));
      }
      if (carry.length > 0) emit(carry, 0, carry.length);
    } finally {
      closeSync(fd);
    }
  }
  if (rowNumber === 0 || heldEmptyFirst) throw new InputError('the file is empty', { file: path });
}

function openSyncOrThrow(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    readFileOrThrow(path); // the shared "file not found / permission denied" wording
    throw err;
  }
}

/** The decompressed bytes of a gzip file, refused past `MAX_TABULAR_BYTES` (a gzip bomb stops there). */
function gunzipCapped(path: string, size: number): Buffer {
  if (size > MAX_TABULAR_BYTES) {
    throw new InputError(`the file is ${size} bytes, more than the ${formatBytes(MAX_TABULAR_BYTES)} a Seldonian CSV may hold`, { file: path });
  }
  const compressed = readFileOrThrow(path);
  try {
    return gunzipSync(compressed, { maxOutputLength: MAX_TABULAR_BYTES });
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InputError(`decompresses to more than ${formatBytes(MAX_TABULAR_BYTES)}, the most a Seldonian CSV may hold (size limit)`, { file: path }, { cause: err });
    }
    throw new InputError(`not a valid gzip file: ${err instanceof Error ? err.message : String(err)}`, { file: path }, { cause: err });
  }
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
