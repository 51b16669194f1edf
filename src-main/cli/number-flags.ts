/** Numeric flags with a default: the value, or a usage error naming the flag and what it must be. */
import { UsageError } from './usage-error';

export function numberOption(name: string, raw: string | undefined, fallback: number, check: (v: number) => boolean, what: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return value;
}

export function integerOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return value;
}
