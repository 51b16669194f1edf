/** The engine talks to models through row ranges of one fixed row order of `LabelledRows`. */
export type { LabelledRows } from '../../src-shared/domain/datasets';

/** Rows [start, end) of the fixed row order. */
export interface RowRange {
  readonly start: number;
  readonly end: number;
}

export function rangeSize(range: RowRange): number {
  return range.end - range.start;
}
