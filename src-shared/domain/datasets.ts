/**
 * What the engine needs to know about rows besides the model's inputs: labels and sensitive one-hots.
 * Features live with the model (a linear head holds a matrix, a CNN holds images), so the engine
 * talks to models through row ranges of one fixed row order; the store reads a dataset's rows as this.
 */
export interface LabelledRows {
  readonly nRows: number;
  /** 0/1 (binary) or class ids 0..K−1 (multiclass). */
  readonly labels: Float64Array;
  /** 2 for binary classification. */
  readonly nClasses: number;
  readonly sensitiveColumns: readonly string[];
  /** Row-major nRows × sensitiveColumns.length, 0/1. */
  readonly sensitive: Uint8Array;
}
