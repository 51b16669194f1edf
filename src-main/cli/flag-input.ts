/**
 * Flags turned into a contract input are checked by the contract's own zod schema, so a face cannot
 * accept what the app's routes refuse; the first complaint names the flag, not the schema's field.
 */
import type { z } from 'zod';
import { UsageError } from './usage-error';

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * `--delta` for constraints[2].delta, `--batch-size` for batchSize, or what `renamed` says (architecture →
 * model): for a nested field, its dotted path without array indices (`pairs.images` for pairs[1].images)
 * first, then each shorter one down to the top field.
 */
function flagFor(path: readonly PropertyKey[], renamed: Readonly<Record<string, string>>): string {
  const [first] = path;
  if (first === 'constraints') return path.includes('delta') ? '--delta' : '--constraint';
  const keys = path.filter((key) => typeof key === 'string');
  for (let n = keys.length; n > 0; n--) {
    const flag = renamed[keys.slice(0, n).join('.')];
    if (flag !== undefined) return `--${flag}`;
  }
  return `--${kebab(String(first))}`;
}

export function parseFlagInput<S extends z.ZodType>(schema: S, candidate: z.input<S>, renamed: Readonly<Record<string, string>> = {}): z.output<S> {
  const parsed = schema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UsageError(issue ? `${flagFor(issue.path, renamed)}: ${issue.message}` : 'invalid flags');
}
