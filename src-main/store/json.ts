/**
 * JSON in which non-finite numbers survive: written as {"$number": "inf" | "-inf" | "nan"}, a form no
 * ordinary value takes, so decoding is unambiguous. Stored settings, g values and bounds may be NaN or ±∞.
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' };
    return v;
  });
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$number') {
        const tag = (v as { $number: unknown }).$number;
        if (tag === 'inf') return Infinity;
        if (tag === '-inf') return -Infinity;
        if (tag === 'nan') return Number.NaN;
      }
    }
    return v;
  }) as T;
}
