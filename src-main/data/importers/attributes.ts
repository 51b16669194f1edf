/**
 * Sensitive attributes: one-hot 0/1 columns, taken from a CSV as they are or derived from a
 * categorical column (gender 0/1 → M, F), optionally grouped into families that must be one-hot in
 * every row (sex = M, F). The plan is validated once; the row reader then only indexes arrays.
 */
import type { AttributeFamily } from '../../store/datasets';
import type { HeaderedCsv } from '../csv-records';
import { InputError } from '../../errors/input-error';

export interface DerivedAttribute {
  /** Column holding a categorical value (e.g. `gender`, `ethnicity`). */
  readonly column: string;
  /** One new 0/1 column per value, e.g. `{ value: '0', name: 'M' }, { value: '1', name: 'F' }`. */
  readonly values: readonly { readonly value: string; readonly name: string }[];
  /** Family of the new columns; default: the source column's name. */
  readonly family?: string;
}

export interface AttributeOptions {
  /** One-hot 0/1 columns of the CSV, in this order. */
  readonly sensitive?: readonly string[];
  /** Columns derived from categorical ones; they come after `sensitive`, each group forming a family. */
  readonly derive?: readonly DerivedAttribute[];
  /** Groups of sensitive columns of which exactly one is 1 in every row. */
  readonly families?: readonly AttributeFamily[];
}

export interface PlannedAttribute {
  readonly name: string;
  readonly family: string | null;
  readonly derivedFrom: string | null;
}

export interface AttributePlan {
  readonly attributes: readonly PlannedAttribute[];
  readonly families: readonly AttributeFamily[];
}

/**
 * Checks that attribute and family names are unique and that every family member is an attribute
 * of at most one family; returns the attributes (with their families) in blob order.
 */
export function planAttributes(
  columns: readonly { name: string; derivedFrom: string | null }[],
  families: readonly AttributeFamily[],
): AttributePlan {
  const familyOf = new Map<string, string>();
  const names = new Set<string>();
  for (const c of columns) {
    if (c.name.trim() === '') throw new InputError('a sensitive column name is empty');
    if (names.has(c.name)) throw new InputError(`sensitive column '${c.name}' is listed twice`);
    names.add(c.name);
  }
  const familyNames = new Set<string>();
  for (const f of families) {
    if (f.name.trim() === '') throw new InputError('a family name is empty');
    if (familyNames.has(f.name)) throw new InputError(`family '${f.name}' is declared twice`);
    familyNames.add(f.name);
    if (f.columns.length < 2) throw new InputError(`family '${f.name}' needs at least 2 columns, got ${f.columns.length}`);
    for (const member of f.columns) {
      if (!names.has(member)) {
        throw new InputError(`family '${f.name}' lists '${member}', which is not a sensitive column (sensitive: ${[...names].join(', ') || 'none'})`);
      }
      const other = familyOf.get(member);
      if (other !== undefined) throw new InputError(`column '${member}' is in two families, '${other}' and '${f.name}'`);
      familyOf.set(member, f.name);
    }
  }
  return {
    attributes: columns.map((c) => ({ name: c.name, family: familyOf.get(c.name) ?? null, derivedFrom: c.derivedFrom })),
    families: families.map((f) => ({ name: f.name, columns: [...f.columns] })),
  };
}

/** Checks that each family is one-hot in a row's sensitive bytes. */
export class FamilyChecker {
  private readonly members: { name: string; columns: readonly string[]; positions: Int32Array }[];

  constructor(plan: AttributePlan) {
    const position = new Map(plan.attributes.map((a, i) => [a.name, i] as const));
    this.members = plan.families.map((f) => ({ name: f.name, columns: f.columns, positions: Int32Array.from(f.columns, (c) => position.get(c)!) }));
  }

  /** Throws an InputError naming the row and the family when a family is not exactly one 1. */
  check(bytes: Uint8Array, where: { file: string; row: number }): void {
    for (const f of this.members) {
      let ones = 0;
      for (const p of f.positions) ones += bytes[p];
      if (ones !== 1) {
        const values = f.columns.map((c, i) => `${c}=${bytes[f.positions[i]]}`).join(', ');
        throw new InputError(`family '${f.name}' is not one-hot: exactly one of ${f.columns.join(', ')} must be 1, got ${values}`, where);
      }
    }
  }
}

/** Reads the sensitive bytes of each record of a headered CSV according to `AttributeOptions`. */
export class CsvAttributeReader {
  readonly plan: AttributePlan;
  readonly width: number;
  private readonly oneHotSources: Int32Array;
  private readonly derived: { source: number; column: string; values: Map<string, number>; listed: string }[];
  private readonly checker: FamilyChecker;

  constructor(
    private readonly csv: HeaderedCsv,
    options: AttributeOptions,
  ) {
    const sensitive = options.sensitive ?? [];
    const derive = options.derive ?? [];
    const columns: { name: string; derivedFrom: string | null }[] = sensitive.map((name) => ({ name, derivedFrom: null }));
    const families: AttributeFamily[] = [...(options.families ?? [])];
    for (const d of derive) {
      if (d.values.length < 2) throw new InputError(`deriving from '${d.column}' needs at least 2 values, got ${d.values.length}`);
      for (const v of d.values) columns.push({ name: v.name, derivedFrom: `${d.column} = ${v.value}` });
      families.push({ name: d.family ?? d.column, columns: d.values.map((v) => v.name) });
    }
    if (columns.length === 0) throw new InputError('no sensitive attributes: name one-hot columns or derive them from a categorical column');
    this.plan = planAttributes(columns, families);
    this.width = columns.length;
    this.oneHotSources = Int32Array.from(sensitive, (name) => csv.column(name, 'sensitive'));
    let offset = sensitive.length;
    this.derived = derive.map((d) => {
      const values = new Map<string, number>();
      d.values.forEach((v, i) => {
        const key = canonicalValue(v.value.trim());
        if (values.has(key)) throw new InputError(`deriving from '${d.column}': value '${v.value}' is listed twice`);
        values.set(key, offset + i);
      });
      offset += d.values.length;
      return { source: csv.column(d.column, 'categorical'), column: d.column, values, listed: d.values.map((v) => v.value).join(', ') };
    });
    this.checker = new FamilyChecker(this.plan);
  }

  /** Fills `out` (length `width`) from a record; InputErrors name the file, line and column. */
  read(cells: readonly string[], line: number, out: Uint8Array): void {
    const file = this.csv.path;
    for (let s = 0; s < this.oneHotSources.length; s++) {
      const j = this.oneHotSources[s];
      const cell = cells[j];
      if (cell === '0' || cell === '1') out[s] = cell === '0' ? 0 : 1;
      else {
        const value = canonicalValue(cell);
        if (value !== '0' && value !== '1') {
          const got = cell === '' ? 'an empty cell' : `'${cell.length > 40 ? `${cell.slice(0, 37)}...` : cell}'`;
          throw new InputError(`expected 0 or 1, got ${got}`, { file, row: line, column: this.csv.header[j] });
        }
        out[s] = value === '0' ? 0 : 1;
      }
    }
    for (const d of this.derived) {
      for (const position of d.values.values()) out[position] = 0;
      const cell = cells[d.source];
      const position = d.values.get(canonicalValue(cell));
      if (position === undefined) {
        const got = cell === '' ? 'an empty cell' : `'${cell}'`;
        throw new InputError(`expected one of ${d.listed} (the values given to derive from it), got ${got}`, { file, row: line, column: d.column });
      }
      out[position] = 1;
    }
    this.checker.check(out, { file, row: line });
  }
}

/** Numbers by value (`1.0` ≡ `1`), anything else as written. */
export function canonicalValue(cell: string): string {
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(cell) ? String(Number(cell)) : cell;
}
