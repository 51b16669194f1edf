/**
 * Trial data (X:generate_plots.py `generate_resampled_datasets`, X:experiment_utils.py
 * `load_resampled_datasets`): per trial i, N indices drawn uniformly with replacement from 0…N−1; for a
 * data fraction φ the trial data are the first round(φ·N) of them (Python's round, half to even). So the
 * fractions of one trial are nested prefixes of one resample, and every model sees the same rows (paired
 * comparisons). The library draws from numpy's unseeded global RNG; here each resample has its own seed,
 * derived from the experiment's, and the drawn indices are stored, never regenerated, so a re-run reads
 * exactly the same rows.
 */
import { randomInt } from 'node:crypto';
import { roundHalfEven } from '../../src-shared/bounds/rounding';
import { isValidSeed, MAX_SEED, Xoshiro128 } from '../data/shuffle';

/** splitmix32's finaliser: neighbouring inputs give unrelated outputs. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Streams derived from an experiment's seed. Fixed forever: stored seeds must keep their meaning. */
export const SEED_STREAM = { resample: 1, modelInit: 2 } as const;

/**
 * A seed in 0..2^32−1 for stream `stream`, item `index` of experiment seed `seed`.
 * @example deriveExperimentSeed(7, SEED_STREAM.resample, 3) // the seed of trial 3's resample
 */
export function deriveExperimentSeed(seed: number, stream: number, index: number): number {
  if (!isValidSeed(seed)) throw new RangeError(`deriveExperimentSeed: seed must be an integer in 0..${MAX_SEED}, got ${seed}`);
  return mix32((mix32((mix32(seed) ^ mix32(stream)) >>> 0) ^ mix32(index >>> 0)) >>> 0);
}

/** A fresh random seed for an experiment that was given none. */
export function randomSeed(): number {
  return randomInt(0, MAX_SEED + 1);
}

/**
 * N indices drawn uniformly with replacement from 0…N−1 by xoshiro128** seeded with `seed`.
 * @example bootstrapIndices(5, 42) // e.g. Int32Array [3, 0, 3, 1, 4], always the same for seed 42
 */
export function bootstrapIndices(nRows: number, seed: number): Int32Array {
  if (!Number.isInteger(nRows) || nRows < 1) throw new RangeError(`bootstrapIndices: need at least one row, got ${nRows}`);
  const rng = new Xoshiro128(seed);
  const indices = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) indices[i] = rng.nextBelow(nRows);
  return indices;
}

/**
 * round(φ·N) with Python's rounding, as `prep_feat_labels` computes it; a fraction that gives no row
 * is an error there and here.
 * @example trialRowCount(0.5, 5) === 2; trialRowCount(0.1, 25) === 2; trialRowCount(0.3, 5) === 2
 */
export function trialRowCount(fraction: number, nRows: number): number {
  const n = roundHalfEven(fraction * nRows);
  if (!(n >= 1)) throw new RangeError(`data fraction ${fraction} of ${nRows} rows gives ${n} rows; the smallest fraction must give at least one`);
  return n;
}

/** The trial data of a resample at fraction φ: its first round(φ·N) indices (a view, not a copy). */
export function trialRows(resample: Int32Array, fraction: number): Int32Array {
  return resample.subarray(0, trialRowCount(fraction, resample.length));
}
