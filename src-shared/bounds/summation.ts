/**
 * numpy's pairwise summation (`np.add.reduce` on a contiguous float64 array), so that means and
 * variances round the way the original engine's do: blocks of 8 accumulators below 128 elements,
 * halving above. Differences to a naive loop are ~1e-16 relative, but the QSA iterates Adam over
 * these sums for hundreds of steps and the golden trace is checked to 1e-9.
 */
const BLOCK = 128;

export function pairwiseSum(values: ArrayLike<number>, start = 0, end = values.length): number {
  const n = end - start;
  if (n < 8) {
    let sum = -0;
    for (let i = start; i < end; i++) sum += values[i];
    return sum;
  }
  if (n <= BLOCK) {
    let r0 = values[start], r1 = values[start + 1], r2 = values[start + 2], r3 = values[start + 3];
    let r4 = values[start + 4], r5 = values[start + 5], r6 = values[start + 6], r7 = values[start + 7];
    let i = start + 8;
    const unrolledEnd = start + (n - (n % 8));
    for (; i < unrolledEnd; i += 8) {
      r0 += values[i]; r1 += values[i + 1]; r2 += values[i + 2]; r3 += values[i + 3];
      r4 += values[i + 4]; r5 += values[i + 5]; r6 += values[i + 6]; r7 += values[i + 7];
    }
    let sum = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < end; i++) sum += values[i];
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(values, start, start + half) + pairwiseSum(values, start + half, end);
}

/** Arithmetic mean with numpy's summation order. */
export function mean(values: ArrayLike<number>): number {
  return pairwiseSum(values) / values.length;
}

/**
 * Sample standard deviation with Bessel's correction (ddof = 1), as the engine's
 * `stddev` = sqrt(sum((v - mean)^2) / (n - 1)). `scratch` (length ≥ n) avoids an allocation per call.
 */
export function sampleStd(values: ArrayLike<number>, valuesMean: number, scratch: Float64Array): number {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const d = values[i] - valuesMean;
    scratch[i] = d * d;
  }
  return Math.sqrt(pairwiseSum(scratch, 0, n) / (n - 1));
}
