/**
 * The certified rows: which dataset rows (a selection of stored-order indices) and their SHA-256 in the
 * layout `fairbound-rows-v1` (README, "Certificates"):
 *
 *   header  canonical JSON of { layout, rows, inputs, height, width, channels | features, groups }, then "\n"
 *   per row, in selection order:
 *     inputs  the stored pixels, uint8, height × width × channels row-major (before any resize or scaling),
 *             or the numeric features as float32 / float64 little-endian (the stored dtype);
 *     label   the class index, uint32 little-endian;
 *     groups  one byte (0 or 1) per sensitive column, in the header's `groups` order.
 */
import { createHash } from 'node:crypto';
import { ROWS_LAYOUT, type RowSelection } from '../../src-shared/contract/schemas';
import { InputError } from '../errors/input-error';
import type { TrainingData } from '../store/datasets';
import { canonicalJson } from './canonical-json';

/** A selection as compact as it can be said: a range when the indices are consecutive. */
export function selectionOf(indices: Int32Array): RowSelection {
  const consecutive = indices.every((r, i) => r === indices[0] + i);
  if (consecutive) return indices.length === 0 ? { kind: 'range', start: 0, end: 0 } : { kind: 'range', start: indices[0], end: indices[0] + indices.length };
  return { kind: 'indices', indices: Array.from(indices) };
}

/** The selection's indices; InputError when one is past the dataset's last row. */
export function selectedIndices(selection: RowSelection, nRows: number, datasetName: string): Int32Array {
  const indices = selection.kind === 'range' ? Int32Array.from({ length: Math.max(0, selection.end - selection.start) }, (_, i) => selection.start + i) : Int32Array.from(selection.indices);
  const last = indices.reduce((max, r) => Math.max(max, r), -1);
  if (last >= nRows) throw new InputError(`the certificate selects row ${last}, but dataset '${datasetName}' has ${nRows} rows`);
  return indices;
}

function inputsHeader(data: TrainingData): Record<string, unknown> {
  if (data.images) return { inputs: 'pixels-uint8', height: data.images.height, width: data.images.width, channels: data.images.channels };
  if (data.features) return { inputs: data.features instanceof Float64Array ? 'features-float64' : 'features-float32', features: data.featureColumns?.length ?? 0 };
  return { inputs: 'none' };
}

/** SHA-256 (hex) of the selected rows in the layout above. */
export function rowsSha256(data: TrainingData, indices: Int32Array): string {
  const hash = createHash('sha256');
  hash.update(`${canonicalJson({ layout: ROWS_LAYOUT, rows: indices.length, groups: [...data.sensitiveColumns], ...inputsHeader(data) })}\n`, 'utf8');
  const k = data.sensitiveColumns.length;
  const tail = new Uint8Array(4 + k);
  const tailView = new DataView(tail.buffer);
  const features = data.features;
  const width = features && data.featureColumns ? data.featureColumns.length : 0;
  const featureBytes = features instanceof Float64Array ? 8 : 4;
  const featureRow = new Uint8Array(width * featureBytes);
  const featureView = new DataView(featureRow.buffer);
  const imageBytes = data.images ? data.images.height * data.images.width * data.images.channels : 0;
  for (const r of indices) {
    if (data.images) hash.update(data.images.pixels.subarray(r * imageBytes, (r + 1) * imageBytes));
    else if (features) {
      for (let j = 0; j < width; j++) {
        if (featureBytes === 8) featureView.setFloat64(j * 8, features[r * width + j], true);
        else featureView.setFloat32(j * 4, features[r * width + j], true);
      }
      hash.update(featureRow);
    }
    tailView.setUint32(0, data.labels[r], true);
    tail.set(data.sensitive.subarray(r * k, (r + 1) * k), 4);
    hash.update(tail);
  }
  return hash.digest('hex');
}
