/**
 * The dataset as an experiment's trials see it: on shared memory for worker threads (one copy for all
 * of them), as is for the calling thread.
 */
import { InputError } from '../errors/input-error';
import type { TrainingData } from '../store/datasets';
import type { ExperimentInfo } from '../store/experiments';
import type { ExperimentDataset } from './types';

/** Copies a typed array onto shared memory, so workers read the one copy. */
function shared<T extends Float64Array | Float32Array | Uint8Array>(array: T): T {
  const Constructor = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Constructor(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

/**
 * The dataset as trials see it. For workers it goes onto shared memory (one copy for all of them), with
 * only the model inputs their models use: an image dataset's pixels stay on the calling thread unless a
 * worker model needs them.
 */
export function experimentDataset(data: TrainingData, share: boolean, inputs: { features: boolean; images: boolean } = { features: true, images: true }): ExperimentDataset {
  const s = <T extends Float64Array | Float32Array | Uint8Array>(a: T): T => (share ? shared(a) : a);
  return {
    nRows: data.nRows,
    nClasses: data.nClasses,
    labels: s(data.labels),
    sensitiveColumns: [...data.sensitiveColumns],
    sensitive: s(data.sensitive),
    ...(data.features && inputs.features ? { features: s(data.features), nFeatures: data.nRows > 0 ? data.features.length / data.nRows : 0 } : {}),
    ...(data.images && inputs.images ? { images: { ...data.images, pixels: s(data.images.pixels) } } : {}),
  };
}


/**
 * The experiment's dataset: the first `settings.rows` rows of the stored order (views, no copy), or
 * the whole dataset, which must still have the rows the experiment was made with (its resamples index them).
 */
export function experimentRows(data: TrainingData, info: Pick<ExperimentInfo, 'datasetName' | 'nRows' | 'settings'>): TrainingData {
  const expected = info.settings.rows === undefined ? data.nRows === info.nRows : data.nRows >= info.nRows;
  if (!expected) throw new InputError(`dataset '${info.datasetName}' has ${data.nRows} rows, the experiment was made with ${info.settings.rows === undefined ? '' : 'the first '}${info.nRows}`);
  if (data.nRows === info.nRows) return data;
  const n = info.nRows;
  const perRow = (length: number): number => length / data.nRows;
  return {
    ...data,
    nRows: n,
    labels: data.labels.subarray(0, n),
    sensitive: data.sensitive.subarray(0, n * data.sensitiveColumns.length),
    sourceIndex: data.sourceIndex.subarray(0, n),
    ...(data.features ? { features: data.features.subarray(0, n * perRow(data.features.length)) } : {}),
    ...(data.images ? { images: { ...data.images, pixels: data.images.pixels.subarray(0, n * perRow(data.images.pixels.length)) } } : {}),
  };
}
