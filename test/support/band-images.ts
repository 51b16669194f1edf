/**
 * Synthetic image sets for tests and benchmarks: reproducible from a seed, no files, and learnable,
 * so a correct training loop must drive the loss down on them.
 */
import { Xoshiro128 } from '../../src-main/data/shuffle';
import type { ImageSet } from '../../src-main/deep/images';

export interface SyntheticOptions {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels?: number;
  readonly numClasses: number;
  readonly seed: number;
  /** Background noise amplitude in grey levels (default 60). */
  readonly noise?: number;
}

/**
 * Class k is a bright horizontal band in the k-th of numClasses equal strips of the image, over uniform
 * noise: linearly separable, and separable by a small CNN after a few batches. Labels cycle 0, 1, …, K−1.
 */
export function bandImages(options: SyntheticOptions): { images: ImageSet; labels: Int32Array } {
  const { n, height, width, numClasses, seed } = options;
  const channels = options.channels ?? 1;
  const noise = options.noise ?? 60;
  if (numClasses > height) throw new RangeError(`bandImages: ${numClasses} bands do not fit in ${height} rows`);
  const rng = new Xoshiro128(seed);
  const pixels = new Uint8Array(n * height * width * channels);
  const labels = new Int32Array(n);
  const strip = height / numClasses;
  let p = 0;
  for (let i = 0; i < n; i++) {
    const label = i % numClasses;
    labels[i] = label;
    const top = Math.floor(label * strip);
    const bottom = Math.max(top + 1, Math.floor((label + 1) * strip));
    for (let y = 0; y < height; y++) {
      const inBand = y >= top && y < bottom;
      for (let x = 0; x < width * channels; x++) {
        const base = inBand ? 255 - noise : 0;
        pixels[p++] = base + rng.nextBelow(noise + 1);
      }
    }
  }
  return { images: { pixels, n, height, width, channels }, labels };
}
