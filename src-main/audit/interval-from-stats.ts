import type { BaseNodeSpec } from '../../src-shared/constraint/ast';
import { hoeffdingLower, hoeffdingUpper } from '../../src-shared/bounds/hoeffding';
import { MIN_SAMPLES_FOR_BOUND, tBoundMultiplier } from '../../src-shared/bounds/student-t';
import type { BoundMethod } from '../engine/constraint-bounds';

/**
 * A base node's safety-test interval from its mean and spread for a hypothetical sample size n: how the
 * audit asks "how much data would decide this?" without resampling.
 */
export function nodeIntervalFromStats(
  spec: BaseNodeSpec,
  stats: { readonly mean: number; readonly std: number },
  method: BoundMethod,
  n: number,
): { lower: number; upper: number } {
  const enough = n >= (method === 'hoeffding' ? 1 : MIN_SAMPLES_FOR_BOUND);
  const side = (delta: number | null, sign: 1 | -1): number => {
    if (delta === null || !enough) return sign * Infinity;
    if (method === 'hoeffding') return sign > 0 ? hoeffdingUpper(stats.mean, n, delta) : hoeffdingLower(stats.mean, n, delta);
    return stats.mean + sign * tBoundMultiplier(n, delta) * stats.std;
  };
  return { lower: spec.lowerNeeded ? side(spec.deltaLower, -1) : -Infinity, upper: spec.upperNeeded ? side(spec.deltaUpper, 1) : Infinity };
}
