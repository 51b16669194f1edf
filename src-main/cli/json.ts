/**
 * JSON with the fixtures' convention for non-finite numbers ("inf", "-inf", "nan"), so output can be
 * compared with the original engine's expected.json and parsed by any JSON reader.
 */
export function nonFiniteAsStrings(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (value === Infinity) return 'inf';
    if (value === -Infinity) return '-inf';
    return value;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, nonFiniteAsStrings);
  }
  if (Array.isArray(value)) return value.map(nonFiniteAsStrings);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = nonFiniteAsStrings(item);
    return out;
  }
  return value;
}

export function stringifyJson(value: unknown, indent?: number): string {
  return JSON.stringify(nonFiniteAsStrings(value), null, indent);
}
