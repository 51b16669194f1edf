/** Saved constraints, and the constraint fields that runs, audits and experiments share. */
import { z } from 'zod';
import { id, text } from '../wire';
import { columnName } from './fields';

export const subRegime = z.enum(['classification', 'multiclass_classification']);
export const delta = z.number().gt(0).lt(1);

export const savedConstraint = z.object({
  id,
  name: z.string(),
  source: z.string(),
  delta,
  /** The sensitive columns it was written for (checked against them when saved). */
  columns: z.array(z.string()),
  subRegime,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SavedConstraint = z.infer<typeof savedConstraint>;

export const saveConstraintInput = z.object({
  /** Absent: a new constraint; else the one to overwrite. */
  id: id.optional(),
  name: text(200),
  source: text(4000),
  delta,
  columns: z.array(columnName).min(1).max(256),
  subRegime: subRegime.optional(),
});
