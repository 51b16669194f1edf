import type { CompileOptions, CompileResult, CompiledConstraint, SourceSpan } from './ast';
import { assignBounds } from './bounds-needed';
import { ConstraintFailure, fail } from './errors';
import { identityMap, tokenize } from './lexer';
import type { Token } from './lexer';
import { normaliseConstraint } from './normalise';
import { checkBrackets, lowerSyntax, parseTokens } from './parser';

export type * from './ast';
export { renderCaret } from './errors';
export { DEFAULT_INFLATION_FACTOR, forLowerBound, uniqueBoundCount } from './bounds-needed';
export { POW_WARNING } from './parser';

/** Far beyond any real constraint; keeps every recursive stage well inside the call stack. */
const MAX_SOURCE_LENGTH = 4000;

/**
 * Compiles a constraint string: parses it, checks it against the regime and assigns each base node's
 * needed bounds and δ shares. Never throws for bad input: every problem comes back as
 * `{ ok: false, error }` with a 1-based column in `source`.
 */
export function compileConstraint(source: string, options: CompileOptions): CompileResult {
  try {
    return { ok: true, constraint: compile(source, options) };
  } catch (e) {
    if (e instanceof ConstraintFailure) return { ok: false, error: e.error };
    throw e;
  }
}

function endAfter(tokens: readonly Token[], fallback: SourceSpan): SourceSpan {
  const last = tokens[tokens.length - 1];
  return last === undefined ? fallback : { start: last.span.end, end: last.span.end + 1 };
}

function compile(source: string, options: CompileOptions): CompiledConstraint {
  const { delta } = options;
  if (!(Number.isFinite(delta) && delta > 0 && delta < 1)) {
    fail(source, 'bad_delta', { start: 1, end: 2 }, (at) => `δ must lie strictly between 0 and 1 but is ${delta} (reported ${at})`);
  }
  if (source.length > MAX_SOURCE_LENGTH) {
    fail(source, 'unexpected_token', { start: MAX_SOURCE_LENGTH + 1, end: source.length + 1 }, (at) =>
      `the constraint is longer than ${MAX_SOURCE_LENGTH} characters; the excess starts ${at}`,
    );
  }

  const normalised = normaliseConstraint(source, tokenize(source, identityMap(source)));

  // Validate each side as typed before the rewrite, so errors come in reading order and a dangling
  // operator cannot silently absorb the inserted `-(`, e.g. `ACC * <= 0.5` would become `ACC *-(0.5)`.
  const where = normalised.inequality === null ? '' : ` (brackets must close on the same side of '${normalised.inequality.text}')`;
  for (const side of normalised.sides) checkBrackets(source, side.tokens, where);
  for (const side of normalised.sides) lowerSyntax(parseTokens(source, side.tokens, side.end), options, source);

  const gTokens = tokenize(normalised.text, normalised.map);
  const lowered = lowerSyntax(parseTokens(source, gTokens, endAfter(gTokens, { start: 1, end: 2 })), options, source);
  if (lowered.baseNodes.length === 0) {
    fail(source, 'empty', { start: 1, end: source.length + 1 }, (at) =>
      `the constraint starting ${at} mentions no measure: it must involve at least one, e.g. ACC or (PR | [M])`,
    );
  }

  return {
    source,
    parsed: normalised.text,
    delta,
    root: lowered.root,
    baseNodes: assignBounds(lowered.root, lowered.baseNodes, delta, options.inflationFactor),
    warnings: lowered.warnings,
  };
}
