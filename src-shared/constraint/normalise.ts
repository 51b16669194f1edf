import type { SourceSpan } from './ast';
import { fail } from './errors';
import { isBlank } from './lexer';
import type { CharOrigin, OperatorToken, SourceMap, Token } from './lexer';

/**
 * Inequality normalisation: `a <= b` and `a >= b` become one expression g that must be ≤ 0. The
 * rewrite is textual and identical to the engine's `_preprocess_constraint_str`, because the
 * normalised string is the constraint's identity (`constraint_strs_parsed`). The checks around it
 * are stricter than the engine's and positioned.
 */

export type InequalityOperator = '<=' | '>=';

/** One side of the inequality as the user typed it, for validating each side on its own. */
export interface ConstraintSide {
  readonly tokens: readonly Token[];
  /** Where the side's text ends: the inequality operator for the left side, else the end of input. */
  readonly end: SourceSpan;
}

export interface NormalisedConstraint {
  /** The engine's g string, e.g. `0.95-(ACC)`. */
  readonly text: string;
  /** Maps every character of `text` back to what the user typed; `-(` and `)` map onto the operator. */
  readonly map: SourceMap;
  readonly inequality: OperatorToken | null;
  /** The sides in the order typed (one when there is no inequality). */
  readonly sides: readonly ConstraintSide[];
}

function isInequality(token: Token): token is OperatorToken & { text: InequalityOperator } {
  return token.kind === 'operator' && (token.text === '<=' || token.text === '>=');
}

function comparisonMessage(op: string, at: string): string {
  switch (op) {
    case '<':
    case '>':
      return `strict comparison '${op}' ${at} is not supported: use '${op}='`;
    case '==':
    case '!=':
    case '=':
      return `'${op}' ${at} is not supported: a constraint is an inequality written with '<=' or '>='`;
    default:
      return `'${op}' ${at} is not supported`;
  }
}

/** The engine allows one inequality and forbids any other comparison; report the first offender. */
function checkComparisons(source: string, tokens: readonly Token[]): OperatorToken | null {
  const inequalities = tokens.filter(isInequality);
  if (inequalities.length > 1) {
    const [first, second] = inequalities;
    fail(source, 'inequality', second.span, (at) =>
      first.text === second.text
        ? `only one inequality is allowed: a second '${second.text}' ${at}`
        : `'<=' and '>=' cannot be mixed: '${second.text}' ${at} follows '${first.text}' at column ${first.span.start}`,
    );
  }
  const stray = tokens.find(
    (t) => t.kind === 'operator' && (t.text === '<' || t.text === '>' || t.text === '==' || t.text === '!=' || t.text === '='),
  );
  if (stray !== undefined) {
    fail(source, 'inequality', stray.span, (at) => comparisonMessage(stray.text, at));
  }
  return inequalities[0] ?? null;
}

/** Python's `str.strip()` for the characters that can reach here (anything else failed to tokenise). */
function stripRange(source: string, from: number, to: number): [number, number] {
  let a = from;
  let b = to;
  while (a < b && isBlank(source[a])) a++;
  while (b > a && isBlank(source[b - 1])) b--;
  return [a, b];
}

interface Piece {
  readonly text: string;
  readonly origin: (i: number) => CharOrigin;
}

function copied(source: string, [from, to]: [number, number]): Piece {
  return { text: source.slice(from, to), origin: (i) => ({ lo: from + i, hi: from + i + 1, synthetic: false }) };
}

function inserted(text: string, op: OperatorToken): Piece {
  const lo = op.offset;
  const hi = op.endOffset;
  return { text, origin: () => ({ lo, hi, synthetic: true }) };
}

function assemble(source: string, pieces: readonly Piece[]): { text: string; map: SourceMap } {
  const chars: CharOrigin[] = [];
  for (const piece of pieces) for (let i = 0; i < piece.text.length; i++) chars.push(piece.origin(i));
  return { text: pieces.map((p) => p.text).join(''), map: { original: source, chars } };
}

/**
 * `LHS <= RHS` → `LHS` if RHS is literally "0", else `LHS-(RHS)`;
 * `LHS >= RHS` → `RHS` if LHS is literally "0", else `RHS-(LHS)`; no inequality → unchanged.
 */
export function rewriteInequality(source: string, op: OperatorToken | null): { text: string; map: SourceMap } {
  if (op === null) return assemble(source, [copied(source, [0, source.length])]);
  const lhs = stripRange(source, 0, op.offset);
  const rhs = stripRange(source, op.endOffset, source.length);
  const lhsText = source.slice(...lhs);
  const rhsText = source.slice(...rhs);
  const [kept, subtracted, zero] = op.text === '<=' ? [lhs, rhs, rhsText] : [rhs, lhs, lhsText];
  if (zero === '0') return assemble(source, [copied(source, kept)]);
  return assemble(source, [copied(source, kept), inserted('-(', op), copied(source, subtracted), inserted(')', op)]);
}

/** Validates the inequality structure of `tokens` (the user's string, tokenised) and normalises it. */
export function normaliseConstraint(source: string, tokens: readonly Token[]): NormalisedConstraint {
  if (tokens.length === 0) {
    fail(source, 'empty', { start: 1, end: 2 }, (at) => `the constraint is empty ${at}: write e.g. 'ACC >= 0.9'`);
  }
  const op = checkComparisons(source, tokens);
  const last = tokens[tokens.length - 1];
  const endOfInput: SourceSpan = { start: last.span.end, end: last.span.end + 1 };
  const { text, map } = rewriteInequality(source, op);
  if (op === null) return { text, map, inequality: null, sides: [{ tokens, end: endOfInput }] };

  const left = tokens.filter((t) => t.offset < op.offset);
  const right = tokens.filter((t) => t.offset >= op.endOffset);
  if (left.length === 0) {
    fail(source, 'empty', op.span, (at) => `nothing before '${op.text}' ${at}: the left side of the inequality is empty`);
  }
  if (right.length === 0) {
    fail(source, 'empty', { start: op.span.end, end: op.span.end + 1 }, (at) =>
      `nothing after '${op.text}': the right side of the inequality is empty ${at}`,
    );
  }
  return { text, map, inequality: op, sides: [{ tokens: left, end: op.span }, { tokens: right, end: endOfInput }] };
}
