/**
 * A refused request's fields named as the form labels them: the form gives its labels by key path, `#`
 * standing for any list index and `{n}` in the label for that index counted from 1
 * (`{ 'constraints.#.delta': 'δ of constraint {n}' }`).
 */
import type { FairboundError } from '../../../src-shared/contract';

export type FieldLabels = Readonly<Record<string, string>>;

/** The form's label of `field`, or the path itself where the form has none. */
export function labelFor(field: string, labels: FieldLabels): string {
  if (labels[field] !== undefined) return labels[field];
  const parts = field.split('.');
  const index = parts.find((p) => /^\d+$/.test(p));
  const pattern = parts.map((p) => (/^\d+$/.test(p) ? '#' : p)).join('.');
  const label = labels[pattern];
  if (label !== undefined) return index === undefined ? label : label.replace('{n}', String(Number(index) + 1));
  // A deeper path under a labelled one (`constraints.0.source` under `constraints`): the nearest label.
  for (let n = parts.length - 1; n > 0; n--) {
    const shorter = parts.slice(0, n).join('.');
    const near = labels[shorter] ?? labels[parts.slice(0, n).map((p) => (/^\d+$/.test(p) ? '#' : p)).join('.')];
    if (near !== undefined) return index === undefined ? near : near.replace('{n}', String(Number(index) + 1));
  }
  return field;
}

/** "Resize to: must be at least 4", one line per field at fault; empty when the error names no field. */
export function fieldProblems(error: FairboundError | null, labels: FieldLabels): string[] {
  return (error?.data.issues ?? []).map((issue) => (issue.field === '' ? issue.problem : `${labelFor(issue.field, labels)}: ${issue.problem}`));
}
