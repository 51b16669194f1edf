/**
 * Canonical JSON, the byte form a certificate's settings are hashed in: object keys sorted by UTF-16
 * code units at every depth, no whitespace, strings and numbers as JSON.stringify writes them (numbers:
 * the shortest decimal that reads back as the same double), UTF-8. Values are plain JSON (a contract
 * value after z.encode: non-finite numbers already as "inf", "-inf", "nan").
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`canonicalJson: ${value} is not JSON (encode it first)`);
    const text = JSON.stringify(value);
    if (text === undefined) throw new Error(`canonicalJson: a ${typeof value} is not JSON`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}
