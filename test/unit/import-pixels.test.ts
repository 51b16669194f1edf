/**
 * Invariant under test: the pixel-string importer (UTKFace `age_gender.csv` layout) stores each row's
 * pixels as a square grayscale image, takes the chosen label column, derives one-hot sensitive columns
 * from categorical ones, and refuses bad pixel strings naming the row, the column and what was wrong.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importPixelCsv, type PixelCsvOptions } from '../../src-main/data/importers';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { listImportJobs } from '../../src-main/store/import-jobs';
import { inputErrorOf, tableCounts, useTempDir, writeCsv } from '../support/images';

const tempDir = useTempDir();
let db: WritableDB;
beforeEach(() => {
  db = openWorkspace(join(tempDir(), 'ws.db'));
});
afterEach(() => db.close());

const pixels = (values: readonly number[]): string => values.join(' ');

/** age,ethnicity,gender,img_name,pixels with 2×2 images; row i has pixels i, i+1, i+2, i+3. */
function ageGender(n: number, edit: (row: (string | number)[], i: number) => (string | number)[] = (r) => r): string {
  const rows: (string | number)[][] = [['age', 'ethnicity', 'gender', 'img_name', 'pixels']];
  for (let i = 0; i < n; i++) rows.push(edit([20 + i, i % 5, i % 2, `${i}.jpg`, pixels([i, i + 1, i + 2, i + 3])], i));
  return writeCsv(join(tempDir(), 'age_gender.csv'), rows);
}

const genderAndRace: Pick<PixelCsvOptions, 'derive'> = {
  derive: [
    { column: 'gender', values: [{ value: '0', name: 'M' }, { value: '1', name: 'F' }] },
    {
      column: 'ethnicity',
      values: ['White', 'Black', 'Asian', 'Indian', 'Other'].map((name, i) => ({ value: String(i), name })),
      family: 'race',
    },
  ],
};

function expectNothingWritten(): void {
  expect(tableCounts(db)).toEqual({ dataset: 0, sample: 0, attribute: 0, attribute_family: 0 });
  expect(listImportJobs(db)[0].status).toBe('failed');
}

describe('importPixelCsv: good input', () => {
  it('stores square grayscale images and derives gender/ethnicity one-hots as families', async () => {
    const csv = ageGender(10);
    const { dataset } = await importPixelCsv(db, { name: 'utk', csv, labelColumn: 'gender', ...genderAndRace });
    expect(dataset).toMatchObject({
      nRows: 10,
      nClasses: 2,
      image: { width: 2, height: 2, channels: 1 },
      sensitiveColumns: ['M', 'F', 'White', 'Black', 'Asian', 'Indian', 'Other'],
      families: [
        { name: 'gender', columns: ['M', 'F'] },
        { name: 'race', columns: ['White', 'Black', 'Asian', 'Indian', 'Other'] },
      ],
    });
    expect(dataset.attributes[1]).toEqual({ position: 1, name: 'F', family: 'gender', derivedFrom: 'gender = 1' });
    const data = loadDatasetForTraining(db, dataset.id);
    expect(Array.from(data.images!.pixels.subarray(12, 16))).toEqual([3, 4, 5, 6]);
    // Row 7 (i = 7): gender 1 → F, ethnicity 2 → Asian.
    expect(Array.from(data.sensitive.subarray(7 * 7, 8 * 7))).toEqual([0, 1, 0, 0, 1, 0, 0]);
    expect(data.labels[7]).toBe(1);
  });

  it('keeps a multiclass label (ethnicity: 5 classes) or maps it to binary by a class set', async () => {
    const csv = ageGender(10);
    const multi = await importPixelCsv(db, { name: 'multi', csv, labelColumn: 'ethnicity', derive: genderAndRace.derive!.slice(0, 1) });
    expect(multi.dataset.nClasses).toBe(5);
    expect(Array.from(loadDatasetForTraining(db, multi.dataset.id).labels)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    const binary = await importPixelCsv(db, {
      name: 'binary',
      csv,
      labelColumn: 'ethnicity',
      labels: { positiveClasses: ['0', '2'] },
      derive: genderAndRace.derive!.slice(0, 1),
    });
    expect(binary.dataset).toMatchObject({ nClasses: 2, labelMapping: { positiveClasses: ['0', '2'] } });
    expect(Array.from(loadDatasetForTraining(db, binary.dataset.id).labels)).toEqual([1, 0, 1, 0, 0, 1, 0, 1, 0, 0]);
    expect(db.prepare('SELECT raw_label FROM sample WHERE dataset_id = ? ORDER BY order_index LIMIT 3').pluck().all(binary.dataset.id)).toEqual([
      '0',
      '1',
      '2',
    ]);
  });

  it('names classes: string labels map to ids in the given order', async () => {
    const csv = ageGender(4, (r, i) => [...r.slice(0, 2), i % 2 === 0 ? 'male' : 'female', ...r.slice(3)]);
    const { dataset } = await importPixelCsv(db, {
      name: 'named',
      csv,
      labelColumn: 'gender',
      labels: { classes: ['female', 'male'] },
      derive: [{ column: 'ethnicity', values: [0, 1, 2, 3].map((v) => ({ value: String(v), name: `e${v}` })) }],
    });
    expect(Array.from(loadDatasetForTraining(db, dataset.id).labels)).toEqual([1, 0, 1, 0]);
  });

  it('uses one-hot columns of the file as they are', async () => {
    const csv = writeCsv(join(tempDir(), 'p.csv'), [
      ['pixels', 'y', 'A', 'B'],
      ['0 0 0 0', 1, 1, 0],
      ['255 255 255 255', 0, 0, 1],
    ]);
    const { dataset } = await importPixelCsv(db, { name: 'onehot', csv, labelColumn: 'y', sensitive: ['A', 'B'] });
    expect(Array.from(loadDatasetForTraining(db, dataset.id).sensitive)).toEqual([1, 0, 0, 1]);
  });
});

describe('importPixelCsv: bad pixel strings and attributes', () => {
  it('a wrong pixel count says expected vs got', async () => {
    const csv = ageGender(6, (r, i) => (i === 5 ? [...r.slice(0, 4), '1 2 3'] : r));
    const err = await inputErrorOf(importPixelCsv(db, { name: 'x', csv, labelColumn: 'gender', ...genderAndRace }));
    expect(err.message).toBe(`${csv} row 7, column 'pixels': expected 4 pixel values (2×2), got 3`);
    expectNothingWritten();
  });

  it('a value outside 0–255, a non-integer, a non-number', async () => {
    const cases: [string, string][] = [
      ['0 1 256 3', "pixel 3 of 4: '256' is outside 0–255"],
      ['0 -1 2 3', "pixel 2 of 4: '-1' is outside 0–255"],
      ['0 1 2 3.5', "pixel 4 of 4: '3.5' is not an integer"],
      ['0 x 2 3', "pixel 2 of 4: 'x' is not a number"],
      ['', 'empty pixel string'],
    ];
    for (const [cell, detail] of cases) {
      const csv = ageGender(3, (r, i) => (i === 1 ? [...r.slice(0, 4), cell] : r));
      expect(await inputErrorOf(importPixelCsv(db, { name: 'x', csv, labelColumn: 'gender', ...genderAndRace }))).toMatchObject({
        file: csv,
        row: 3,
        column: 'pixels',
        detail,
      });
    }
    expectNothingWritten();
  });

  it('a first row whose pixel count is not a square', async () => {
    const csv = ageGender(2, (r) => [...r.slice(0, 4), '1 2 3']);
    expect(await inputErrorOf(importPixelCsv(db, { name: 'x', csv, labelColumn: 'gender', ...genderAndRace }))).toMatchObject({
      row: 2,
      column: 'pixels',
      detail: '3 pixel values do not make a square image',
    });
  });

  it('a categorical value without a derived name, an empty label cell', async () => {
    const csv = ageGender(4, (r, i) => (i === 3 ? [r[0], 7, ...r.slice(2)] : r));
    expect(await inputErrorOf(importPixelCsv(db, { name: 'x', csv, labelColumn: 'gender', ...genderAndRace }))).toMatchObject({
      row: 5,
      column: 'ethnicity',
      detail: "expected one of 0, 1, 2, 3, 4 (the values given to derive from it), got '7'",
    });
    const empty = ageGender(4, (r, i) => (i === 2 ? [r[0], r[1], '', ...r.slice(3)] : r));
    expect(await inputErrorOf(importPixelCsv(db, { name: 'x', csv: empty, labelColumn: 'age', ...genderAndRace }))).toMatchObject({
      row: 4,
      column: 'gender',
    });
    expectNothingWritten();
  });

  it('an unknown pixels or derive column', async () => {
    const csv = ageGender(2);
    expect(await inputErrorOf(importPixelCsv(db, { name: 'x', csv, labelColumn: 'gender', pixelsColumn: 'px', ...genderAndRace }))).toMatchObject({
      row: 1,
      column: 'px',
    });
    const err = await inputErrorOf(
      importPixelCsv(db, { name: 'x', csv, labelColumn: 'gender', derive: [{ column: 'race', values: [{ value: '0', name: 'a' }, { value: '1', name: 'b' }] }] }),
    );
    expect(err).toMatchObject({ row: 1, column: 'race', detail: "no categorical column 'race' in the header (columns: age, ethnicity, gender, img_name, pixels)" });
  });

  it('no sensitive attributes at all is refused', async () => {
    const csv = ageGender(2);
    expect((await inputErrorOf(importPixelCsv(db, { name: 'x', csv, labelColumn: 'gender' }))).message).toMatch(/no sensitive attributes/);
  });

  it('reports malformed CSV lines and bad cells in file order, whichever kind comes first', async () => {
    const ragged = (i: number, r: (string | number)[]): (string | number)[] => (i === 1 ? r.slice(0, 4) : r);
    const badPixel = (i: number, r: (string | number)[]): (string | number)[] => (i === 3 ? [...r.slice(0, 4), '1 2 3 300'] : r);
    const raggedFirst = ageGender(5, (r, i) => badPixel(i, ragged(i, r)));
    expect(await inputErrorOf(importPixelCsv(db, { name: 'x', csv: raggedFirst, labelColumn: 'gender', ...genderAndRace }))).toMatchObject({
      row: 3,
      detail: 'expected 5 cells as in the header, got 4',
    });
    const pixelFirst = ageGender(5, (r, i) => (i === 4 ? r.slice(0, 4) : badPixel(i, r)));
    expect(await inputErrorOf(importPixelCsv(db, { name: 'x', csv: pixelFirst, labelColumn: 'gender', ...genderAndRace }))).toMatchObject({
      row: 5,
      column: 'pixels',
    });
  });

  it('reads a gzipped CSV', async () => {
    const csv = ageGender(3);
    const { gzipSync } = await import('node:zlib');
    const { readFileSync } = await import('node:fs');
    writeFileSync(`${csv}.gz`, gzipSync(readFileSync(csv)));
    const { dataset } = await importPixelCsv(db, { name: 'gz', csv: `${csv}.gz`, labelColumn: 'gender', ...genderAndRace });
    expect(dataset.nRows).toBe(3);
  });
});
