/**
 * Invariant under test: loadDatasetLabels returns exactly the labels, sensitive one-hots and source order
 * of loadDatasetForTraining, without reading any pixel blob: it still works on a copy of the workspace
 * whose pixels are all NULL (where the full loader fails), and none of its statements selects them.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace } from '../../src-main/store/database';
import { loadDatasetForTraining, loadDatasetLabels } from '../../src-main/store/datasets';

let dir: string, dbPath: string, datasetId: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-dataset-labels-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  try {
    datasetId = insertSyntheticImageDataset(db, { name: 'bands', n: 90, size: 4, numClasses: 3, seed: 11 }).id;
  } finally {
    db.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadDatasetLabels', () => {
  it('gives the full loader’s labels, groups and source order, without images', () => {
    const db = openWorkspace(dbPath);
    try {
      const full = loadDatasetForTraining(db, datasetId);
      const labels = loadDatasetLabels(db, datasetId);
      expect(full.images?.pixels.length).toBe(90 * 16);
      expect(labels).toEqual({
        datasetId: full.datasetId,
        name: full.name,
        nRows: full.nRows,
        labels: full.labels,
        nClasses: full.nClasses,
        sensitiveColumns: full.sensitiveColumns,
        sensitive: full.sensitive,
        sourceIndex: full.sourceIndex,
      });
      expect(new Set(labels.labels).size).toBe(3);
      expect(labels.sensitive.some((v) => v === 1)).toBe(true);
    } finally {
      db.close();
    }
  });

  it('does not read the pixel blobs: works where they are NULL, and no statement selects them', () => {
    const reference = (() => {
      const db = openWorkspace(dbPath);
      try {
        return loadDatasetLabels(db, datasetId);
      } finally {
        db.close();
      }
    })();
    const copy = join(dir, 'no-pixels.db');
    copyFileSync(dbPath, copy);
    const db = openWorkspace(copy);
    try {
      db.prepare('UPDATE sample SET pixels = NULL WHERE dataset_id = ?').run(datasetId);
      // The copy really has no pixels: the full loader refuses it.
      expect(() => loadDatasetForTraining(db, datasetId)).toThrow(/pixels blob has no bytes/);
      const prepare = vi.spyOn(db, 'prepare');
      // A fresh connection's statement cache is per query text, so the labels query is prepared (and seen) here.
      const labels = loadDatasetLabels(db, datasetId);
      const texts = prepare.mock.calls.map((c) => String(c[0]));
      prepare.mockRestore();
      expect(labels).toEqual(reference);
      expect(texts.some((t) => /FROM sample/.test(t))).toBe(true);
      for (const t of texts) expect(t).not.toMatch(/\bpixels\b|\bfeatures\b/);
    } finally {
      db.close();
    }
  });
});
