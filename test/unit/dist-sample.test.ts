/**
 * Invariants under test (the sample workspace, README Install → First run):
 * - `fairbound sample --db F` creates a workspace holding exactly the shipped 2,000 Fashion-MNIST images
 *   (28×28, stored pixels equal to the IDX file's bytes), the upper-body label (classes 0, 2, 4, 6 → 1)
 *   and dark/light brightness groups split at the median, plus the saved accuracy-ratio constraint
 *   checked against those groups;
 * - an existing file is refused (exit 2, naming it) and left as it was; `--db` is required;
 * - the shipped files are the first 2,000 items of Debian's Fashion-MNIST training split, as
 *   scripts/build-sample.mjs says (where the package is installed).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findSampleDir, readSampleManifest } from '../../src-main/services/sample';
import { listConstraints } from '../../src-main/store/constraints';
import { openWorkspace } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { datasetSummary } from '../../src-main/store/summary';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { missing } from '../support/prerequisites';

const tempDir = useTempDir('fairbound-sample-');
const SAMPLE = fileURLToPath(new URL('../../resources/sample', import.meta.url));
const manifest = readSampleManifest(SAMPLE);
const images = gunzipSync(readFileSync(join(SAMPLE, manifest.images)));
const labels = gunzipSync(readFileSync(join(SAMPLE, manifest.labels)));

describe('fairbound sample', () => {
  it('creates the sample workspace: 2,000 images, upper-body labels, dark/light groups, the saved constraint', async () => {
    const dbPath = join(tempDir(), 'sample.db');
    const result = await cli('sample', '--db', dbPath, '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ dbPath, datasetId: 1, datasetName: 'fashion-mnist-sample', constraintId: 1 });

    const db = openWorkspace(dbPath);
    try {
      const summary = datasetSummary(db, 1);
      expect(summary.dataset).toMatchObject({ nRows: 2000, nClasses: 2, sensitiveColumns: ['dark', 'light'], image: { width: 28, height: 28, channels: 1 } });
      const upperBody = [...labels.subarray(8)].filter((c) => [0, 2, 4, 6].includes(c)).length;
      expect(summary.labelCounts).toEqual([2000 - upperBody, upperBody]);
      const [dark, light] = summary.groups;
      expect(dark!.count + light!.count).toBe(2000);
      expect(Math.abs(dark!.count - light!.count)).toBeLessThan(20);
      const data = loadDatasetForTraining(db, 1);
      expect(Buffer.from(data.images!.pixels.subarray(0, 2000 * 784)).equals(images.subarray(16))).toBe(true);
      expect(data.labels[1999]).toBe([0, 2, 4, 6].includes(labels[8 + 1999]!) ? 1 : 0);
      expect(listConstraints(db)).toMatchObject([{ id: 1, name: manifest.constraint.name, source: manifest.constraint.source, delta: 0.05, columns: ['dark', 'light'] }]);
    } finally {
      db.close();
    }
  });

  it('refuses an existing file and leaves it untouched, and needs --db', async () => {
    const dbPath = join(tempDir(), 'mine.db');
    writeFileSync(dbPath, 'my notes');
    const refused = await cli('sample', '--db', dbPath);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(dbPath);
    expect(readFileSync(dbPath, 'utf8')).toBe('my notes');
    const saved = process.env.FAIRBOUND_DB;
    delete process.env.FAIRBOUND_DB;
    try {
      expect((await cli('sample')).code).toBe(2);
    } finally {
      if (saved !== undefined) process.env.FAIRBOUND_DB = saved;
    }
  });

  it('is found from the source tree and ships a few MB at most with its licence', () => {
    expect(findSampleDir()).toBe(SAMPLE);
    expect(images.length).toBe(16 + 2000 * 784);
    expect(labels.length).toBe(8 + 2000);
    expect(readFileSync(join(SAMPLE, manifest.images)).length).toBeLessThan(2_000_000);
    expect(readFileSync(join(SAMPLE, 'LICENSE-fashion-mnist.txt'), 'utf8')).toContain('Copyright © 2017 Zalando SE');
  });
});

const DEBIAN = '/usr/share/datasets/fashion-mnist';
describe.skipIf(missing('Debian dataset-fashion-mnist (apt-get install dataset-fashion-mnist)', existsSync(join(DEBIAN, 'train-images-idx3-ubyte.gz'))))('the shipped sample files', () => {
  it("are the first 2,000 items of Fashion-MNIST's training split", () => {
    const trainImages = gunzipSync(readFileSync(join(DEBIAN, 'train-images-idx3-ubyte.gz')));
    const trainLabels = gunzipSync(readFileSync(join(DEBIAN, 'train-labels-idx1-ubyte.gz')));
    expect(images.subarray(16).equals(trainImages.subarray(16, 16 + 2000 * 784))).toBe(true);
    expect(labels.subarray(8).equals(trainLabels.subarray(8, 8 + 2000))).toBe(true);
    expect(images.readUInt32BE(4)).toBe(2000);
  });
});
