/**
 * Per-dataset summary: label balance overall, rows and label balance per sensitive
 * column and per intersection of two declared families (M∧White), and warnings for groups too small
 * to bound. With fewer than ~5 rows in a group, the Student-t bound on any quantity conditioned on it
 * is infinite (or meaningless), so a constraint on that group ends in No Solution Found.
 */
import type { ReadableDB } from './database';
import { getDataset, iterateLabelsAndSensitive, type DatasetInfo } from './datasets';

export const DEFAULT_MIN_GROUP_SIZE = 5;

export interface GroupCount {
  /** `M`, or `M∧White` for an intersection. */
  readonly name: string;
  readonly columns: readonly string[];
  readonly count: number;
  /** Rows of this group per class id (length nClasses). */
  readonly labelCounts: readonly number[];
}

export interface Intersection extends GroupCount {
  /** The two families crossed, e.g. ['sex', 'race']. */
  readonly families: readonly [string, string];
}

export interface SummaryWarning {
  /** `small-group`: the group itself; `small-label-group`: the group's rows of one class (FNR, TPR, … condition on it). */
  readonly kind: 'small-group' | 'small-label-group';
  readonly group: string;
  readonly count: number;
  readonly label?: number;
  readonly message: string;
}

export interface DatasetSummary {
  readonly dataset: DatasetInfo;
  readonly minGroupSize: number;
  /** Rows per class id. */
  readonly labelCounts: readonly number[];
  /** One per sensitive column, in column order. */
  readonly groups: readonly GroupCount[];
  /** For every pair of declared families, one per pair of members, in family then member order. */
  readonly intersections: readonly Intersection[];
  readonly warnings: readonly SummaryWarning[];
}

export function datasetSummary(db: ReadableDB, id: number, options: { minGroupSize?: number } = {}): DatasetSummary {
  const dataset = getDataset(db, id);
  if (!dataset) throw new Error(`no dataset with id ${id}`);
  const minGroupSize = options.minGroupSize ?? DEFAULT_MIN_GROUP_SIZE;
  if (!Number.isInteger(minGroupSize) || minGroupSize < 1) throw new Error(`minGroupSize must be a positive integer, got ${minGroupSize}`);

  const k = dataset.sensitiveColumns.length;
  const nClasses = dataset.nClasses;
  const position = new Map(dataset.attributes.map((a) => [a.name, a.position] as const));
  const pairs: { families: [string, string]; a: string; b: string; pa: number; pb: number }[] = [];
  for (let i = 0; i < dataset.families.length; i++) {
    for (let j = i + 1; j < dataset.families.length; j++) {
      const fi = dataset.families[i];
      const fj = dataset.families[j];
      for (const a of fi.columns) {
        for (const b of fj.columns) pairs.push({ families: [fi.name, fj.name], a, b, pa: position.get(a)!, pb: position.get(b)! });
      }
    }
  }

  const labelCounts = new Array<number>(nClasses).fill(0);
  const columnCounts = Array.from({ length: k }, () => new Array<number>(nClasses).fill(0));
  const pairCounts = pairs.map(() => new Array<number>(nClasses).fill(0));
  for (const { label, sensitive } of iterateLabelsAndSensitive(db, id)) {
    labelCounts[label]++;
    for (let c = 0; c < k; c++) if (sensitive[c] === 1) columnCounts[c][label]++;
    for (let p = 0; p < pairs.length; p++) if (sensitive[pairs[p].pa] === 1 && sensitive[pairs[p].pb] === 1) pairCounts[p][label]++;
  }

  const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
  const groups: GroupCount[] = dataset.sensitiveColumns.map((name, c) => ({
    name,
    columns: [name],
    count: sum(columnCounts[c]),
    labelCounts: columnCounts[c],
  }));
  const intersections: Intersection[] = pairs.map((p, i) => ({
    name: `${p.a}∧${p.b}`,
    columns: [p.a, p.b],
    families: p.families,
    count: sum(pairCounts[i]),
    labelCounts: pairCounts[i],
  }));
  return { dataset, minGroupSize, labelCounts, groups, intersections, warnings: warningsFor([...groups, ...intersections], labelCounts, minGroupSize) };
}

function warningsFor(groups: readonly GroupCount[], labelCounts: readonly number[], min: number): SummaryWarning[] {
  const warnings: SummaryWarning[] = [];
  for (const g of groups) {
    if (g.count < min) {
      warnings.push({
        kind: 'small-group',
        group: g.name,
        count: g.count,
        message: `group '${g.name}' has ${g.count} row${g.count === 1 ? '' : 's'} (fewer than ${min}): bounds on it are infinite, so a constraint on it ends in No Solution Found`,
      });
      continue;
    }
    g.labelCounts.forEach((count, label) => {
      if (labelCounts[label] > 0 && count < min) {
        warnings.push({
          kind: 'small-label-group',
          group: g.name,
          label,
          count,
          message: `group '${g.name}' has ${count} row${count === 1 ? '' : 's'} with label ${label} (fewer than ${min}): constraints conditioned on that label (e.g. FNR, TPR) cannot be bounded for it`,
        });
      }
    });
  }
  return warnings;
}
