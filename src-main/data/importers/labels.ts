/**
 * Labels as written in a file → class ids, per the dataset's `LabelMapping` (stored with it):
 * - no mapping: labels must be integers ≥ 0 and are their own class ids (K = max + 1, at least 2);
 * - `classes`: the allowed labels in class-id order (`cat,dog` → 0, 1); anything else is refused;
 * - `positiveClasses`: binary, labels in the set → 1, all others → 0 (Fashion-MNIST 0,2,4,6 → 1).
 * Numeric labels compare as numbers, so `1.0` in a file matches class `1`.
 */
import type { LabelMapping } from '../../store/datasets';
import { InputError } from '../../errors/input-error';
import { MAX_CLASS_ID } from '../file-limits';
import { canonicalValue } from './attributes';

export interface LabelOptions {
  readonly classes?: readonly string[];
  readonly positiveClasses?: readonly string[];
}

export type LabelResult = { ok: true; label: number } | { ok: false; detail: string };

export class LabelMapper {
  readonly mapping: LabelMapping;
  private readonly classIds: Map<string, number> | undefined;
  private readonly positive: Set<string> | undefined;
  private maxLabel = 0;

  constructor(options: LabelOptions = {}) {
    const classes = options.classes?.map((c) => c.trim());
    if (classes !== undefined) {
      if (classes.length < 2) throw new InputError(`at least 2 classes are needed, got ${classes.length} (${classes.join(', ')})`);
      const seen = new Map<string, number>();
      classes.forEach((c, i) => {
        if (c === '') throw new InputError('a class name is empty');
        if (seen.has(canonicalValue(c))) throw new InputError(`class '${c}' is listed twice`);
        seen.set(canonicalValue(c), i);
      });
      this.classIds = seen;
    }
    const positive = options.positiveClasses?.map((c) => c.trim());
    if (positive !== undefined) {
      if (positive.length === 0) throw new InputError('the set of positive classes is empty');
      for (const p of positive) {
        if (this.classIds && !this.classIds.has(canonicalValue(p))) {
          throw new InputError(`positive class '${p}' is not one of the classes ${classes!.join(', ')}`);
        }
        if (!this.classIds && classId(p) === undefined) {
          throw new InputError(`positive class '${p}' is not a class id (an integer 0–${MAX_CLASS_ID})`);
        }
      }
      this.positive = new Set(positive.map(canonicalValue));
    }
    this.mapping = { ...(classes ? { classes } : {}), ...(positive ? { positiveClasses: positive } : {}) };
  }

  /** The class id of a file label, or why it is not allowed. */
  map(raw: string): LabelResult {
    const cell = raw.trim();
    if (cell === '') return { ok: false, detail: 'empty label' };
    const key = canonicalValue(cell);
    let id: number | undefined;
    if (this.classIds) {
      id = this.classIds.get(key);
      if (id === undefined) return { ok: false, detail: `label ${quote(cell)} is not one of the classes ${[...this.mapping.classes!].join(', ')}` };
    } else {
      id = classId(cell);
      if (id === undefined) {
        return { ok: false, detail: `label ${quote(cell)} is not a class id (an integer 0–${MAX_CLASS_ID}); name the classes to map other labels` };
      }
    }
    if (this.positive) return { ok: true, label: this.positive.has(key) ? 1 : 0 };
    if (id > this.maxLabel) this.maxLabel = id;
    return { ok: true, label: id };
  }

  /** K: 2 for a binary mapping, the number of classes when named, else the largest id seen + 1 (at least 2). */
  get nClasses(): number {
    if (this.positive) return 2;
    if (this.classIds) return this.classIds.size;
    return Math.max(2, this.maxLabel + 1);
  }
}

function classId(cell: string): number | undefined {
  if (!/^\+?\d+(?:\.0*)?$/.test(cell)) return undefined;
  const value = Number(cell);
  return Number.isInteger(value) && value <= MAX_CLASS_ID ? value : undefined;
}

function quote(cell: string): string {
  return cell.length > 40 ? `'${cell.slice(0, 37)}...'` : `'${cell}'`;
}
