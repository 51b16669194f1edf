/**
 * What the CNN classifier models (TF.js and ONNX Runtime) share around their forward pass: the rows they
 * may be asked for, and one kept prediction, so that a repeat call with the very same θ and rows (the
 * run's own evaluation after the safety test) costs no second pass over the images.
 */
import type { RowRange } from '../engine/data';

/** θ compared element by element: cached work is reused only for the very same θ. */
export function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Refuses rows outside the model's images; `who` names the model in the message. */
export function checkRowRange(who: string, range: RowRange, nImages: number): void {
  if (!(range.start >= 0 && range.end <= nImages && range.start <= range.end)) {
    throw new RangeError(`${who}: rows [${range.start}, ${range.end}) are outside [0, ${nImages})`);
  }
}

/** The last prediction, kept for one repeat call. */
export class RepeatPrediction {
  private last: { start: number; end: number; theta: Float64Array; probs: Float64Array } | null = null;

  /** Writes the kept probabilities into `probs` when θ and rows are the kept call's; true then. */
  reuse(theta: Float64Array, range: RowRange, probs: Float64Array): boolean {
    const last = this.last;
    if (!last || last.start !== range.start || last.end !== range.end || !sameValues(theta, last.theta)) return false;
    probs.set(last.probs);
    return true;
  }

  /** Keeps this call's probabilities (`nOutputs` per row of `range`). */
  keep(theta: Float64Array, range: RowRange, probs: Float64Array, nOutputs: number): void {
    this.last = { start: range.start, end: range.end, theta: Float64Array.from(theta), probs: probs.slice(0, (range.end - range.start) * nOutputs) };
  }
}
