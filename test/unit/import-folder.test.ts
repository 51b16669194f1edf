/**
 * Invariant under test: the image-folder importer stores exactly the decoded pixels (PNG bit for bit;
 * JPEG within its loss), in CSV order, with labels and sensitive one-hots as written, and refuses bad
 * input with an InputError naming the CSV, the line and the column, leaving nothing behind.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importImageFolder, type ImageFolderOptions } from '../../src-main/data/importers';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { listDatasets, loadDatasetForTraining } from '../../src-main/store/datasets';
import { listImportJobs } from '../../src-main/store/import-jobs';
import { inputErrorOf, tableCounts, testPixels, useTempDir, writeCsv, writeJpeg, writePng } from '../support/images';

const tempDir = useTempDir();
let db: WritableDB;
beforeEach(() => {
  db = openWorkspace(join(tempDir(), 'ws.db'));
});
afterEach(() => db.close());

interface Face {
  file: string;
  gender: number | string;
  M: number | string;
  F: number | string;
}

/** Writes `n` images img/<i>.png (size × size) and attrs.csv `file,gender,M,F`; returns the CSV path. */
async function writeFaces(n: number, options: { channels?: 1 | 3; size?: number; rows?: (faces: Face[]) => Face[] } = {}): Promise<string> {
  const channels = options.channels ?? 1;
  const size = options.size ?? 4;
  let faces: Face[] = [];
  for (let i = 0; i < n; i++) {
    await writePng(join(tempDir(), 'img', `${i}.png`), size, size, channels, testPixels(size, size, channels, i));
    faces.push({ file: `img/${i}.png`, gender: i % 2, M: i % 2 === 0 ? 1 : 0, F: i % 2 === 0 ? 0 : 1 });
  }
  if (options.rows) faces = options.rows(faces);
  return writeCsv(join(tempDir(), 'attrs.csv'), [['file', 'gender', 'M', 'F'], ...faces.map((f) => [f.file, f.gender, f.M, f.F])]);
}

function options(csv: string, extra: Partial<ImageFolderOptions> = {}): ImageFolderOptions {
  return { name: 'faces', csv, labelColumn: 'gender', sensitive: ['M', 'F'], families: [{ name: 'sex', columns: ['M', 'F'] }], ...extra };
}

function expectNothingWritten(): void {
  expect(tableCounts(db)).toEqual({ dataset: 0, sample: 0, attribute: 0, attribute_family: 0 });
  const [job] = listImportJobs(db);
  expect(job.status).toBe('failed');
}

describe('importImageFolder: good input', () => {
  it('stores grayscale PNG pixels bit for bit, in CSV order, with labels, one-hots and the family', async () => {
    const csv = await writeFaces(6);
    const { dataset, jobId } = await importImageFolder(db, options(csv));
    expect(dataset).toMatchObject({
      name: 'faces',
      format: 'folder',
      nRows: 6,
      nClasses: 2,
      labelColumn: 'gender',
      image: { width: 4, height: 4, channels: 1 },
      features: null,
      shuffleSeed: null,
      sensitiveColumns: ['M', 'F'],
      families: [{ name: 'sex', columns: ['M', 'F'] }],
    });
    expect(dataset.source).toMatchObject({ csv, fileColumn: 'file', labelColumn: 'gender' });
    const data = loadDatasetForTraining(db, dataset.id);
    expect(Array.from(data.labels)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(Array.from(data.sensitive)).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
    const expected = new Uint8Array(6 * 16);
    for (let i = 0; i < 6; i++) expected.set(testPixels(4, 4, 1, i), i * 16);
    expect(data.images?.pixels).toEqual(expected);
    expect(db.prepare('SELECT source_file, source_row FROM sample ORDER BY order_index LIMIT 2').all()).toEqual([
      { source_file: 'img/0.png', source_row: 2 },
      { source_file: 'img/1.png', source_row: 3 },
    ]);
    expect(listImportJobs(db)[0]).toMatchObject({ id: jobId, status: 'succeeded', datasetId: dataset.id, rowsDone: 6, error: null });
  });

  it('stores RGB PNGs as height × width × 3, exactly', async () => {
    const csv = await writeFaces(3, { channels: 3, size: 5 });
    const { dataset } = await importImageFolder(db, options(csv));
    expect(dataset.image).toEqual({ width: 5, height: 5, channels: 3 });
    const data = loadDatasetForTraining(db, dataset.id);
    expect(data.images!.pixels.subarray(75, 150)).toEqual(testPixels(5, 5, 3, 1));
  });

  it('decodes JPEG (RGB and grayscale) to the right shape and near the written values', async () => {
    const pixels = testPixels(8, 8, 3, 0).map((_, i) => 40 + (i % 3) * 60); // smooth colours survive JPEG well
    await writeJpeg(join(tempDir(), 'a.jpg'), 8, 8, 3, pixels);
    await writeJpeg(join(tempDir(), 'b.jpeg'), 8, 8, 1, new Uint8Array(64).fill(200));
    const csv = writeCsv(join(tempDir(), 'attrs.csv'), [
      ['file', 'label', 'M', 'F'],
      ['a.jpg', 0, 1, 0],
      ['b.jpeg', 1, 0, 1],
    ]);
    const { dataset } = await importImageFolder(db, options(csv, { labelColumn: 'label' }));
    expect(dataset.image).toEqual({ width: 8, height: 8, channels: 3 });
    const stored = loadDatasetForTraining(db, dataset.id).images!.pixels;
    let err = 0;
    for (let i = 0; i < 192; i++) err += Math.abs(stored[i] - pixels[i]);
    expect(err / 192).toBeLessThan(8);
    for (let i = 192; i < 384; i++) expect(Math.abs(stored[i] - 200)).toBeLessThanOrEqual(3);
  });

  it('takes the first image channels and converts the others; --rgb/--grayscale force them', async () => {
    await writePng(join(tempDir(), 'g.png'), 2, 2, 1, Uint8Array.of(0, 60, 120, 250));
    await writePng(join(tempDir(), 'c.png'), 2, 2, 3, new Uint8Array(12).fill(90));
    const csv = writeCsv(join(tempDir(), 'attrs.csv'), [
      ['file', 'label', 'M', 'F'],
      ['g.png', 0, 1, 0],
      ['c.png', 1, 0, 1],
    ]);
    const gray = await importImageFolder(db, options(csv, { labelColumn: 'label', name: 'auto' }));
    expect(gray.dataset.image?.channels).toBe(1);
    expect(loadDatasetForTraining(db, gray.dataset.id).images!.pixels).toEqual(Uint8Array.of(0, 60, 120, 250, 90, 90, 90, 90));
    const rgb = await importImageFolder(db, options(csv, { labelColumn: 'label', name: 'rgb', channels: 3 }));
    expect(rgb.dataset.image?.channels).toBe(3);
    expect(Array.from(loadDatasetForTraining(db, rgb.dataset.id).images!.pixels.subarray(0, 6))).toEqual([0, 0, 0, 60, 60, 60]);
  });

  it('resizes every image to a square size when asked', async () => {
    await writePng(join(tempDir(), 'wide.png'), 6, 4, 1, new Uint8Array(24).fill(77));
    await writePng(join(tempDir(), 'tall.png'), 3, 5, 1, new Uint8Array(15).fill(77));
    const csv = writeCsv(join(tempDir(), 'attrs.csv'), [
      ['file', 'label', 'M', 'F'],
      ['wide.png', 0, 1, 0],
      ['tall.png', 1, 0, 1],
    ]);
    const { dataset } = await importImageFolder(db, options(csv, { labelColumn: 'label', resize: 3 }));
    expect(dataset.image).toEqual({ width: 3, height: 3, channels: 1 });
    expect(loadDatasetForTraining(db, dataset.id).images!.pixels).toEqual(new Uint8Array(18).fill(77));
  });

  it('reads quoted paths (commas inside), CRLF lines and a byte-order mark', async () => {
    await writePng(join(tempDir(), 'a,b.png'), 2, 2, 1, new Uint8Array(4).fill(5));
    await writePng(join(tempDir(), 'c.png'), 2, 2, 1, new Uint8Array(4).fill(6));
    const csv = join(tempDir(), 'attrs.csv');
    writeFileSync(csv, '\ufefffile,label,M,F\r\n"a,b.png",1,1,0\r\nc.png,0,0,1\r\n');
    const { dataset } = await importImageFolder(db, options(csv, { labelColumn: 'label' }));
    expect(dataset.nRows).toBe(2);
    expect(db.prepare('SELECT source_file FROM sample ORDER BY order_index').pluck().all()).toEqual(['a,b.png', 'c.png']);
  });
});

describe('importImageFolder: bad input names the file, row and column and writes nothing', () => {
  it('a missing image file', async () => {
    const csv = await writeFaces(4, { rows: (f) => [...f.slice(0, 3), { ...f[3], file: 'img/nope.png' }] });
    const err = await inputErrorOf(importImageFolder(db, options(csv)));
    expect(err).toMatchObject({ file: csv, row: 5, column: 'file' });
    expect(err.message).toContain(`${csv} row 5, column 'file': image file 'img/nope.png' not found`);
    expectNothingWritten();
  });

  it('an undecodable image', async () => {
    const csv = await writeFaces(4);
    writeFileSync(join(tempDir(), 'img', '2.png'), 'not a png at all');
    const err = await inputErrorOf(importImageFolder(db, options(csv)));
    expect(err).toMatchObject({ file: csv, row: 4, column: 'file' });
    expect(err.detail).toMatch(/^cannot decode image 'img\/2.png': /);
    expectNothingWritten();
  });

  it('an image of another size when resize is off', async () => {
    const csv = await writeFaces(3);
    await writePng(join(tempDir(), 'img', '1.png'), 5, 4, 1, new Uint8Array(20));
    const err = await inputErrorOf(importImageFolder(db, options(csv)));
    expect(err).toMatchObject({ file: csv, row: 3, column: 'file' });
    expect(err.detail).toContain("image 'img/1.png' is 5×4, but the first image is 4×4");
    expectNothingWritten();
  });

  it('a row that is not one-hot in a declared family (names the row and the family)', async () => {
    const csv = await writeFaces(5, { rows: (f) => f.map((x, i) => (i === 4 ? { ...x, M: 1, F: 1 } : x)) });
    const err = await inputErrorOf(importImageFolder(db, options(csv)));
    expect(err).toMatchObject({ file: csv, row: 6 });
    expect(err.message).toBe(`${csv} row 6: family 'sex' is not one-hot: exactly one of M, F must be 1, got M=1, F=1`);
    expectNothingWritten();
  });

  it('an empty or non-0/1 sensitive cell', async () => {
    const empty = await writeFaces(3, { rows: (f) => f.map((x, i) => (i === 1 ? { ...x, F: '' } : x)) });
    expect(await inputErrorOf(importImageFolder(db, options(empty)))).toMatchObject({
      row: 3,
      column: 'F',
      detail: 'expected 0 or 1, got an empty cell',
    });
    const nan = await writeFaces(3, { rows: (f) => f.map((x, i) => (i === 2 ? { ...x, M: 'NaN' } : x)) });
    expect(await inputErrorOf(importImageFolder(db, options(nan)))).toMatchObject({ row: 4, column: 'M', detail: "expected 0 or 1, got 'NaN'" });
    expectNothingWritten();
  });

  it('a label that is not a class id, or not in the named classes', async () => {
    const csv = await writeFaces(3, { rows: (f) => f.map((x, i) => (i === 2 ? { ...x, gender: 'x' } : x)) });
    expect(await inputErrorOf(importImageFolder(db, options(csv)))).toMatchObject({ file: csv, row: 4, column: 'gender' });
    const two = await writeFaces(3, { rows: (f) => f.map((x, i) => (i === 1 ? { ...x, gender: 2 } : x)) });
    const err = await inputErrorOf(importImageFolder(db, options(two, { labels: { classes: ['0', '1'] } })));
    expect(err).toMatchObject({ row: 3, column: 'gender', detail: "label '2' is not one of the classes 0, 1" });
    const empty = await writeFaces(3, { rows: (f) => f.map((x, i) => (i === 0 ? { ...x, gender: '' } : x)) });
    expect(await inputErrorOf(importImageFolder(db, options(empty)))).toMatchObject({ row: 2, column: 'gender', detail: 'empty label' });
    expectNothingWritten();
  });

  it('unknown column names in the mapping (header line, the column named)', async () => {
    const csv = await writeFaces(2);
    expect(await inputErrorOf(importImageFolder(db, options(csv, { sensitive: ['M', 'Q'], families: [] })))).toMatchObject({
      file: csv,
      row: 1,
      column: 'Q',
      detail: "no sensitive column 'Q' in the header (columns: file, gender, M, F)",
    });
    expect(await inputErrorOf(importImageFolder(db, options(csv, { labelColumn: 'age' })))).toMatchObject({ row: 1, column: 'age' });
    expect(await inputErrorOf(importImageFolder(db, options(csv, { fileColumn: 'path' })))).toMatchObject({ row: 1, column: 'path' });
    const family = await inputErrorOf(importImageFolder(db, options(csv, { families: [{ name: 'sex', columns: ['M', 'X'] }] })));
    expect(family.message).toContain("family 'sex' lists 'X', which is not a sensitive column");
    expectNothingWritten();
  });

  it('malformed CSV: a row with the wrong number of cells, an unclosed quote', async () => {
    const csv = await writeFaces(3);
    writeFileSync(csv, 'file,gender,M,F\nimg/0.png,0,1,0\nimg/1.png,1,0\nimg/2.png,0,1,0\n');
    expect(await inputErrorOf(importImageFolder(db, options(csv)))).toMatchObject({
      file: csv,
      row: 3,
      detail: 'expected 4 cells as in the header, got 3',
    });
    writeFileSync(csv, 'file,gender,M,F\nimg/0.png,0,1,0\n"img/1.png,1,0,1\n');
    const err = await inputErrorOf(importImageFolder(db, options(csv)));
    expect(err.file).toBe(csv);
    expect(err.detail).toBe('a quoted cell is not closed before the end of the file');
    expectNothingWritten();
  });

  it('a missing CSV, an empty CSV, a header without rows', async () => {
    const missing = join(tempDir(), 'nope.csv');
    expect((await inputErrorOf(importImageFolder(db, options(missing)))).message).toBe(`${missing}: file not found`);
    const csv = join(tempDir(), 'attrs.csv');
    writeFileSync(csv, '');
    expect((await inputErrorOf(importImageFolder(db, options(csv)))).detail).toBe('the file is empty, expected a header line');
    writeFileSync(csv, 'file,gender,M,F\n');
    expect((await inputErrorOf(importImageFolder(db, options(csv)))).message).toBe(`${csv}: a header but no data rows`);
    expect(listDatasets(db)).toEqual([]);
  });

  it('reports the first bad row in file order even when a later row fails first', async () => {
    // Row 3's image is garbage (found by the decoder, asynchronously); row 5 has a CSV error found while
    // row 3 is still decoding. The user must see row 3.
    const csv = await writeFaces(5, { rows: (f) => f.map((x, i) => (i === 3 ? { ...x, M: 7 } : x)) });
    writeFileSync(join(tempDir(), 'img', '1.png'), 'garbage');
    expect(await inputErrorOf(importImageFolder(db, options(csv)))).toMatchObject({ row: 3, column: 'file' });
  });
});
