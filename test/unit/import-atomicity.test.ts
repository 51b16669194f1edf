/**
 * Invariant under test: an import is all or nothing. A failure at the last row or a cancel leaves no
 * dataset, sample, attribute or family row, only the import job marked failed/cancelled with its
 * reason; while an import runs, other connections see none of it; the stored row order is the seeded
 * permutation recorded with the dataset.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportCancelledError, importIdx, importPixelCsv, type PixelCsvOptions } from '../../src-main/data/importers';
import { InputError } from '../../src-main/errors/input-error';
import { seededPermutation } from '../../src-main/data/shuffle';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { listDatasets, loadDatasetForTraining } from '../../src-main/store/datasets';
import { listImportJobs } from '../../src-main/store/import-jobs';
import { idxImagesBytes, idxLabelsBytes, inputErrorOf, tableCounts, useTempDir, writeCsv, writeFile } from '../support/images';

const tempDir = useTempDir();
let db: WritableDB;
let dbPath: string;
beforeEach(() => {
  dbPath = join(tempDir(), 'ws.db');
  db = openWorkspace(dbPath);
});
afterEach(() => db.close());

const NOTHING = { dataset: 0, sample: 0, attribute: 0, attribute_family: 0 };

/** `n` rows of 2×2 pixel strings, label y = i % 2, one-hot A/B; `bad` replaces row i's pixels. */
function pixelCsv(n: number, bad?: { row: number; pixels: string }): string {
  const rows: (string | number)[][] = [['y', 'A', 'B', 'pixels']];
  for (let i = 0; i < n; i++) rows.push([i % 2, i % 3 === 0 ? 1 : 0, i % 3 === 0 ? 0 : 1, bad?.row === i ? bad.pixels : `${i % 256} 1 2 3`]);
  return writeCsv(join(tempDir(), 'p.csv'), rows);
}

function options(csv: string, extra: Partial<PixelCsvOptions> = {}): PixelCsvOptions {
  return { name: 'd', csv, labelColumn: 'y', sensitive: ['A', 'B'], families: [{ name: 'ab', columns: ['A', 'B'] }], ...extra };
}

describe('nothing half-written', () => {
  it('an error at the last row leaves zero rows and a failed job with the reason and location', async () => {
    const csv = pixelCsv(300, { row: 299, pixels: '1 2 3 999' });
    const err = await inputErrorOf(importPixelCsv(db, options(csv)));
    expect(err.row).toBe(301);
    expect(tableCounts(db)).toEqual(NOTHING);
    const [job] = listImportJobs(db);
    expect(job).toMatchObject({
      status: 'failed',
      datasetName: 'd',
      format: 'pixels',
      rowsDone: 299,
      datasetId: null,
      error: err.message,
      errorLocation: { file: csv, row: 301, column: 'pixels', detail: "pixel 4 of 4: '999' is outside 0–255" },
    });
    expect(job.finishedAt).not.toBeNull();
  });

  it('a cancel (abort between rows) leaves zero rows and a cancelled job', async () => {
    const controller = new AbortController();
    let seen = 0;
    const promise = importPixelCsv(db, options(pixelCsv(400)), {
      signal: controller.signal,
      onProgress: (p) => {
        seen = p.rowsDone;
        if (p.rowsDone >= 128) controller.abort();
      },
    });
    await expect(promise).rejects.toThrow(ImportCancelledError);
    expect(seen).toBe(128);
    expect(tableCounts(db)).toEqual(NOTHING);
    expect(listImportJobs(db)[0]).toMatchObject({ status: 'cancelled', error: 'aborted', rowsDone: 128, errorLocation: null });
  });

  it('a cancel with a reason records it; an already aborted signal cancels before any row', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user closed the window'));
    const err = await importPixelCsv(db, options(pixelCsv(5)), { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportCancelledError);
    expect((err as ImportCancelledError).message).toBe('import cancelled: user closed the window');
    expect(listImportJobs(db)[0]).toMatchObject({ status: 'cancelled', error: 'user closed the window', rowsDone: 0 });
    expect(tableCounts(db)).toEqual(NOTHING);
  });

  it('an abort from a timer lands during a long synchronous stretch (the importer yields)', async () => {
    const n = 30000;
    const imgs = Array.from({ length: n }, (_, i) => new Uint8Array(4).fill(i % 256));
    const images = writeFile(join(tempDir(), 'i-idx3'), idxImagesBytes(imgs, 2, 2));
    const labels = writeFile(join(tempDir(), 'l-idx1'), idxLabelsBytes(Array.from({ length: n }, (_, i) => i % 2)));
    const signal = AbortSignal.timeout(20);
    await expect(importIdx(db, { name: 'big', pairs: [{ images, labels }], attributes: { kind: 'brightness' } }, { signal })).rejects.toThrow(
      ImportCancelledError,
    );
    expect(tableCounts(db)).toEqual(NOTHING);
    const [job] = listImportJobs(db);
    expect(job.status).toBe('cancelled');
    expect(job.rowsDone).toBeLessThan(n);
  });

  it('other connections see nothing of an import in progress', async () => {
    const other = new Database(dbPath, { readonly: true });
    const seenByOther: number[] = [];
    try {
      await importPixelCsv(db, options(pixelCsv(200)), {
        onProgress: () => {
          seenByOther.push(other.prepare('SELECT count(*) FROM sample').pluck().get() as number);
        },
      });
      expect(seenByOther.length).toBeGreaterThan(0);
      expect(new Set(seenByOther)).toEqual(new Set([0]));
      expect(other.prepare('SELECT count(*) FROM sample').pluck().get()).toBe(200);
    } finally {
      other.close();
    }
  });

  it('a taken name fails the import (job recorded) and leaves the existing dataset alone', async () => {
    await importPixelCsv(db, options(pixelCsv(3)));
    const err = await inputErrorOf(importPixelCsv(db, options(pixelCsv(4))));
    expect(err.message).toBe("a dataset named 'd' already exists");
    expect(listDatasets(db).map((d) => [d.name, d.nRows])).toEqual([['d', 3]]);
    expect(listImportJobs(db).map((j) => j.status)).toEqual(['failed', 'succeeded']);
  });

  it('refuses a second import on a connection that is inside the first', async () => {
    const first = importPixelCsv(db, options(pixelCsv(50)));
    await expect(importPixelCsv(db, options(pixelCsv(5), { name: 'e' }))).rejects.toThrow(/inside a transaction/);
    await first;
    expect(listDatasets(db).map((d) => d.name)).toEqual(['d']);
  });

  it('refuses a bad seed or name before reading rows', async () => {
    const badSeed = await inputErrorOf(importPixelCsv(db, options(pixelCsv(3), { shuffleSeed: -1 })));
    const badName = await inputErrorOf(importPixelCsv(db, options(pixelCsv(3), { name: ' x' })));
    expect(badSeed.message).toMatch(/shuffle seed must be an integer/);
    expect(badName.message).toMatch(/without leading or trailing spaces/);
    // Input errors (the CLI's exit 2) about the options, raised before any row was read: no row or column.
    for (const err of [badSeed, badName]) {
      expect(err).toBeInstanceOf(InputError);
      expect(err.name).toBe('InputError');
      expect(err.row).toBeUndefined();
      expect(err.column).toBeUndefined();
    }
    expect(tableCounts(db)).toEqual(NOTHING);
    expect(listImportJobs(db).map((j) => j.status)).toEqual(['failed', 'failed']);
  });
});

describe('stored row order', () => {
  it('file order without a seed; the seeded permutation with one, reproducible and recorded', async () => {
    const csv = pixelCsv(50);
    const plain = await importPixelCsv(db, options(csv, { name: 'plain' }));
    expect(Array.from(loadDatasetForTraining(db, plain.dataset.id).sourceIndex)).toEqual(Array.from({ length: 50 }, (_, i) => i));

    const a = await importPixelCsv(db, options(csv, { name: 'a', shuffleSeed: 7 }));
    const b = await importPixelCsv(db, options(csv, { name: 'b', shuffleSeed: 7 }));
    const c = await importPixelCsv(db, options(csv, { name: 'c', shuffleSeed: 8 }));
    expect(a.dataset.shuffleSeed).toBe(7);
    const la = loadDatasetForTraining(db, a.dataset.id);
    expect(la.sourceIndex).toEqual(seededPermutation(50, 7));
    expect(loadDatasetForTraining(db, b.dataset.id).sourceIndex).toEqual(la.sourceIndex);
    expect(loadDatasetForTraining(db, c.dataset.id).sourceIndex).not.toEqual(la.sourceIndex);
    // Every per-row array follows the same permutation.
    const lp = loadDatasetForTraining(db, plain.dataset.id);
    for (let i = 0; i < 50; i++) {
      const src = la.sourceIndex[i];
      expect(la.labels[i]).toBe(lp.labels[src]);
      expect(Array.from(la.sensitive.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(lp.sensitive.subarray(2 * src, 2 * src + 2)));
      expect(la.images!.pixels[4 * i]).toBe(lp.images!.pixels[4 * src]);
    }
  });
});
