// The audits' exact bounds (src-shared/bounds): Clopper–Pearson's one-sided bounds against known values,
// and the betting bound's coverage by seeded Monte-Carlo (miss rate ≤ δ + 3 standard errors), its width
// against Hoeffding's on the same samples, and its order dependence.
import { describe, expect, it } from 'vitest';
import { exactBound, exactBoundFromStats, auditBoundLabel, intervalConfidenceText } from '../../src-shared/bounds/audit-bounds';
import { bettingLower, bettingUpper } from '../../src-shared/bounds/betting';
import { clopperPearsonLower, clopperPearsonUpper } from '../../src-shared/bounds/clopper-pearson';
import { hoeffdingLower, hoeffdingUpper } from '../../src-shared/bounds/hoeffding';
import { Xoshiro128 } from '../../src-main/data/shuffle';

const DELTA = 0.05;
const N = 20;
const REPLICATES = 2000;

describe('Clopper–Pearson', () => {
  // Lower bounds at δ = 0.05 (R: qbeta(0.05, k, n − k + 1)).
  const cases: Array<[number, number, number]> = [
    [6, 6, 0.607],
    [5, 10, 0.2224],
    [95, 100, 0.8977],
    [14, 14, 0.8074],
    [13, 13, 0.7942],
  ];
  it.each(cases)('%i/%i: lower %f, and the upper bound of the complement by symmetry', (k, n, lower) => {
    expect(clopperPearsonLower(k, n, DELTA)).toBeCloseTo(lower, 4);
    expect(clopperPearsonUpper(n - k, n, DELTA)).toBeCloseTo(1 - lower, 4);
  });
  it('is exact at the ends: 0 successes have lower 0, n successes upper 1; 6/6 is 0.05^(1/6)', () => {
    expect(clopperPearsonLower(0, 7, DELTA)).toBe(0);
    expect(clopperPearsonUpper(7, 7, DELTA)).toBe(1);
    expect(clopperPearsonLower(6, 6, DELTA)).toBeCloseTo(Math.pow(0.05, 1 / 6), 12);
    expect(clopperPearsonLower(1, 0, DELTA)).toBeNaN();
  });
  it('through exactBound: 0/1 values only', () => {
    expect(exactBound(Float64Array.of(1, 1, 1, 1, 1, 1), 'binomial', DELTA, 'lower')).toBeCloseTo(0.60696, 5);
    expect(() => exactBound(Float64Array.of(1, 0.5), 'binomial', DELTA, 'lower')).toThrow(/0 or 1/);
    expect(exactBound(new Float64Array(0), 'binomial', DELTA, 'upper')).toBeNaN();
  });
});

function sampler(seed: number): () => number {
  const rng = new Xoshiro128(seed);
  return () => (rng.nextUint32() + 0.5) / 4294967296;
}

const distributions = [
  // Bernoulli(0.95): a 0/1 estimator near its end (an accurate classifier's hard accuracy).
  { name: 'Bernoulli(0.95)', mean: 0.95, draw: (u: () => number) => (u() < 0.95 ? 1 : 0) },
  // Beta(0.5, 0.5), the arcsine law: sin²(πU/2). Soft probabilities piled up at both ends.
  { name: 'Beta(0.5, 0.5)', mean: 0.5, draw: (u: () => number) => Math.sin((Math.PI * u()) / 2) ** 2 },
];

describe.each(distributions)('the betting bound on $name, n = 20, δ = 0.05, 2000 replicates', ({ mean, draw }) => {
  const u = sampler(12345);
  const samples = Array.from({ length: REPLICATES }, () => Float64Array.from({ length: N }, () => draw(u)));
  const limit = DELTA + 3 * Math.sqrt((DELTA * (1 - DELTA)) / REPLICATES);

  it('misses the mean at most δ + 3 standard errors of the time, on each side', () => {
    const missLower = samples.filter((x) => bettingLower(x, DELTA) > mean).length / REPLICATES;
    const missUpper = samples.filter((x) => bettingUpper(x, DELTA) < mean).length / REPLICATES;
    expect(missLower).toBeLessThanOrEqual(limit);
    expect(missUpper).toBeLessThanOrEqual(limit);
  });

  it("is never wider than Hoeffding's bound on these samples, and narrower on average", () => {
    let widthBetting = 0, widthHoeffding = 0;
    for (const x of samples) {
      const m = x.reduce((a, b) => a + b, 0) / N;
      const lower = bettingLower(x, DELTA), upper = bettingUpper(x, DELTA);
      expect(lower).toBeGreaterThanOrEqual(hoeffdingLower(m, N, DELTA) - 1e-12);
      expect(upper).toBeLessThanOrEqual(hoeffdingUpper(m, N, DELTA) + 1e-12);
      widthBetting += m - lower;
      widthHoeffding += m - hoeffdingLower(m, N, DELTA);
    }
    expect(widthBetting).toBeLessThan(0.95 * widthHoeffding);
  });
});

describe('Clopper–Pearson on Bernoulli(0.95), n = 20, δ = 0.05, 2000 replicates', () => {
  it('misses p at most δ + 3 standard errors of the time, on each side, and is never wider than Hoeffding', () => {
    const u = sampler(777);
    const limit = DELTA + 3 * Math.sqrt((DELTA * (1 - DELTA)) / REPLICATES);
    let missLower = 0, missUpper = 0;
    for (let r = 0; r < REPLICATES; r++) {
      let k = 0;
      for (let i = 0; i < N; i++) k += u() < 0.95 ? 1 : 0;
      const lower = clopperPearsonLower(k, N, DELTA), upper = clopperPearsonUpper(k, N, DELTA);
      if (lower > 0.95) missLower++;
      if (upper < 0.95) missUpper++;
      expect(lower).toBeGreaterThanOrEqual(hoeffdingLower(k / N, N, DELTA));
      expect(upper).toBeLessThanOrEqual(hoeffdingUpper(k / N, N, DELTA));
    }
    expect(missLower / REPLICATES).toBeLessThanOrEqual(limit);
    expect(missUpper / REPLICATES).toBeLessThanOrEqual(limit);
  });
});

describe('the betting bound', () => {
  it("is never wider than Hoeffding's on extreme samples either", () => {
    const ones = new Float64Array(N).fill(1);
    const lateZero = Float64Array.from({ length: N }, (_, i) => (i === N - 1 ? 0 : 1));
    const alternating = Float64Array.from({ length: N }, (_, i) => i % 2);
    const half = new Float64Array(N).fill(0.5);
    for (const x of [ones, lateZero, alternating, half]) {
      const m = x.reduce((a, b) => a + b, 0) / N;
      expect(bettingLower(x, DELTA)).toBeGreaterThanOrEqual(hoeffdingLower(m, N, DELTA));
      expect(bettingUpper(x, DELTA)).toBeLessThanOrEqual(hoeffdingUpper(m, N, DELTA));
    }
    // Twenty values of 1: Hoeffding says ≥ 0.726, the betting bound ≥ 0.755.
    expect(bettingLower(ones, DELTA)).toBeGreaterThan(0.75);
    expect(bettingUpper(ones, DELTA)).toBe(1);
    // Six rows, each estimator exactly 1: not enough for ACC ≥ 0.8 at δ = 0.05 (nor is Clopper–Pearson's 0.607).
    expect(bettingLower(new Float64Array(6).fill(1), DELTA)).toBeLessThan(0.8);
  });

  it('depends on the order of the values (the audit fixes it: the audited rows in their order)', () => {
    // At n = 20 the bets are capped at c/m for every order; at n = 400 the plug-in bets differ by order.
    const early = Float64Array.from({ length: 400 }, (_, i) => (i < 100 ? 0.2 : 0.8));
    const late = early.slice().reverse();
    expect(bettingLower(early, DELTA)).not.toBe(bettingLower(late, DELTA));
  });

  it('refuses values outside [0, 1] and gives NaN for none', () => {
    expect(() => bettingLower(Float64Array.of(0.5, 1.2), DELTA)).toThrow(/outside \[0, 1\]/);
    expect(bettingLower(new Float64Array(0), DELTA)).toBeNaN();
  });
});

describe('exactBoundFromStats (the data-needed estimate) and the labels', () => {
  it('is Clopper–Pearson at k = mean·n for 0/1 values, and never wider than Hoeffding for [0, 1] values', () => {
    expect(exactBoundFromStats({ mean: 1, std: 0 }, 14, 'binomial', DELTA, 'lower')).toBeCloseTo(0.8074, 4);
    const soft = exactBoundFromStats({ mean: 0.9, std: 0.05 }, 200, 'bounded', DELTA, 'lower');
    expect(soft).toBeGreaterThan(hoeffdingLower(0.9, 200, DELTA));
    expect(soft).toBeLessThan(0.9);
  });
  it('labels Student-t approximate and states what the pair of ends means', () => {
    expect(auditBoundLabel('student-t', 'hard')).toMatch(/approximate/);
    expect(auditBoundLabel('exact', 'hard')).toMatch(/Clopper–Pearson/);
    expect(intervalConfidenceText(0.05)).toBe('each end holds with confidence 0.95; together 0.9');
  });
});
