/**
 * Row selection for an audit, without TensorFlow.js: the app's main process picks the audited rows and
 * builds their labelled table itself (cheap), while the model's inference runs in the training worker.
 */
import type { LabelledRows } from '../engine/data';

/** The rows of `data` at `rows`, in that order, as a dataset of their own. */
export function selectRows(data: LabelledRows, rows: Int32Array): LabelledRows {
  const k = data.sensitiveColumns.length;
  const labels = new Float64Array(rows.length);
  const sensitive = new Uint8Array(rows.length * k);
  rows.forEach((r, i) => {
    labels[i] = data.labels[r];
    sensitive.set(data.sensitive.subarray(r * k, (r + 1) * k), i * k);
  });
  return { nRows: rows.length, labels, nClasses: data.nClasses, sensitiveColumns: data.sensitiveColumns, sensitive };
}
