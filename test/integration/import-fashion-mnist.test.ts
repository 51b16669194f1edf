/**
 * Invariant under test: the real Fashion-MNIST IDX files (Debian's dataset-fashion-mnist, installed
 * with `apt-get install -y dataset-fashion-mnist`) import whole through the CLI: 60,000 + 10,000
 * images appended in order, labels mapped to binary {0,2,4,6} → 1, brightness groups at the median,
 * and the stored pixels equal the file's bytes. Skipped when the package is not installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { openWorkspace } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { datasetSummary } from '../../src-main/store/summary';
import { useTempDir } from '../support/images';
import { missing } from '../support/prerequisites';

const DIR = '/usr/share/datasets/fashion-mnist';
const files = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map((f) => join(DIR, f));
const tempDir = useTempDir();

describe.skipIf(missing('Debian dataset-fashion-mnist (apt-get install dataset-fashion-mnist)', files.every((f) => existsSync(f))))('Fashion-MNIST (dataset-fashion-mnist)', () => {
  it('imports train + t10k with brightness groups and binary labels', async () => {
    const dbPath = join(tempDir(), 'fm.db');
    const stderr: string[] = [];
    const code = await runCli(
      ['import', 'idx', '--images', files[0], '--labels', files[1], '--images', files[2], '--labels', files[3], '--brightness', '--binary-classes', '0,2,4,6', '--name', 'fashion', '--db', dbPath, '--json', '--quiet'],
      { stdout: () => undefined, stderr: (t) => stderr.push(t) },
    );
    expect(stderr).toEqual([]);
    expect(code).toBe(0);

    const db = openWorkspace(dbPath);
    try {
      const s = datasetSummary(db, 1);
      expect(s.dataset).toMatchObject({ nRows: 70000, nClasses: 2, image: { width: 28, height: 28, channels: 1 } });
      expect(s.labelCounts).toEqual([42000, 28000]); // 7,000 per class, 4 classes positive
      const [dark, light] = s.groups;
      expect(dark.count + light.count).toBe(70000);
      expect(Math.abs(dark.count - light.count)).toBeLessThan(100); // the split is at the median
      // Dark garments are mostly the positive classes (tops/pullovers/coats/shirts are lighter): the
      // attribute is not independent of the label, which is what makes it a useful fairness probe.
      expect(dark.labelCounts[1] / dark.count).not.toBeCloseTo(light.labelCounts[1] / light.count, 1);

      const data = loadDatasetForTraining(db, 1);
      const t10k = gunzipSync(readFileSync(files[2]));
      const t10kLabels = gunzipSync(readFileSync(files[3]));
      // Stored row 60,000 is t10k's first image, byte for byte.
      expect(Buffer.from(data.images!.pixels.subarray(60000 * 784, 60001 * 784)).equals(t10k.subarray(16, 16 + 784))).toBe(true);
      expect(data.labels[60000]).toBe([0, 2, 4, 6].includes(t10kLabels[8]) ? 1 : 0);
    } finally {
      db.close();
    }
  });
});
