/**
 * The CLI's side of data/safe-write.ts: an existing output file is replaced only with --force; without
 * it the command stops with exit code 2 (an InputError) naming the file.
 */
import { TargetExistsError } from '../data/safe-write';
import { InputError } from '../errors/input-error';

/** The --force flag's definition for parseArgs. */
export const FORCE_OPTION = { force: { type: 'boolean', default: false } } as const;

/** Runs `work`; a TargetExistsError becomes "<file> exists; use --force to overwrite" (exit 2). */
export async function refusingExisting<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TargetExistsError) throw new InputError(`${error.path} exists; use --force to overwrite`, {}, { cause: error });
    throw error;
  }
}
