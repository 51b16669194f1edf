/**
 * Derived seeds: one user-visible seed per run must give every weight tensor and every epoch's batch
 * order its own reproducible stream. Mixing with a fixed hash (the splitmix32 finaliser) keeps streams
 * of neighbouring seeds and indices unrelated; the result is stable across versions, so stored seeds keep
 * reproducing the same numbers.
 */
import { isValidSeed, MAX_SEED } from '../data/shuffle';

export { isValidSeed, MAX_SEED };

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seed in 0..2^32−1 for stream `parts` of `seed`.
 * @example deriveSeed(7, 3, 0) // the seed of weight tensor 3, part 0, for model seed 7
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  if (!isValidSeed(seed)) throw new RangeError(`deriveSeed: seed must be an integer in 0..${MAX_SEED}, got ${seed}`);
  let h = mix32(seed);
  for (const p of parts) h = mix32((h ^ mix32(p >>> 0)) >>> 0);
  return h;
}
