// A constraint in its own terms (src-shared/domain/constraint-terms.ts): the reading of each side, the
// conversion of g's bound, and outward rounding, which must never overstate a bound.
import { describe, expect, it } from 'vitest';
import { constraintTerms, quantityFromG, roundBoundOutward } from '../../src-shared/domain/constraint-terms';

describe('constraint terms', () => {
  it('reads the ratio, difference and single-rate shapes with their threshold and direction', () => {
    expect(constraintTerms('min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8')).toMatchObject({ quantity: 'the accuracy ratio', direction: 'at-least', threshold: 0.8 });
    expect(constraintTerms('abs((PR | [M]) - (PR | [F])) <= 0.2')).toMatchObject({ quantity: 'the positive rate difference', direction: 'at-most', threshold: 0.2 });
    expect(constraintTerms('(FPR | [M,W]) <= 0.3')).toMatchObject({ quantity: 'the false positive rate of group M ∧ W' });
    expect(constraintTerms('0.9 <= ACC')).toMatchObject({ quantity: 'the accuracy', direction: 'at-least', threshold: 0.9 });
    expect(constraintTerms('(PR | [M]) >= (PR | [F])')).toBeNull();
    expect(constraintTerms('ACC')).toBeNull();
  });

  it("converts g's bound as the rewrite defines g", () => {
    const ge = constraintTerms('ACC >= 0.8')!;
    const le = constraintTerms('ACC <= 0.8')!;
    // g = 0.8 − ACC and g = ACC − 0.8.
    expect(quantityFromG(ge, -0.172)).toBeCloseTo(0.972, 12);
    expect(quantityFromG(le, -0.1)).toBeCloseTo(0.7, 12);
  });

  it('rounds a lower bound down and an upper bound up', () => {
    expect(roundBoundOutward(0.97289, 'at-least')).toBe(0.972);
    expect(roundBoundOutward(0.97211, 'at-most')).toBe(0.973);
    expect(roundBoundOutward(0.5, 'at-least')).toBe(0.5);
    expect(roundBoundOutward(-Infinity, 'at-least')).toBe(-Infinity);
  });
});
