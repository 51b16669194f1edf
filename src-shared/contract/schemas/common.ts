/** Inputs and outputs that several routes share, whatever their domain. */
import { z } from 'zod';
import { id } from '../wire';

export const empty = z.object({});
export const idRef = z.object({ id });
export const deleted = z.object({ deleted: z.boolean() });
