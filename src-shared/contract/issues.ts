/**
 * A request that does not match its route's schema, in words a form can show next to its own labels:
 * each problem with the field's path (`resize`, `constraints.0.delta`) and a plain sentence ("must be at
 * least 4"), never zod's internal text ("Too small: expected number to be >=4").
 */
import type { z } from 'zod';
import type { ErrorData } from './errors';

export interface FieldIssue {
  /** The input's key path, dot-separated, list indexes as numbers: `constraints.0.delta`. */
  readonly field: string;
  readonly problem: string;
}

function bound(value: number | bigint, inclusive: boolean | undefined, atLeast: boolean): string {
  if (atLeast) return inclusive === false ? `must be more than ${value}` : `must be at least ${value}`;
  return inclusive === false ? `must be less than ${value}` : `must be at most ${value}`;
}

/** The value at `path` in `input`, or undefined where the path does not lead anywhere. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** One zod issue as a plain sentence about its field (`input`: the request, to tell a missing value from a wrong one). */
export function plainProblem(issue: z.core.$ZodIssue, input?: unknown): string {
  const missing = input !== undefined && valueAt(input, issue.path) === undefined;
  switch (issue.code) {
    case 'invalid_type': {
      if (missing) return 'is required';
      if (issue.expected === 'int') return 'must be a whole number';
      if (issue.expected === 'number') return 'must be a number';
      return `must be a ${issue.expected}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set') return `needs at least ${issue.minimum}`;
      return bound(issue.minimum, issue.inclusive, true);
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set') return `takes at most ${issue.maximum}`;
      return bound(issue.maximum, issue.inclusive, false);
    case 'invalid_value':
      if (missing) return 'is required';
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return issue.message;
  }
}

export function fieldIssues(error: z.ZodError, input?: unknown): FieldIssue[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join('.'), problem: plainProblem(issue, input) }));
}

/** The error data of a request its route's schema refused: the first problem in the message, every one in `issues`. */
export function badRequestData(route: string, error: z.ZodError, input?: unknown): ErrorData {
  const issues = fieldIssues(error, input);
  const first = issues[0];
  const message = first ? `${route}: ${first.field === '' ? '' : `${first.field}: `}${first.problem}` : `${route}: invalid request`;
  return { name: 'BadRequest', code: 'bad_request', message, ...(first ? { detail: first.problem, issues } : {}) };
}
