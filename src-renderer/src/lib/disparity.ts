/**
 * Fairlearn's MetricFrame by_group / difference / ratio, with intervals: per group of one sensitive family
 * (or an intersection of two), a rate's value and interval, and its difference and ratio against a
 * reference group, bounded from both groups' intervals (interval arithmetic).
 */
import type { AuditGroupRow, DatasetInfo } from '../../../src-shared/contract';

export interface Family {
  readonly key: string;
  readonly label: string;
  /** The groups of this family: each a list of columns that must all be 1. */
  readonly groups: readonly (readonly string[])[];
}

/** The dataset's families, and every pair of them crossed; without families, the sensitive columns as one. */
export function familiesOf(dataset: Pick<DatasetInfo, 'families' | 'sensitiveColumns'>): Family[] {
  const families = dataset.families.length > 0 ? dataset.families : [{ name: 'sensitive columns', columns: dataset.sensitiveColumns }];
  const single = families.map((f) => ({ key: f.name, label: f.name, groups: f.columns.map((c) => [c]) }));
  const crossed: Family[] = [];
  for (let i = 0; i < families.length; i++) {
    for (let j = i + 1; j < families.length; j++) {
      const a = families[i], b = families[j];
      crossed.push({ key: `${a.name}×${b.name}`, label: `${a.name} × ${b.name}`, groups: a.columns.flatMap((x) => b.columns.map((y) => [x, y])) });
    }
  }
  return [...single, ...crossed];
}

/** The intersections an audit must compute for the crossed families (capped at the route's 64). */
export function intersectionsFor(dataset: Pick<DatasetInfo, 'families' | 'sensitiveColumns'>): string[][] {
  return familiesOf(dataset)
    .filter((f) => f.groups.some((g) => g.length > 1))
    .flatMap((f) => f.groups.map((g) => [...g]))
    .slice(0, 64);
}

export interface Bounded {
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
}

export interface DisparityRow {
  readonly group: string;
  readonly n: number;
  readonly rate: Bounded & { readonly n: number };
  readonly difference: Bounded;
  readonly ratio: Bounded;
  readonly isReference: boolean;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/** Division of intervals for non-negative rates: [a.l / b.u, a.u / b.l], ∞ where b may be 0. */
function ratioOf(a: Bounded, b: Bounded): Bounded {
  const value = b.value === 0 ? Number.NaN : a.value / b.value;
  const lower = b.upper > 0 ? a.lower / b.upper : 0;
  const upper = b.lower > 0 ? a.upper / b.lower : Infinity;
  return { value, lower, upper };
}

/** Rows of one family for one rate against a reference group (its columns); groups the audit has not computed are left out. */
export function disparityRows(groups: readonly AuditGroupRow[], family: Family, rate: string, reference: readonly string[]): DisparityRow[] {
  const rows = family.groups.flatMap((cols) => {
    const g = groups.find((x) => sameColumns(x.columns, cols));
    const r = g?.rates[rate];
    return g && r ? [{ g, r }] : [];
  });
  const ref = rows.find((x) => sameColumns(x.g.columns, reference))?.r;
  return rows.map(({ g, r }) => {
    const rateB: Bounded & { n: number } = { value: r.mean, lower: r.lower, upper: r.upper, n: r.n };
    const refB: Bounded | null = ref ? { value: ref.mean, lower: ref.lower, upper: ref.upper } : null;
    return {
      group: g.group,
      n: g.n,
      rate: rateB,
      difference: refB ? { value: r.mean - refB.value, lower: r.lower - refB.upper, upper: r.upper - refB.lower } : { value: Number.NaN, lower: Number.NaN, upper: Number.NaN },
      ratio: refB ? ratioOf(rateB, refB) : { value: Number.NaN, lower: Number.NaN, upper: Number.NaN },
      isReference: sameColumns(g.columns, reference),
    };
  });
}

/** Below this many rows a group's intervals are wide and the Student-t bound unreliable: flagged. */
export const SMALL_GROUP_ROWS = 30;
