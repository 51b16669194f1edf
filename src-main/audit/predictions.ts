import { openHeaderedCsv } from '../data/csv-records';
import { InputError } from '../errors/input-error';

/**
 * A predictions file: a headered CSV with `p` (binary, P(y=1)) or `p_0 … p_{K-1}` (multiclass, rows summing
 * to 1), matched to the dataset's rows by a key column or by order.
 */
export type RowMatching = { readonly kind: 'key'; readonly column: string; readonly rowKeys: readonly string[] } | { readonly kind: 'order' };

export interface Predictions {
  /** Row-major nRows × nOutputs, in the dataset's row order. */
  readonly probs: Float64Array;
  readonly nOutputs: number;
}

const SUM_TOLERANCE = 1e-6;

function probabilityColumns(header: readonly string[], path: string, headerLine: number): { indices: number[]; names: string[] } {
  if (header.includes('p')) return { indices: [header.indexOf('p')], names: ['p'] };
  const names: string[] = [];
  for (let k = 0; header.includes(`p_${k}`); k++) names.push(`p_${k}`);
  if (names.length < 2) {
    throw new InputError(`no probability columns: expected 'p' (binary) or 'p_0', 'p_1', … (multiclass); the header has ${header.join(', ')}`, { file: path, row: headerLine });
  }
  return { indices: names.map((n) => header.indexOf(n)), names };
}

export async function readPredictions(path: string, nRows: number, matching: RowMatching, signal?: AbortSignal): Promise<Predictions> {
  const csv = await openHeaderedCsv(path);
  try {
    const { indices, names } = probabilityColumns(csv.header, path, csv.headerLine);
    const nOutputs = indices.length === 1 ? 1 : indices.length;
    const keyColumn = matching.kind === 'key' ? csv.column(matching.column, 'key') : -1;
    const rowOfKey = matching.kind === 'key' ? new Map(matching.rowKeys.map((k, i) => [k, i])) : null;
    const probs = new Float64Array(nRows * nOutputs);
    const seenAt = new Int32Array(nRows).fill(-1);
    let count = 0;
    for await (const record of csv.records) {
      if (signal?.aborted) throw new InputError('cancelled', { file: path });
      let row: number;
      if (rowOfKey) {
        const key = record.cells[keyColumn];
        const found = rowOfKey.get(key);
        if (found === undefined) throw new InputError(`key '${key}' matches no row of the dataset`, { file: path, row: record.line, column: matching.kind === 'key' ? matching.column : undefined });
        row = found;
      } else {
        row = count;
        if (row >= nRows) throw new InputError(`more prediction rows than the dataset's ${nRows}`, { file: path, row: record.line });
      }
      if (seenAt[row] >= 0) throw new InputError(`duplicate prediction for the dataset row first given on line ${seenAt[row]}`, { file: path, row: record.line, column: matching.kind === 'key' ? matching.column : undefined });
      seenAt[row] = record.line;
      let sum = 0;
      indices.forEach((column, k) => {
        const text = record.cells[column] ?? '';
        const value = text.trim() === '' ? Number.NaN : Number(text);
        if (!Number.isFinite(value)) throw new InputError(`expected a probability, got '${text}'`, { file: path, row: record.line, column: names[k] });
        if (value < 0 || value > 1) throw new InputError(`probability ${value} is outside [0, 1]`, { file: path, row: record.line, column: names[k] });
        probs[row * nOutputs + k] = value;
        sum += value;
      });
      if (nOutputs > 1 && Math.abs(sum - 1) > SUM_TOLERANCE) {
        throw new InputError(`class probabilities sum to ${sum}, not 1 (±${SUM_TOLERANCE})`, { file: path, row: record.line });
      }
      count++;
    }
    if (count < nRows) {
      const missing = Array.from(seenAt.keys()).filter((i) => seenAt[i] < 0);
      const described = rowOfKey && matching.kind === 'key' ? missing.slice(0, 5).map((i) => `'${matching.rowKeys[i]}'`).join(', ') : missing.slice(0, 5).map((i) => `row ${i + 1}`).join(', ');
      throw new InputError(`predictions for ${nRows - count} of the dataset's ${nRows} rows are missing (first: ${described})`, { file: path });
    }
    return { probs, nOutputs };
  } finally {
    csv.close();
  }
}
