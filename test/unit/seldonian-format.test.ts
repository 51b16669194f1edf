/**
 * Invariant under test: the Seldonian CSV + metadata reader gives exactly the numbers the Python engine
 * parses (checked bit for bit against hashes computed with Python's float()), and every malformed
 * input is refused with an InputError that names the file, the 1-based line and the column.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src-main/errors/input-error';
import { readMetadata, readSeldonianCsv, type SeldonianMetadata } from '../../src-main/data/seldonian-format';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/seldonian/', import.meta.url));

/** Runs `fn`, which must throw an InputError, and returns it for location assertions. */
function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}

function sha256(values: Float64Array): string {
  return createHash('sha256').update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).digest('hex');
}

function countOnes(values: ArrayLike<number>, stride: number, offset: number): number {
  let n = 0;
  for (let i = offset; i < values.length; i += stride) if (values[i] === 1) n++;
  return n;
}

describe('fixture data sets, read in place', () => {
  it('small_s0: 2000 rows × 16 features, sensitive M,F, binary label', () => {
    const meta = readMetadata(join(FIXTURES, 'small_s0/metadata.json'));
    expect(meta).toEqual({
      regime: 'supervised_learning',
      subRegime: 'classification',
      allColumns: [...Array.from({ length: 16 }, (_, i) => `f${i}`), 'M', 'F', 'label'],
      labelColumn: 'label',
      sensitiveColumns: ['M', 'F'],
      featureColumns: Array.from({ length: 16 }, (_, i) => `f${i}`),
    });
    const data = readSeldonianCsv(join(FIXTURES, 'small_s0/data.csv'), meta);
    expect(data.nRows).toBe(2000);
    expect(data.nFeatures).toBe(16);
    expect(data.nClasses).toBe(2);
    expect(data.features.length).toBe(2000 * 16);
    expect(data.sensitive.length).toBe(2000 * 2);
    expect(data.features[0]).toBe(0.9567581415176392);
    expect(data.features[15]).toBe(-1.2535624504089355);
    expect(data.features[999 * 16 + 3]).toBe(0.47203248739242554);
    expect(data.features[1999 * 16 + 14]).toBe(2.220374822616577);
    expect([data.sensitive[0], data.sensitive[1], data.labels[0]]).toEqual([0, 1, 1]);
    // Counts and the hash of every feature's float64 bytes were computed with Python's csv + float().
    expect(countOnes(data.sensitive, 2, 0)).toBe(989);
    expect(countOnes(data.sensitive, 2, 1)).toBe(1011);
    expect(countOnes(data.labels, 1, 0)).toBe(1026);
    expect(sha256(data.features)).toBe('a32c8560d78f0bcb4777b56837a71fff3e644c4a6a780cf2be85a842aa2be6b4');
  });

  it('mc3_s1: 1500 rows × 6 features, 3 classes', () => {
    const meta = readMetadata(join(FIXTURES, 'mc3_s1/metadata.json'));
    expect(meta.subRegime).toBe('multiclass_classification');
    expect(meta.featureColumns).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
    const data = readSeldonianCsv(join(FIXTURES, 'mc3_s1/data.csv'), meta);
    expect([data.nRows, data.nFeatures, data.nClasses]).toEqual([1500, 6, 3]);
    const perClass = [0, 0, 0];
    for (const y of data.labels) perClass[y]++;
    expect(perClass).toEqual([490, 521, 489]);
    expect(data.features[1499 * 6 + 4]).toBe(1.5829044580459595);
    expect(countOnes(data.sensitive, 2, 0)).toBe(769);
    expect(sha256(data.features)).toBe('e3e3c742849fd7bbdaccd64df1b1a91493ceb6be507353a0296f8f88d4dcb8b2');
  });
});

describe('reading variants', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fairbound-seldonian-format-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const binaryMeta: SeldonianMetadata = {
    regime: 'supervised_learning',
    subRegime: 'classification',
    allColumns: ['x1', 'x2', 'M', 'label'],
    labelColumn: 'label',
    sensitiveColumns: ['M'],
    featureColumns: ['x1', 'x2'],
  };

  it('reads a .gz file to the same arrays as the plain file', () => {
    const source = join(FIXTURES, 'small_s0/data.csv');
    const gz = join(dir, 'data.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(source)));
    const meta = readMetadata(join(FIXTURES, 'small_s0/metadata.json'));
    const plain = readSeldonianCsv(source, meta);
    const zipped = readSeldonianCsv(gz, meta);
    expect(zipped.nRows).toBe(2000);
    expect(sha256(zipped.features)).toBe(sha256(plain.features));
    expect(zipped.labels).toEqual(plain.labels);
    expect(zipped.sensitive).toEqual(plain.sensitive);
  });

  it('accepts \\r\\n endings, no trailing newline, a BOM and the usual decimal spellings', () => {
    const file = join(dir, 'crlf.csv');
    writeFileSync(file, '\ufeff1.5,-.25,1,0\r\n+2e-3,7.,0,1\r\n 3 ,1E2,1,1');
    const data = readSeldonianCsv(file, binaryMeta);
    expect(data.nRows).toBe(3);
    expect(Array.from(data.features)).toEqual([1.5, -0.25, 0.002, 7, 3, 100]);
    expect(Array.from(data.labels)).toEqual([0, 1, 1]);
    expect(Array.from(data.sensitive)).toEqual([1, 0, 1]);
  });

  it('orders features as feature_col_names says, and may keep a sensitive column as a feature', () => {
    const metaFile = join(dir, 'metadata.json');
    writeFileSync(
      metaFile,
      JSON.stringify({
        regime: 'supervised_learning',
        sub_regime: 'binary_classification', // spec QUIRK: accepted as 'classification'
        all_col_names: ['a', 'label', 'b', 'S'],
        label_col_names: ['label'],
        sensitive_col_names: ['S'],
        feature_col_names: ['b', 'S', 'a'],
      }),
    );
    const meta = readMetadata(metaFile);
    expect(meta.subRegime).toBe('classification');
    const file = join(dir, 'data.csv');
    writeFileSync(file, '10,1,20,0\n11,0,21,1\n');
    const data = readSeldonianCsv(file, meta);
    expect(data.featureColumns).toEqual(['b', 'S', 'a']);
    expect(Array.from(data.features)).toEqual([20, 0, 10, 21, 1, 11]);
    expect(Array.from(data.labels)).toEqual([1, 0]);
  });

  it('defaults features to all columns minus label and sensitive, in file order', () => {
    const metaFile = join(dir, 'metadata.json');
    writeFileSync(
      metaFile,
      JSON.stringify({
        regime: 'supervised_learning',
        sub_regime: 'classification',
        all_col_names: ['S', 'z', 'label', 'a'],
        label_col_names: ['label'],
        sensitive_col_names: ['S'],
        extra_key: 'ignored',
      }),
    );
    expect(readMetadata(metaFile).featureColumns).toEqual(['z', 'a']);
  });
});

describe('CSV errors name file, row and column', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fairbound-seldonian-csv-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const meta: SeldonianMetadata = {
    regime: 'supervised_learning',
    subRegime: 'classification',
    allColumns: ['x1', 'x2', 'M', 'label'],
    labelColumn: 'label',
    sensitiveColumns: ['M'],
    featureColumns: ['x1', 'x2'],
  };
  const multiMeta: SeldonianMetadata = { ...meta, subRegime: 'multiclass_classification' };

  /** Writes `text` as a CSV and returns the InputError reading it raises. */
  function errorFor(text: string | Uint8Array, metadata = meta, name = 'data.csv'): { err: InputError; file: string } {
    const file = join(dir, name);
    writeFileSync(file, text);
    return { err: inputErrorOf(() => readSeldonianCsv(file, metadata)), file };
  }

  it('missing file', () => {
    const file = join(dir, 'nope.csv');
    const err = inputErrorOf(() => readSeldonianCsv(file, meta));
    expect(err.file).toBe(file);
    expect(err.row).toBeUndefined();
    expect(err.message).toBe(`${file}: file not found`);
  });

  it.each(['', '\n', '\r\n'])('empty file %j', (text) => {
    const { err, file } = errorFor(text);
    expect(err.file).toBe(file);
    expect(err.detail).toBe('the file is empty');
  });

  it('ragged row: expected vs got cells', () => {
    const { err, file } = errorFor('1,2,0,1\n3,4,1,0\n5,6,1\n');
    expect([err.file, err.row, err.column]).toEqual([file, 3, undefined]);
    expect(err.message).toBe(`${file} row 3: expected 4 cells, got 3`);
  });

  it('a first row whose width does not fit the metadata column list', () => {
    const { err, file } = errorFor('1,2,0,1,9\n3,4,1,0,9\n');
    expect([err.file, err.row]).toEqual([file, 1]);
    expect(err.detail).toBe('metadata all_col_names lists 4 columns but the file has 5');
  });

  it('blank line in the middle, and a second trailing newline', () => {
    const middle = errorFor('1,2,0,1\n\n3,4,1,0\n');
    expect([middle.err.row, middle.err.detail]).toEqual([2, 'empty line, expected 4 cells']);
    const trailing = errorFor('1,2,0,1\n3,4,1,0\n\n');
    expect(trailing.err.row).toBe(3);
  });

  it('empty cell', () => {
    const { err, file } = errorFor('1,2,0,1\n3,,1,0\n');
    expect(err.message).toBe(`${file} row 2, column 'x2': empty cell`);
    expect([err.file, err.row, err.column]).toEqual([file, 2, 'x2']);
  });

  it.each([
    ['abc', "not a number: 'abc'"],
    ['0x10', "not a number: '0x10'"],
    ['0b1', "not a number: '0b1'"],
    ['1,5', null], // an extra comma makes the row ragged instead
    ['1_000', "not a number: '1_000'"],
  ])('non-numeric cell %j', (cell, detail) => {
    const { err } = errorFor(`1,2,0,1\n${cell},4,1,0\n`);
    expect(err.row).toBe(2);
    if (detail === null) {
      expect(err.detail).toBe('expected 4 cells, got 5');
    } else {
      expect(err.column).toBe('x1');
      expect(err.detail).toBe(detail);
    }
  });

  it.each([
    ['nan', "non-finite value 'nan' is not allowed"],
    ['NaN', "non-finite value 'NaN' is not allowed"],
    ['inf', "non-finite value 'inf' is not allowed"],
    ['-Infinity', "non-finite value '-Infinity' is not allowed"],
    ['1e400', "'1e400' overflows to infinity"],
  ])('non-finite cell %j, even in a column no one uses as a feature', (cell, detail) => {
    const { err, file } = errorFor(`1,2,0,1\n3,4,1,0\n5,${cell},1,0\n`);
    expect([err.file, err.row, err.column, err.detail]).toEqual([file, 3, 'x2', detail]);
  });

  it('sensitive column not 0/1', () => {
    const { err, file } = errorFor('1,2,0,1\n3,4,0.5,0\n');
    expect(err.message).toBe(`${file} row 2, column 'M': expected 0 or 1, got '0.5'`);
  });

  it('binary label not 0/1', () => {
    const { err } = errorFor('1,2,0,1\n3,4,1,0\n3,4,1,2\n');
    expect([err.row, err.column, err.detail]).toEqual([3, 'label', "expected 0 or 1, got '2'"]);
  });

  it.each(['-1', '1.5'])('multiclass label %j not a non-negative integer', (label) => {
    const { err } = errorFor(`1,2,0,0\n3,4,1,${label}\n`, multiMeta);
    expect([err.row, err.column, err.detail]).toEqual([2, 'label', `expected a class id (a non-negative integer), got '${label}'`]);
  });

  it('multiclass labels: K is the largest id + 1, and one class alone is refused', () => {
    const file = join(dir, 'mc.csv');
    writeFileSync(file, '1,2,0,0\n3,4,1,3\n5,6,0,1.0\n');
    const data = readSeldonianCsv(file, multiMeta);
    expect(data.nClasses).toBe(4);
    expect(Array.from(data.labels)).toEqual([0, 3, 1]);
    const { err } = errorFor('1,2,0,0\n3,4,1,0\n', multiMeta);
    expect([err.column, err.row]).toEqual(['label', undefined]);
  });

  it('corrupt gzip', () => {
    const { err, file } = errorFor('not gzip at all', meta, 'data.csv.gz');
    expect(err.file).toBe(file);
    expect(err.detail).toMatch(/^not a valid gzip file/);
  });
});

describe('metadata errors name file and key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fairbound-seldonian-meta-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const good = {
    regime: 'supervised_learning',
    sub_regime: 'classification',
    all_col_names: ['x1', 'x2', 'M', 'F', 'label'],
    label_col_names: ['label'],
    sensitive_col_names: ['M', 'F'],
  };

  function errorFor(content: unknown): { err: InputError; file: string } {
    const file = join(dir, 'metadata.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return { err: inputErrorOf(() => readMetadata(file)), file };
  }

  it('the good metadata is accepted (so each case below fails for its own reason)', () => {
    const file = join(dir, 'metadata.json');
    writeFileSync(file, JSON.stringify(good));
    expect(readMetadata(file).featureColumns).toEqual(['x1', 'x2']);
  });

  it('missing file and invalid JSON', () => {
    const file = join(dir, 'absent.json');
    expect(inputErrorOf(() => readMetadata(file)).message).toBe(`${file}: file not found`);
    const { err, file: bad } = errorFor('{"regime": ');
    expect(err.file).toBe(bad);
    expect(err.detail).toMatch(/^not valid JSON/);
  });

  it.each([
    { content: { ...good, regime: undefined }, key: 'regime', detail: 'missing' },
    { content: { ...good, regime: 'reinforcement_learning' }, key: 'regime', detail: 'only \'supervised_learning\' is supported, got "reinforcement_learning"' },
    { content: { ...good, sub_regime: 'regression' }, key: 'sub_regime', detail: 'Invalid option: expected one of "classification"|"binary_classification"|"multiclass_classification", got "regression"' },
    { content: { ...good, all_col_names: ['x1', 'x1', 'M', 'F', 'label'] }, key: 'all_col_names', detail: "column 'x1' is listed twice" },
    { content: { ...good, all_col_names: 'x1,x2' }, key: 'all_col_names', detail: 'Invalid input: expected array, received string' },
    { content: { ...good, label_col_names: ['label', 'x2'] }, key: 'label_col_names', detail: 'expected exactly one label column, got 2' },
    { content: { ...good, label_col_names: [] }, key: 'label_col_names', detail: 'expected exactly one label column, got 0' },
    { content: { ...good, label_col_names: ['y'] }, key: 'label_col_names', detail: "column 'y' is not in all_col_names" },
    { content: { ...good, sensitive_col_names: ['M', 'G'] }, key: 'sensitive_col_names', detail: "column 'G' is not in all_col_names" },
    { content: { ...good, sensitive_col_names: ['M', 'M'] }, key: 'sensitive_col_names', detail: "column 'M' is listed twice" },
    { content: { ...good, sensitive_col_names: ['label'] }, key: 'sensitive_col_names', detail: "the label column 'label' cannot also be a sensitive column" },
    { content: { ...good, sensitive_col_names: [3] }, key: 'sensitive_col_names[0]', detail: 'Invalid input: expected string, received number' },
    { content: { ...good, feature_col_names: ['x1', 'q'] }, key: 'feature_col_names', detail: "column 'q' is not in all_col_names" },
    { content: { ...good, feature_col_names: ['x1', 'label'] }, key: 'feature_col_names', detail: "the label column 'label' cannot also be a feature" },
  ])('key $key: $detail', ({ content, key, detail }) => {
    const { err, file } = errorFor(content);
    expect([err.file, err.key, err.detail]).toEqual([file, key, detail]);
    expect(err.message).toBe(`${file} key '${key}': ${detail}`);
  });
});
