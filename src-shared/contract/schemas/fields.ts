/**
 * Field shapes shared by several domains' schemas. Internal to the schemas: the contract's public
 * surface is what src-shared/contract/schemas.ts re-exports, and these are not part of it.
 */
import { z } from 'zod';
import { text } from '../wire';

export const columnName = text(200);
export const path = text(4096);
export const seed = z.number().int().min(0).max(0xffffffff);
