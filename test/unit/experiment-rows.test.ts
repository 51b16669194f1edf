// An experiment's dataset with `rows` (src-main/experiments/trial-dataset.ts experimentRows): the first
// rows of the stored order, every per-row array cut at the same row (labels, groups, features, pixels,
// source order), and a dataset that lacks the rows the experiment was made with refused.
import { describe, expect, it } from 'vitest';
import { experimentRows } from '../../src-main/experiments/trial-dataset';
import type { TrainingData } from '../../src-main/store/datasets';
import type { ExperimentSettings } from '../../src-shared/domain/experiments';

const N = 5;
const data: TrainingData = {
  datasetId: 1,
  name: 'five',
  nRows: N,
  nClasses: 2,
  labels: Float64Array.from([0, 1, 0, 1, 1]),
  sensitiveColumns: ['A', 'B'],
  sensitive: Uint8Array.from([1, 0, 0, 1, 1, 0, 0, 1, 1, 0]),
  features: Float64Array.from({ length: N * 3 }, (_, i) => i),
  images: { width: 2, height: 1, channels: 1, pixels: Uint8Array.from({ length: N * 2 }, (_, i) => 10 + i) },
  sourceIndex: Int32Array.from([4, 3, 2, 1, 0]),
};
const settings = (rows?: number) => ({ ...(rows !== undefined ? { rows } : {}) }) as ExperimentSettings;

describe('experimentRows', () => {
  it('cuts every per-row array at the first `rows` rows', () => {
    const cut = experimentRows(data, { datasetName: 'five', nRows: 3, settings: settings(3) });
    expect(cut.nRows).toBe(3);
    expect([...cut.labels]).toEqual([0, 1, 0]);
    expect([...cut.sensitive]).toEqual([1, 0, 0, 1, 1, 0]);
    expect([...cut.features!]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...cut.images!.pixels]).toEqual([10, 11, 12, 13, 14, 15]);
    expect([...cut.sourceIndex]).toEqual([4, 3, 2]);
  });

  it('gives the whole dataset when the experiment used all of it, and refuses one without its rows', () => {
    expect(experimentRows(data, { datasetName: 'five', nRows: N, settings: settings() })).toBe(data);
    expect(() => experimentRows(data, { datasetName: 'five', nRows: 4, settings: settings() })).toThrow("dataset 'five' has 5 rows, the experiment was made with 4");
    expect(() => experimentRows(data, { datasetName: 'five', nRows: 6, settings: settings(6) })).toThrow("dataset 'five' has 5 rows, the experiment was made with the first 6");
  });
});
