import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The golden fixtures, read in place from the shared folder beside the checkout (never copied). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/seldonian/', import.meta.url));

/** Every folder below `root` that holds both spec.json and expected.json. */
export function findGoldenCases(root: string = FIXTURES_DIR): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    if (existsSync(join(dir, 'spec.json')) && existsSync(join(dir, 'expected.json'))) found.push(dir);
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) visit(path);
    }
  };
  visit(root);
  return found.sort();
}

/** Reads the fixtures' number convention back: "inf", "-inf", "nan" → numbers. */
export function fixtureNumber(value: unknown): number {
  if (value === 'inf') return Infinity;
  if (value === '-inf') return -Infinity;
  if (value === 'nan') return Number.NaN;
  if (typeof value !== 'number') throw new Error(`expected a number, got ${JSON.stringify(value)}`);
  return value;
}

/** The tolerance table of the fixtures README. */
export const TOLERANCE = {
  earlyTraceRelative: 1e-9,
  earlyTraceLastIteration: 100,
  late: 1e-3,
  chosenIndexFeasibleFRelative: 1e-6,
  chosenIndexFallbackGNorm: 1e-4,
} as const;

/** |actual − expected| ≤ rel·|expected| (non-finite values must be identical). */
export function closeRelative(actual: number, expected: number, rel: number): boolean {
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return Object.is(actual, expected) || (Number.isNaN(actual) && Number.isNaN(expected));
  return Math.abs(actual - expected) <= rel * Math.abs(expected) + 1e-300;
}

/** 1e-3 absolute, or 1e-3 relative where the value exceeds 1 (the README's "late" rule). */
export function closeLate(actual: number, expected: number): boolean {
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return Object.is(actual, expected);
  return Math.abs(actual - expected) <= TOLERANCE.late * Math.max(1, Math.abs(expected));
}
