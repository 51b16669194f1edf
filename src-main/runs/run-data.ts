/** A run's rows loaded from its dataset, in run order (candidate rows first), images resized for the network. */
import { seededPermutation } from '../data/shuffle';
import type { ImageSet } from '../deep/images';
import { resizeImages } from '../deep/resize';
import type { LabelledRows } from '../engine/data';
import type { ReadableDB } from '../store/database';
import { loadDatasetForTraining } from '../store/datasets';
import type { RunInfo } from '../store/runs';

/** The run's rows with everything in run order (candidate rows first). */
export interface RunData {
  readonly rowOrder: Int32Array;
  readonly images: ImageSet;
  readonly rows: LabelledRows;
  readonly labels: Int32Array;
}

export function loadRunData(db: ReadableDB, info: RunInfo): RunData {
  const s = info.settings;
  if (info.datasetId === null) throw new Error(`run ${info.id}: its dataset '${info.datasetName}' was deleted`);
  const data = loadDatasetForTraining(db, info.datasetId);
  if (!data.images) throw new Error(`dataset '${data.name}' has no images`);
  if (data.nRows < s.rows) throw new Error(`dataset '${data.name}' has ${data.nRows} rows, the run needs ${s.rows}`);
  const { width, height, channels, pixels } = data.images;
  if (height !== s.sourceShape[0] || width !== s.sourceShape[1] || channels !== s.sourceShape[2]) {
    throw new Error(`dataset '${data.name}' now holds ${height}×${width}×${channels} images, the run was set up for ${s.sourceShape.join('×')}`);
  }
  const rowOrder = s.shuffleSeed === null ? Int32Array.from({ length: s.rows }, (_, i) => i) : seededPermutation(s.rows, s.shuffleSeed);
  const all: ImageSet = { pixels, n: data.nRows, height, width, channels };
  const images = resizeImages(all, s.inputShape[0], s.inputShape[1], rowOrder);
  const k = data.sensitiveColumns.length;
  const labels64 = new Float64Array(s.rows);
  const sensitive = new Uint8Array(s.rows * k);
  rowOrder.forEach((r, i) => {
    labels64[i] = data.labels[r];
    sensitive.set(data.sensitive.subarray(r * k, (r + 1) * k), i * k);
  });
  return {
    rowOrder,
    images,
    labels: Int32Array.from(labels64),
    rows: { nRows: s.rows, labels: labels64, nClasses: s.numClasses, sensitiveColumns: data.sensitiveColumns, sensitive },
  };
}

