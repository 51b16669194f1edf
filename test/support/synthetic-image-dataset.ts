/**
 * A small learnable image dataset stored straight into a workspace, for tests, benchmarks and demos of
 * training runs without files: deep/synthetic.ts's band images (class k = a bright band in strip k),
 * with a one-hot sensitive family `group` of columns `A` / `B` drawn at random from the seed.
 */
import { Xoshiro128 } from '../../src-main/data/shuffle';
import { bandImages } from './band-images';
import type { WritableDB } from '../../src-main/store/database';
import { finishDatasetRow, insertDataset, insertSample, type DatasetInfo, getDataset } from '../../src-main/store/datasets';

export interface SyntheticDatasetOptions {
  readonly name: string;
  readonly n: number;
  /** Square images of this side. */
  readonly size: number;
  readonly numClasses: number;
  readonly seed: number;
  /** Grey-level noise amplitude (default 60). */
  readonly noise?: number;
}

/** Inserts the dataset in one transaction and returns it. */
export function insertSyntheticImageDataset(db: WritableDB, options: SyntheticDatasetOptions): DatasetInfo {
  const { name, n, size, numClasses, seed } = options;
  const { images, labels } = bandImages({ n, height: size, width: size, numClasses, seed, noise: options.noise });
  const rng = new Xoshiro128(seed ^ 0x5bd1e995);
  const id = db.transaction(() => {
    const datasetId = insertDataset(db, {
      name,
      format: 'idx',
      source: { synthetic: 'band images', n, size, numClasses, seed },
      labelColumn: 'label',
      labelMapping: {},
      shuffleSeed: null,
      attributes: [
        { name: 'A', family: 'group', derivedFrom: 'synthetic' },
        { name: 'B', family: 'group', derivedFrom: 'synthetic' },
      ],
      families: [{ name: 'group', columns: ['A', 'B'] }],
    });
    const bytes = size * size;
    for (let i = 0; i < n; i++) {
      const a = rng.nextBelow(2);
      insertSample(db, datasetId, {
        orderIndex: i,
        sourceIndex: i,
        sourceFile: 'synthetic',
        sourceRow: i + 1,
        rawLabel: String(labels[i]),
        label: labels[i],
        sensitive: Uint8Array.of(a, 1 - a),
        pixels: images.pixels.subarray(i * bytes, (i + 1) * bytes),
        features: null,
      });
    }
    finishDatasetRow(db, datasetId, { nRows: n, nClasses: numClasses, image: { width: size, height: size, channels: 1 }, features: null });
    return datasetId;
  }).immediate();
  return getDataset(db, id)!;
}
