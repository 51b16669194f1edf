/**
 * A generated two-group classification problem on which unconstrained logistic regression is unfair:
 * the label's base rate differs between groups M and F, and one feature reveals the group, so the best
 * unconstrained model gives M many more positive predictions than F (demographic parity is violated),
 * while a model that ignores the group feature is fair and still accurate. Used to check that an
 * experiment shows the QSA's guarantee (tests, demos); written in the Seldonian Toolkit's CSV format.
 */
import { Xoshiro128 } from '../../src-main/data/shuffle';

export interface TwoGroupOptions {
  readonly nRows: number;
  readonly seed: number;
  /** Logit shift of the label: +gap for M, −gap for F (default 1.5). */
  readonly gap?: number;
}

export interface TwoGroupData {
  readonly nRows: number;
  /** Row-major nRows × 3: [signal, group feature, noise]. */
  readonly features: Float64Array;
  readonly nFeatures: number;
  readonly labels: Float64Array;
  /** One-hot [M, F] per row. */
  readonly sensitive: Uint8Array;
  readonly featureNames: readonly string[];
}

export function twoGroupData(options: TwoGroupOptions): TwoGroupData {
  const { nRows, seed } = options;
  const gap = options.gap ?? 1.5;
  const rng = new Xoshiro128(seed);
  const uniform = (): number => (rng.nextUint32() + 0.5) / 0x100000000;
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const d = 3;
  const features = new Float64Array(nRows * d);
  const labels = new Float64Array(nRows);
  const sensitive = new Uint8Array(nRows * 2);
  for (let i = 0; i < nRows; i++) {
    const male = uniform() < 0.5;
    const signal = normal();
    const logit = 2 * signal + (male ? gap : -gap);
    labels[i] = uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    features[i * d] = signal;
    features[i * d + 1] = (male ? 1 : -1) + 0.3 * normal();
    features[i * d + 2] = normal();
    sensitive[i * 2 + (male ? 0 : 1)] = 1;
  }
  return { nRows, features, nFeatures: d, labels, sensitive, featureNames: ['signal', 'group_hint', 'noise'] };
}

/** The Seldonian Toolkit's headerless CSV (features, M, F, label) and its metadata JSON. */
export function twoGroupSeldonianFiles(data: TwoGroupData): { csv: string; metadata: string } {
  const lines: string[] = [];
  for (let i = 0; i < data.nRows; i++) {
    const row = Array.from(data.features.subarray(i * data.nFeatures, (i + 1) * data.nFeatures), (v) => String(v));
    lines.push([...row, data.sensitive[i * 2], data.sensitive[i * 2 + 1], data.labels[i]].join(','));
  }
  const metadata = {
    regime: 'supervised_learning',
    sub_regime: 'classification',
    all_col_names: [...data.featureNames, 'M', 'F', 'label'],
    label_col_names: ['label'],
    sensitive_col_names: ['M', 'F'],
  };
  return { csv: `${lines.join('\n')}\n`, metadata: JSON.stringify(metadata) };
}
