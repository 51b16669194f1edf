import { z } from 'zod';

/**
 * A contract result as the app's routes send it (z.encode: keys outside the schema dropped, non-finite
 * numbers as 'inf' / '-inf' / 'nan'), so `--json` prints exactly what the app's route would return.
 */
export function contractJson<S extends z.ZodType>(schema: S, value: z.output<S>): string {
  return JSON.stringify(z.encode(schema, value));
}
