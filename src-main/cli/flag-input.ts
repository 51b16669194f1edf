/**
 * Flags turned into a contract input are checked by the contract's own zod schema, so a face cannot
 * accept what the app's routes refuse; the first complaint names the flag, not the schema's field.
 */
import type { z } from 'zod';
import { UsageError } from './usage-error';

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `--delta` for constraints[2].delta, `--batch-size` for batchSize, or what `renamed` says (architecture → model). */
function flagFor(path: readonly PropertyKey[], renamed: Readonly<Record<string, string>>): string {
  const [first] = path;
  if (first === 'constraints') return path.includes('delta') ? '--delta' : '--constraint';
  const key = String(first);
  return `--${renamed[key] ?? kebab(key)}`;
}

export function parseFlagInput<S extends z.ZodType>(schema: S, candidate: z.input<S>, renamed: Readonly<Record<string, string>> = {}): z.output<S> {
  const parsed = schema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UsageError(issue ? `${flagFor(issue.path, renamed)}: ${issue.message}` : 'invalid flags');
}
