/** Numbers as the audit pages show them: fixed digits, and ±∞ / NaN spelled out. */
export function num(value: number, digits = 3): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+∞';
  if (value === -Infinity) return '−∞';
  return value.toFixed(digits);
}

export function interval(lower: number, upper: number, digits = 3): string {
  return `[${num(lower, digits)}, ${num(upper, digits)}]`;
}
