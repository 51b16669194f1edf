/**
 * Seeded row-order shuffles. The stored order is what the engine's split uses, so a shuffle must be
 * reproducible from its seed alone: Fisher–Yates driven by xoshiro128** (Blackman & Vigna, 2018),
 * seeded through splitmix32, with unbiased bounded integers by rejection. The algorithm is fixed:
 * changing it would change the rows of every stored seed.
 */

/** Largest seed accepted: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

export function isValidSeed(seed: number): boolean {
  return Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED;
}

/** xoshiro128**: four 32-bit words of state, 32-bit outputs. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!isValidSeed(seed)) throw new RangeError(`seed must be an integer in 0..${MAX_SEED}, got ${seed}`);
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32 (the 32-bit variant of Steele et al.'s splitmix) expands the seed into the state.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** Uniform integer in [0, bound) for 1 ≤ bound ≤ 2^32, without modulo bias. */
  nextBelow(bound: number): number {
    const limit = 0x100000000 - (0x100000000 % bound); // accept values below the largest multiple of bound
    for (;;) {
      const v = this.nextUint32();
      if (v < limit) return v % bound;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * `perm[i]` is the source position of the row stored at position i; the identity for n ≤ 1.
 * @example seededPermutation(5, 7) // always the same 5-permutation for seed 7
 */
export function seededPermutation(n: number, seed: number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new Xoshiro128(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextBelow(i + 1);
    const tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
  return perm;
}
