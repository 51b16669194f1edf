/** Saved constraints: checked with the engine's compiler against their columns before they are stored. */
import { compileConstraint } from '../../src-shared/constraint';
import { ConstraintCompileError } from '../engine/run-case';
import { deleteConstraint, listConstraints, saveConstraint } from '../store/constraints';
import type { Handler } from './context';

export const listConstraintsHandler: Handler<'constraints.list'> = (_input, ctx) => listConstraints(ctx.db);

export const saveConstraintHandler: Handler<'constraints.save'> = (input, ctx) => {
  const subRegime = input.subRegime ?? 'classification';
  const compiled = compileConstraint(input.source, { columns: input.columns, subRegime, delta: input.delta });
  if (!compiled.ok) throw new ConstraintCompileError('constraint', compiled.error);
  return saveConstraint(ctx.db, { ...input, subRegime });
};

export const deleteConstraintHandler: Handler<'constraints.delete'> = (input, ctx) => ({ deleted: deleteConstraint(ctx.db, input.id) });
