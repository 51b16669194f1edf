/** Saved constraints: checked with the engine's compiler against their columns before they are stored. */
import { ConstraintCompileError } from '../errors/constraint-compile-error';
import { compileForDataset } from '../engine/compile-for-dataset';
import { deleteConstraint, listConstraints, saveConstraint } from '../store/constraints';
import type { Handler } from './context';

export const listConstraintsHandler: Handler<'constraints.list'> = (_input, ctx) => listConstraints(ctx.db);

export const saveConstraintHandler: Handler<'constraints.save'> = (input, ctx) => {
  const subRegime = input.subRegime ?? 'classification';
  // No dataset yet: the columns it was written for, without a class count.
  compileForDataset([input], { sensitiveColumns: input.columns, subRegime }, (_i, error) => new ConstraintCompileError('constraint', error));
  return saveConstraint(ctx.db, { ...input, subRegime });
};

export const deleteConstraintHandler: Handler<'constraints.delete'> = (input, ctx) => ({ deleted: deleteConstraint(ctx.db, input.id) });
