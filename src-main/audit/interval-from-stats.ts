import type { BaseNodeSpec } from '../../src-shared/constraint/ast';
import { exactBoundFromStats, type AuditBoundMethod, type ExactKind } from '../../src-shared/bounds/audit-bounds';
import { hoeffdingLower, hoeffdingUpper } from '../../src-shared/bounds/hoeffding';
import { MIN_SAMPLES_FOR_BOUND, tBoundMultiplier } from '../../src-shared/bounds/student-t';

/**
 * A base node's safety-test interval from its mean and spread for a hypothetical sample size n: how the
 * audit asks "how much data would decide this?" without resampling. The exact bound is estimated from
 * the same statistics (exactBoundFromStats: exact for 0/1 values, an estimate for [0, 1] values).
 */
export function nodeIntervalFromStats(
  spec: BaseNodeSpec,
  stats: { readonly mean: number; readonly std: number },
  method: AuditBoundMethod,
  n: number,
  kind: ExactKind = 'bounded',
): { lower: number; upper: number } {
  const enough = n >= (method === 'student-t' ? MIN_SAMPLES_FOR_BOUND : 1);
  const side = (delta: number | null, sign: 1 | -1): number => {
    if (delta === null || !enough) return sign * Infinity;
    if (method === 'exact') return exactBoundFromStats(stats, n, kind, delta, sign > 0 ? 'upper' : 'lower');
    if (method === 'hoeffding') return sign > 0 ? hoeffdingUpper(stats.mean, n, delta) : hoeffdingLower(stats.mean, n, delta);
    return stats.mean + sign * tBoundMultiplier(n, delta) * stats.std;
  };
  return { lower: spec.lowerNeeded ? side(spec.deltaLower, -1) : -Infinity, upper: spec.upperNeeded ? side(spec.deltaUpper, 1) : Infinity };
}
