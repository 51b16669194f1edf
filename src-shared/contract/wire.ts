/**
 * Wire-level building blocks of the contract. Everything that crosses a process boundary is JSON (over
 * HTTP/WebSocket in browser mode) or structured-cloned (Electron IPC); the contract is written once for
 * the stricter of the two, JSON.
 *
 * Bounds and rates can be ±∞ or NaN (an empty group has an infinite bound), which JSON cannot carry. A
 * `wireNumber` is a number in memory and `number | "inf" | "-inf" | "nan"` on the wire, the same
 * convention as the CLI's `--json` output and the golden fixtures. It is a zod codec: `z.encode` turns
 * values into wire form, `z.decode` (= `parse`) turns wire form back, and both validate.
 */
import { z } from 'zod';

const NON_FINITE = { inf: Infinity, '-inf': -Infinity, nan: Number.NaN } as const;

/** Any IEEE double in memory (z.number() refuses ±∞ and NaN, which bounds legitimately are). */
const anyDouble = z.custom<number>((value) => typeof value === 'number', { message: 'expected a number' });

/**
 * @example z.encode(wireNumber, Infinity) // "inf"
 * @example z.decode(wireNumber, "nan")    // NaN
 */
export const wireNumber = z.codec(z.union([z.number(), z.enum(['inf', '-inf', 'nan'])]), anyDouble, {
  decode: (wire) => (typeof wire === 'number' ? wire : NON_FINITE[wire]),
  encode: (value) => (Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : value),
});

/** A JSON-safe `number | null`. */
export const wireNumberOrNull = wireNumber.nullable();

/** Row counts, ids, sizes. */
export const count = z.number().int().nonnegative();
export const id = z.number().int().positive();

/** Strings the user typed or picked (paths, names): non-empty, bounded so a bad client cannot send megabytes. */
export const text = (max = 4096) => z.string().min(1).max(max);

/**
 * What a handler may return for an output type: the same shape with readonly arrays and properties, so
 * the store's readonly domain objects (DatasetInfo, DatasetSummary, …) can be returned as they are.
 */
export type ReadonlyDeep<T> = T extends (infer U)[]
  ? readonly ReadonlyDeep<U>[]
  : T extends readonly (infer U)[]
    ? readonly ReadonlyDeep<U>[]
    : T extends object
      ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> }
      : T;
