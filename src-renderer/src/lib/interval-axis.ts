/** An axis fitted to one interval (and its mean), so that narrow intervals are not drawn as dots. */
export interface FittedAxis {
  readonly min: number;
  readonly max: number;
  /** Decimals that tell the ticks apart. */
  readonly digits: number;
}

/**
 * The finite values' span with a quarter of it as margin on each side (at least 0.002), at nice
 * decimals. With no finite value, [0, 1].
 */
export function axisFitting(values: readonly number[], extra: readonly number[] = []): FittedAxis {
  const finite = [...values, ...extra].filter(Number.isFinite);
  if (finite.length === 0) return { min: 0, max: 1, digits: 1 };
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const pad = Math.max((hi - lo) * 0.25, 0.002, Math.abs(hi) * 1e-6);
  const span = hi - lo + 2 * pad;
  const digits = Math.min(8, Math.max(1, Math.ceil(-Math.log10(span / 4)) + 1));
  const scale = 10 ** digits;
  return { min: Math.floor((lo - pad) * scale) / scale, max: Math.ceil((hi + pad) * scale) / scale, digits };
}

/** A tick at the axis's decimals, without trailing zeros. */
export function tickLabel(value: number, axis: FittedAxis): string {
  return String(Number(value.toFixed(axis.digits)));
}
