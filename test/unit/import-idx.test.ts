/**
 * Invariant under test: IDX image/label pairs (plain or gzipped) are appended in order into one
 * dataset; brightness groups split at the median of the stored images' mean pixel; an attributes CSV
 * supplies one row per image; malformed files (magic, dimensions, truncation, trailing bytes, count
 * mismatches) are InputErrors naming the file, and nothing is written.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importIdx, type IdxOptions } from '../../src-main/data/importers';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { listImportJobs } from '../../src-main/store/import-jobs';
import { idxImagesBytes, idxLabelsBytes, inputErrorOf, tableCounts, useTempDir, writeCsv, writeFile } from '../support/images';

const tempDir = useTempDir();
let db: WritableDB;
beforeEach(() => {
  db = openWorkspace(join(tempDir(), 'ws.db'));
});
afterEach(() => db.close());

/** `n` 3×2 images; image i has every pixel equal to `value(i)`. */
function images(n: number, value: (i: number) => number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new Uint8Array(6).fill(value(i)));
}

function writePair(stem: string, imgs: Uint8Array[], labels: number[], gzip: boolean): { images: string; labels: string } {
  const ext = gzip ? '.gz' : '';
  return {
    images: writeFile(join(tempDir(), `${stem}-images-idx3-ubyte${ext}`), idxImagesBytes(imgs, 2, 3), { gzip }),
    labels: writeFile(join(tempDir(), `${stem}-labels-idx1-ubyte${ext}`), idxLabelsBytes(labels), { gzip }),
  };
}

const brightness: IdxOptions['attributes'] = { kind: 'brightness' };

function expectNothingWritten(): void {
  expect(tableCounts(db)).toEqual({ dataset: 0, sample: 0, attribute: 0, attribute_family: 0 });
  expect(listImportJobs(db)[0].status).toBe('failed');
}

describe('importIdx: good input', () => {
  it('appends a gzipped and a plain pair in order, keeping multiclass labels', async () => {
    const a = writePair('train', images(5, (i) => i * 10), [0, 1, 2, 3, 4], true);
    const b = writePair('t10k', images(3, (i) => 100 + i), [9, 8, 7], false);
    const { dataset } = await importIdx(db, { name: 'mnist', pairs: [a, b], attributes: brightness });
    expect(dataset).toMatchObject({ nRows: 8, nClasses: 10, image: { width: 3, height: 2, channels: 1 }, labelColumn: 'label' });
    const data = loadDatasetForTraining(db, dataset.id);
    expect(Array.from(data.labels)).toEqual([0, 1, 2, 3, 4, 9, 8, 7]);
    expect(Array.from(data.images!.pixels.filter((_, i) => i % 6 === 0))).toEqual([0, 10, 20, 30, 40, 100, 101, 102]);
    expect(db.prepare('SELECT source_file, source_row FROM sample ORDER BY order_index').all().slice(4, 6)).toEqual([
      { source_file: 'train-images-idx3-ubyte.gz', source_row: 5 },
      { source_file: 't10k-images-idx3-ubyte', source_row: 1 },
    ]);
  });

  it('brightness: dark = mean below the median of the means, light otherwise (ties at the median are light)', async () => {
    // Means 0, 10, 20, 30, 40, 50: median (20 + 30) / 2 = 25 → dark for the first three.
    const odd = writePair('odd', images(6, (i) => [30, 0, 50, 10, 40, 20][i]), [0, 0, 0, 0, 0, 1], false);
    const { dataset } = await importIdx(db, { name: 'b', pairs: [odd], attributes: brightness });
    expect(dataset.sensitiveColumns).toEqual(['dark', 'light']);
    expect(dataset.families).toEqual([{ name: 'brightness', columns: ['dark', 'light'] }]);
    expect(dataset.attributes[0].derivedFrom).toBe('brightness: mean pixel value < 25 (the median)');
    const s = loadDatasetForTraining(db, dataset.id).sensitive;
    const dark = Array.from({ length: 6 }, (_, i) => s[2 * i]);
    expect(dark).toEqual([0, 1, 0, 1, 0, 1]);
    for (let i = 0; i < 6; i++) expect(s[2 * i] + s[2 * i + 1]).toBe(1);
    // Odd count: the median is the middle value itself, which is light.
    const three = writePair('three', images(3, (i) => [5, 7, 9][i]), [0, 1, 0], false);
    const r = await importIdx(db, { name: 'c', pairs: [three], attributes: brightness });
    expect(Array.from(loadDatasetForTraining(db, r.dataset.id).sensitive)).toEqual([1, 0, 0, 1, 0, 1]);
  });

  it('maps labels to binary by a class set (Fashion-MNIST style 0,2,4,6 → 1)', async () => {
    const pair = writePair('f', images(8, (i) => i), [0, 1, 2, 3, 4, 5, 6, 7], true);
    const { dataset } = await importIdx(db, { name: 'f', pairs: [pair], attributes: brightness, labels: { positiveClasses: ['0', '2', '4', '6'] } });
    expect(dataset).toMatchObject({ nClasses: 2, labelMapping: { positiveClasses: ['0', '2', '4', '6'] } });
    expect(Array.from(loadDatasetForTraining(db, dataset.id).labels)).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('takes sensitive attributes from a CSV with one row per image, across pairs', async () => {
    const a = writePair('a', images(2, () => 1), [0, 1], false);
    const b = writePair('b', images(1, () => 2), [1], true);
    const csv = writeCsv(join(tempDir(), 'attrs.csv'), [['id', 'group'], [0, 'x'], [1, 'y'], [2, 'x']]);
    const { dataset } = await importIdx(db, {
      name: 'withcsv',
      pairs: [a, b],
      attributes: { kind: 'csv', csv, derive: [{ column: 'group', values: [{ value: 'x', name: 'X' }, { value: 'y', name: 'Y' }] }] },
    });
    expect(Array.from(loadDatasetForTraining(db, dataset.id).sensitive)).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it('reads more images than one chunk', async () => {
    const n = 700;
    const pair = writePair('big', images(n, (i) => i % 256), Array.from({ length: n }, (_, i) => i % 10), true);
    const { dataset } = await importIdx(db, { name: 'big', pairs: [pair], attributes: brightness });
    const data = loadDatasetForTraining(db, dataset.id);
    expect(data.nRows).toBe(n);
    expect(data.images!.pixels[699 * 6]).toBe(699 % 256);
    expect(data.labels[699]).toBe(9);
  });
});

describe('importIdx: bad files', () => {
  it('a wrong magic number, a labels file given as images, an unsupported data type', async () => {
    const good = writePair('g', images(2, () => 0), [0, 1], false);
    const err = await inputErrorOf(importIdx(db, { name: 'x', pairs: [{ images: good.labels, labels: good.images }], attributes: brightness }));
    expect(err.message).toBe(`${good.labels}: expected an IDX images file with 3 dimensions, got 1 (is this a labels file?)`);
    const text = writeFile(join(tempDir(), 'readme.txt'), 'hello world, not idx');
    expect((await inputErrorOf(importIdx(db, { name: 'x', pairs: [{ images: text, labels: good.labels }], attributes: brightness }))).message).toBe(
      `${text}: not an IDX file (magic number 0x68656c6c; expected magic 0x00000803 for images)`,
    );
    const floats = idxImagesBytes(images(1, () => 0), 2, 3);
    floats[2] = 0x0d;
    const f = writeFile(join(tempDir(), 'float-idx3'), floats, { gzip: true });
    expect((await inputErrorOf(importIdx(db, { name: 'x', pairs: [{ images: f, labels: good.labels }], attributes: brightness }))).detail).toBe(
      'IDX data type 0x0d (float) is not supported; expected 0x08 (unsigned byte)',
    );
    expectNothingWritten();
  });

  it('an image/label count mismatch names the labels file and both counts', async () => {
    const pair = writePair('m', images(4, () => 0), [0, 1, 0], false);
    expect((await inputErrorOf(importIdx(db, { name: 'x', pairs: [pair], attributes: brightness }))).message).toBe(
      `${pair.labels}: holds 3 labels but its images file m-images-idx3-ubyte holds 4 images`,
    );
    expectNothingWritten();
  });

  it('a file shorter than its header says, or with bytes after the last item', async () => {
    const bytes = idxImagesBytes(images(4, () => 0), 2, 3);
    const short = writeFile(join(tempDir(), 'short-idx3.gz'), bytes.subarray(0, bytes.length - 7), { gzip: true });
    const labels = writeFile(join(tempDir(), 'l-idx1'), idxLabelsBytes([0, 1, 0, 1]));
    expect((await inputErrorOf(importIdx(db, { name: 'x', pairs: [{ images: short, labels }], attributes: brightness }))).message).toBe(
      `${short}: the header announces 4 images, the file holds 33 bytes uncompressed (4 images of 2×3 take 40 bytes with the 16-byte header)`,
    );
    const long = writeFile(join(tempDir(), 'long-idx3'), Buffer.concat([bytes, Buffer.from([1, 2, 3])]));
    expect((await inputErrorOf(importIdx(db, { name: 'x', pairs: [{ images: long, labels }], attributes: brightness }))).message).toBe(
      `${long}: the header announces 4 images, the file holds 43 bytes (4 images of 2×3 take 40 bytes with the 16-byte header)`,
    );
    expectNothingWritten();
  });

  it('pairs with different image sizes', async () => {
    const a = writePair('a', images(1, () => 0), [0], false);
    const other = writeFile(join(tempDir(), 'c-idx3'), idxImagesBytes([new Uint8Array(4)], 2, 2));
    const err = await inputErrorOf(importIdx(db, { name: 'x', pairs: [a, { images: other, labels: a.labels }], attributes: brightness }));
    expect(err).toMatchObject({ file: other, detail: 'images are 2×2, but those of a-images-idx3-ubyte are 2×3' });
  });

  it('a gzip file that is damaged', async () => {
    const pair = writePair('z', images(50, (i) => i), Array.from({ length: 50 }, () => 0), true);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const bytes = readFileSync(pair.images);
    bytes.fill(0x55, 20, 40);
    writeFileSync(pair.images, bytes);
    const err = await inputErrorOf(importIdx(db, { name: 'x', pairs: [pair], attributes: brightness }));
    expect(err.file).toBe(pair.images);
    expect(err.detail).toMatch(/gzip|IDX|truncated/);
  });

  it('an attributes CSV with too few or too many rows, a label outside the classes', async () => {
    const pair = writePair('p', images(3, () => 0), [0, 1, 5], false);
    const few = writeCsv(join(tempDir(), 'few.csv'), [['A', 'B'], [1, 0], [0, 1]]);
    const attributes = (csv: string): IdxOptions['attributes'] => ({ kind: 'csv', csv, sensitive: ['A', 'B'], families: [{ name: 'ab', columns: ['A', 'B'] }] });
    expect((await inputErrorOf(importIdx(db, { name: 'x', pairs: [pair], attributes: attributes(few) }))).message).toBe(
      `${few}: has 2 attribute rows but the IDX files hold 3 images (one row per image is needed)`,
    );
    const many = writeCsv(join(tempDir(), 'many.csv'), [['A', 'B'], [1, 0], [0, 1], [1, 0], [0, 1]]);
    expect(await inputErrorOf(importIdx(db, { name: 'x', pairs: [pair], attributes: attributes(many) }))).toMatchObject({ file: many, row: 5 });
    const ok = writeCsv(join(tempDir(), 'ok.csv'), [['A', 'B'], [1, 0], [0, 1], [1, 0]]);
    const err = await inputErrorOf(importIdx(db, { name: 'x', pairs: [pair], attributes: attributes(ok), labels: { classes: ['0', '1'] } }));
    expect(err).toMatchObject({ file: pair.labels, row: 3, detail: "label '5' is not one of the classes 0, 1" });
    expectNothingWritten();
  });

  it('a FIFO given as an IDX file is refused at once, not read (it would block)', async () => {
    const { spawnSync } = await import('node:child_process');
    const pipe = join(tempDir(), 'pipe-idx3');
    expect(spawnSync('mkfifo', [pipe]).status).toBe(0);
    const good = writePair('f', images(1, () => 0), [0], false);
    const err = await inputErrorOf(importIdx(db, { name: 'x', pairs: [{ images: pipe, labels: good.labels }], attributes: brightness }));
    expect(err.message).toMatch(new RegExp(`^${pipe}: not a regular file`));
    expectNothingWritten();
  });

  it('image dimensions over the limit are refused from the header', async () => {
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x803, 0);
    header.writeUInt32BE(1, 4);
    header.writeUInt32BE(5000, 8);
    header.writeUInt32BE(3, 12);
    const big = writeFile(join(tempDir(), 'big-idx3'), header);
    const labels = writeFile(join(tempDir(), 'big-idx1'), idxLabelsBytes([0]));
    expect((await inputErrorOf(importIdx(db, { name: 'x', pairs: [{ images: big, labels }], attributes: brightness }))).message).toBe(
      `${big}: image dimensions 5000×3 in the IDX header are too large (at most 4096×4096)`,
    );
  });

  it('a missing file', async () => {
    const missing = join(tempDir(), 'nope-idx3');
    expect((await inputErrorOf(importIdx(db, { name: 'x', pairs: [{ images: missing, labels: missing }], attributes: brightness }))).message).toBe(
      `${missing}: file not found`,
    );
  });
});
