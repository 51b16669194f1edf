// Invariants: the Student-t quantile matches SciPy to ~1e-12; Python's round-half-to-even is reproduced
// (including float ties such as (113/400)·600 = 169.49999999999997 → 169); numpy's summation order; the
// engine's interval operators.
import { describe, expect, it } from 'vitest';
import { BoundingError, evaluatePoint, propagateInterval } from '../../src-shared/bounds/interval';
import { roundHalfEven } from '../../src-shared/bounds/rounding';
import { predictedSafetySize, studentTQuantile, tBoundMultiplier } from '../../src-shared/bounds/student-t';
import { mean, pairwiseSum, sampleStd } from '../../src-shared/bounds/summation';
import type { ExprNode } from '../../src-shared/constraint/ast';

const span = { start: 1, end: 2 };
const base = (index: number): ExprNode => ({ type: 'base', index, span });
const constant = (value: number): ExprNode => ({ type: 'constant', value, span });
const binary = (op: 'add' | 'sub' | 'mult' | 'div' | 'pow' | 'min' | 'max', left: ExprNode, right: ExprNode): ExprNode => ({ type: 'binary', op, left, right, span });
const unary = (op: 'abs' | 'exp' | 'log', arg: ExprNode): ExprNode => ({ type: 'unary', op, arg, span });

describe('studentTQuantile', () => {
  // SciPy 1.10.1 (Debian python3-scipy): t = sqrt(ν(1−x)/x) with x = scipy.special.betaincinv(ν/2, 1/2, 2(1−p)),
  // printed with repr(). scipy.stats.t.ppf itself (cdflib's stdtrit) is off by up to ~5e-9 relative in 1.10
  // (e.g. t.ppf(0.95, 4) = 2.13184678133629 vs the closed form 2.1318467863266495), so the golden engine's
  // bounds carry that error; ours follow the exact quantile.
  const scipy: Array<[number, number, number]> = [
    [0.95, 1, 6.313751514675039],
    [0.95, 2, 2.9199855803537247],
    [0.95, 4, 2.1318467863266495],
    [0.975, 9, 2.262157162798205],
    [0.95, 30, 1.6972608865939571],
    [0.9, 40, 1.3030770526071946],
    [0.975, 60, 2.00029782201426],
    [0.99, 250, 2.3413561183859244],
    [0.9875, 499, 2.2481869293730927],
    [0.95, 599, 1.6474014447241885],
    [0.99375, 1234, 2.5013733901286486],
    [0.99375, 5000, 2.498609770144872],
    [0.999, 3, 10.214531852407385],
    [0.99999, 7, 10.102684252974544],
    [0.6, 100000, 0.2533477771570344],
  ];
  it.each(scipy)('t.ppf(%f, %f) = %f', (p, df, expected) => {
    expect(Math.abs(studentTQuantile(p, df) - expected)).toBeLessThanOrEqual(1e-12 * Math.abs(expected));
  });
  it('matches the closed forms for ν = 1, 2, 4', () => {
    const p = 0.95;
    expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 13);
    expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 14);
    const alpha = 4 * p * (1 - p);
    const q = Math.cos(Math.acos(Math.sqrt(alpha)) / 3) / Math.sqrt(alpha);
    expect(studentTQuantile(p, 4)).toBeCloseTo(2 * Math.sqrt(q - 1), 14);
  });
  it('gives NaN multipliers for n ≤ 1, which propagation turns into infinite bounds', () => {
    expect(tBoundMultiplier(1, 0.05)).toBeNaN();
    expect(tBoundMultiplier(10, 0.05, 2)).toBeCloseTo((2 * studentTQuantile(0.95, 9)) / Math.sqrt(10), 15);
  });
});

describe('roundHalfEven (Python round)', () => {
  it.each([
    [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [2.4999999999999996, 2], [2.5000000000000004, 3], [1000, 1000],
  ])('round(%f) = %f', (x, expected) => expect(roundHalfEven(x)).toBe(expected));
  it('predicts n̂ in the engine operation order (float ties)', () => {
    expect((113 / 400) * 600).toBe(169.49999999999997);
    expect(predictedSafetySize(113, 400, 600)).toBe(169);
    expect(predictedSafetySize(81, 400, 600)).toBe(122);
    expect(predictedSafetySize(227, 400, 600)).toBe(340); // exact 340.5 → even
  });
});

describe('numpy-order summation', () => {
  it('sums like a naive loop up to rounding and exactly on integers', () => {
    const ints = Float64Array.from({ length: 1000 }, (_, i) => i);
    expect(pairwiseSum(ints)).toBe(499500);
    const xs = Float64Array.from({ length: 1001 }, (_, i) => Math.sin(i) * 1e3);
    const naive = xs.reduce((a, b) => a + b, 0);
    expect(Math.abs(pairwiseSum(xs) - naive)).toBeLessThan(1e-9);
  });
  it('computes the Bessel std', () => {
    const v = Float64Array.from([1, 2, 3, 4]);
    expect(mean(v)).toBe(2.5);
    expect(sampleStd(v, 2.5, new Float64Array(4))).toBeCloseTo(Math.sqrt(5 / 3), 15);
  });
});

describe('propagateInterval', () => {
  it("bounds the accuracy-ratio constraint from its base nodes' intervals", () => {
    // 0.8 − min(L_M/U_F, L_F/U_M)
    const g = binary('sub', constant(0.8), binary('min', binary('div', base(0), base(1)), binary('div', base(1), base(0))));
    const r = propagateInterval(g, [0.6, 0.55], [0.65, 0.6]);
    expect(r.upper).toBeCloseTo(0.8 - Math.min(0.6 / 0.6, 0.55 / 0.65), 15);
  });
  it('makes a ratio infinite when the denominator interval straddles 0', () => {
    const r = propagateInterval(binary('div', base(0), base(1)), [0.5, -0.1], [0.6, 0.2]);
    expect([r.lower, r.upper]).toEqual([-Infinity, Infinity]);
  });
  it('refuses x / [0, 0] and a possibly negative base of **', () => {
    expect(() => propagateInterval(binary('div', base(0), base(1)), [0.5, 0], [0.6, 0])).toThrow(BoundingError);
    expect(() => propagateInterval(binary('pow', base(0), constant(2)), [-0.1], [0.2])).toThrow(/negative/);
  });
  it('protects NaN into ±∞ (∞·0)', () => {
    const r = propagateInterval(binary('mult', base(0), base(1)), [0, 1], [Infinity, 2]);
    expect(r.upper).toBe(Infinity);
  });
  it('abs of an interval around 0 has lower bound 0', () => {
    const r = propagateInterval(unary('abs', base(0)), [-0.2], [0.1]);
    expect([r.lower, r.upper]).toEqual([0, 0.2]);
  });
  it('differentiates the root upper bound by reverse mode (checked against finite differences)', () => {
    // abs(A − B) + exp(A)·B / max(A, B) − log(B) with all bounds finite and no ties.
    const g = binary('sub', binary('add', unary('abs', binary('sub', base(0), base(1))), binary('div', binary('mult', unary('exp', base(0)), base(1)), binary('max', base(0), base(1)))), unary('log', base(1)));
    const lower = [0.3, 0.5], upper = [0.4, 0.7];
    const gl = new Float64Array(2), gu = new Float64Array(2);
    const root = propagateInterval(g, lower, upper, gl, gu);
    const h = 1e-7;
    for (let i = 0; i < 2; i++) {
      const l2 = [...lower]; l2[i] += h;
      const u2 = [...upper]; u2[i] += h;
      expect(gl[i]).toBeCloseTo((propagateInterval(g, l2, upper).upper - root.upper) / h, 5);
      expect(gu[i]).toBeCloseTo((propagateInterval(g, lower, u2).upper - root.upper) / h, 5);
    }
  });
  it('evaluates the point value of g', () => {
    const g = binary('sub', constant(0.8), binary('min', binary('div', base(0), base(1)), binary('div', base(1), base(0))));
    expect(evaluatePoint(g, [0.5, 0.6])).toBeCloseTo(0.8 - 0.5 / 0.6, 15);
  });
});
