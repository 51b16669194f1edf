/**
 * Invariant under test: the image-folder importer checks each image path before reading it (a
 * regular file within the size limit), refuses an image over the pixel limit from its header (naming
 * the CSV row and the image), decodes many rows through its memory budget without losing their order,
 * and leaves nothing behind on any refusal.
 */
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_IMAGE_FILE_BYTES } from '../../src-main/data/file-limits';
import { importImageFolder, type ImageFolderOptions } from '../../src-main/data/importers';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { inputErrorOf, tableCounts, testPixels, useTempDir, writeCsv, writePng } from '../support/images';

const tempDir = useTempDir();
let db: WritableDB;
beforeEach(() => {
  db = openWorkspace(join(tempDir(), 'ws.db'));
});
afterEach(() => db.close());

function options(csv: string, extra: Partial<ImageFolderOptions> = {}): ImageFolderOptions {
  return { name: 'imgs', csv, labelColumn: 'label', sensitive: ['M', 'F'], ...extra };
}

async function writeImages(n: number, size: number): Promise<string> {
  for (let i = 0; i < n; i++) await writePng(join(tempDir(), `${i}.png`), size, size, 1, testPixels(size, size, 1, i));
  return writeCsv(join(tempDir(), 'attrs.csv'), [['file', 'label', 'M', 'F'], ...Array.from({ length: n }, (_, i) => [`${i}.png`, i % 2, i % 2, 1 - (i % 2)])]);
}

describe('importImageFolder limits', () => {
  it('an image file over the size limit is refused before it is read', async () => {
    const csv = await writeImages(3, 4);
    truncateSync(join(tempDir(), '2.png'), MAX_IMAGE_FILE_BYTES + 1); // sparse: instant
    const err = await inputErrorOf(importImageFolder(db, options(csv)));
    expect(err).toMatchObject({ file: csv, row: 4, column: 'file' });
    expect(err.detail).toBe(`image file '2.png' is ${MAX_IMAGE_FILE_BYTES + 1} bytes, more than the ${MAX_IMAGE_FILE_BYTES} an image file may have`);
    expect(tableCounts(db)).toEqual({ dataset: 0, sample: 0, attribute: 0, attribute_family: 0 });
  });

  it('another size than the first image is refused from the header, before decoding', async () => {
    const csv = await writeImages(3, 4);
    await writePng(join(tempDir(), '1.png'), 6, 5, 1, new Uint8Array(30));
    const err = await inputErrorOf(importImageFolder(db, options(csv)));
    expect(err).toMatchObject({ file: csv, row: 3, column: 'file' });
    expect(err.detail).toContain("image '1.png' is 6×5, but the first image is 4×4");
  });

  it('many rows decoded ahead through the budget keep CSV order', async () => {
    const n = 40;
    const csv = await writeImages(n, 8);
    const { dataset } = await importImageFolder(db, options(csv));
    const data = loadDatasetForTraining(db, dataset.id);
    expect(dataset.nRows).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(Array.from(data.images!.pixels.subarray(i * 64, (i + 1) * 64))).toEqual(Array.from(testPixels(8, 8, 1, i)));
    }
  });
});
