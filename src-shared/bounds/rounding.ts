/**
 * Python's `round(x)` for a float: nearest integer, ties to even, applied to the exact double.
 * The engine rounds n_candidate, a data fraction's row count and the predicted safety size n̂ this way,
 * and near-ties such as 169.49999999999997 must not round up.
 * @example roundHalfEven(2.5) === 2; roundHalfEven(3.5) === 4; roundHalfEven(169.49999999999997) === 169
 */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  const fraction = x - floor; // exact for |x| < 2^52
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}
