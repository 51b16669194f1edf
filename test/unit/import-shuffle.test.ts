/**
 * Invariant under test: the seeded shuffle is exactly xoshiro128** seeded by splitmix32 (checked
 * against the C reference implementation), and a permutation is a permutation, stable per seed.
 */
import { describe, expect, it } from 'vitest';
import { seededPermutation, Xoshiro128 } from '../../src-main/data/shuffle';

describe('Xoshiro128', () => {
  it('matches the C reference (prng.di.unimi.it/xoshiro128starstar.c with the splitmix32 seeding of shuffle.ts)', () => {
    // Printed by the reference C code compiled with gcc -O2 (see the header of shuffle.ts for the algorithm).
    const seed0 = new Xoshiro128(0);
    expect(Array.from({ length: 5 }, () => seed0.nextUint32())).toEqual([3809008728, 1133695204, 53579671, 2891528803, 139681546]);
    const seedMax = new Xoshiro128(4294967295);
    expect(Array.from({ length: 5 }, () => seedMax.nextUint32())).toEqual([835879718, 1921286648, 2356205009, 1885780724, 980451116]);
  });

  it('refuses seeds outside 0..2^32−1', () => {
    expect(() => new Xoshiro128(-1)).toThrow(RangeError);
    expect(() => new Xoshiro128(2 ** 32)).toThrow(RangeError);
    expect(() => new Xoshiro128(1.5)).toThrow(RangeError);
  });

  it('nextBelow is uniform enough and in range', () => {
    const rng = new Xoshiro128(42);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[rng.nextBelow(6)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
  });
});

describe('seededPermutation', () => {
  it('is a permutation, the same for the same seed, different for another', () => {
    const p = seededPermutation(1000, 7);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(seededPermutation(1000, 7)).toEqual(p);
    expect(seededPermutation(1000, 8)).not.toEqual(p);
    expect(Array.from(seededPermutation(1, 3))).toEqual([0]);
    expect(Array.from(seededPermutation(0, 3))).toEqual([]);
  });
});
