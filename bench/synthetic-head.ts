/**
 * A seeded stand-in for Tutorial J's head problem: N rows of d-dimensional latent features (float32,
 * as latent features are stored), a binary label that depends on the features, and one-hot M/F groups
 * whose label noise differs so the accuracy-ratio constraint binds.
 */
export interface SyntheticHead {
  readonly nRows: number;
  readonly nFeatures: number;
  readonly features: Float32Array;
  readonly labels: Float64Array;
  readonly sensitive: Uint8Array;
  readonly thetaInit: Float64Array;
}

/** mulberry32: small, fast and good enough for benchmark data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeSyntheticHead(nRows: number, nFeatures: number, seed: number): SyntheticHead {
  const uniform = mulberry32(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const direction = Float64Array.from({ length: nFeatures }, () => normal() / Math.sqrt(nFeatures));
  const features = new Float32Array(nRows * nFeatures);
  const labels = new Float64Array(nRows);
  const sensitive = new Uint8Array(nRows * 2);
  for (let i = 0; i < nRows; i++) {
    let score = 0;
    for (let j = 0; j < nFeatures; j++) {
      const x = Math.max(0, normal()); // ReLU-like latent activations
      features[i * nFeatures + j] = x;
      score += x * direction[j];
    }
    const female = uniform() < 0.5;
    sensitive[i * 2 + (female ? 1 : 0)] = 1;
    const noise = female ? 0.3 : 0.1;
    const label = score > 0 ? 1 : 0;
    labels[i] = uniform() < noise ? 1 - label : label;
  }
  const thetaInit = Float64Array.from({ length: nFeatures + 1 }, () => (uniform() - 0.5) / Math.sqrt(nFeatures));
  return { nRows, nFeatures, features, labels, sensitive, thetaInit };
}
