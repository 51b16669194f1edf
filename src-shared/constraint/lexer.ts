import type { SourceSpan } from './ast';
import { fail } from './errors';

/**
 * Tokens of the constraint language: the subset of Python's expression tokens the engine can meet.
 * Operators the language does not support are still tokenised (rather than reported as stray characters)
 * so the parser can say "'%' is not supported" at the right column.
 */

export type Punct = '(' | ')' | '[' | ']' | ',';

export type OperatorSymbol =
  | '+' | '-' | '*' | '/' | '**' | '|'
  | '%' | '//' | '@' | '&' | '^' | '~' | '<<' | '>>'
  | '<' | '>' | '<=' | '>=' | '==' | '!=' | '=';

interface TokenBase {
  readonly text: string;
  /** Columns in the user's original string (see SourceMap). */
  readonly span: SourceSpan;
  /** 0-based offsets in the text that was tokenised. */
  readonly offset: number;
  readonly endOffset: number;
  /** True when every character was inserted by inequality normalisation (`-(` … `)`). */
  readonly synthetic: boolean;
}

export interface NumberToken extends TokenBase {
  readonly kind: 'number';
  readonly value: number;
  /** Integer literal (no `.`/exponent): only these may be class subscripts. */
  readonly isInteger: boolean;
}
export interface NameToken extends TokenBase {
  readonly kind: 'name';
}
export interface KeywordToken extends TokenBase {
  readonly kind: 'keyword';
}
export interface PunctToken extends TokenBase {
  readonly kind: 'punct';
  readonly text: Punct;
}
export interface OperatorToken extends TokenBase {
  readonly kind: 'operator';
  readonly text: OperatorSymbol;
}

export type Token = NumberToken | NameToken | KeywordToken | PunctToken | OperatorToken;

/** Where one character of a (possibly rewritten) text came from: original 0-based [lo, hi). */
export interface CharOrigin {
  readonly lo: number;
  readonly hi: number;
  readonly synthetic: boolean;
}

/** Maps a text (the user's string, or the normalised g string) back onto the user's original string. */
export interface SourceMap {
  /** What the user typed; error messages and carets refer to it. */
  readonly original: string;
  /** One entry per character of the mapped text. */
  readonly chars: readonly CharOrigin[];
}

export function identityMap(source: string): SourceMap {
  return {
    original: source,
    chars: Array.from({ length: source.length }, (_, i) => ({ lo: i, hi: i + 1, synthetic: false })),
  };
}

/**
 * 1-based span in the original of text[from, to). Rewriting can reorder text (`RHS-(LHS)`), so the span
 * is the hull of every character's origin rather than first/last.
 */
export function spanOf(map: SourceMap, from: number, to: number): SourceSpan {
  if (to <= from) {
    const at = from > 0 ? map.chars[from - 1].hi : 0;
    return { start: at + 1, end: at + 2 };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = from; i < to; i++) {
    lo = Math.min(lo, map.chars[i].lo);
    hi = Math.max(hi, map.chars[i].hi);
  }
  return { start: lo + 1, end: hi + 1 };
}

function isSyntheticRange(map: SourceMap, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!map.chars[i].synthetic) return false;
  return to > from;
}

/** Python's in-line whitespace; a line break would end the Python statement, so it is not whitespace here. */
export function isBlank(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\f';
}

export const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def',
  'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is',
  'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

// Longest first, so `**` is not read as two `*`.
const OPERATORS: readonly OperatorSymbol[] = [
  '**', '//', '<<', '>>', '<=', '>=', '==', '!=',
  '+', '-', '*', '/', '|', '%', '@', '&', '^', '~', '<', '>', '=',
];
const PUNCT: readonly Punct[] = ['(', ')', '[', ']', ','];

// Python literal syntax (underscores between digits allowed). Hex/octal/binary first: `0x1` is one token.
const PREFIXED_INT = /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+/y;
const DIGITS = String.raw`\d(?:_?\d)*`;
const EXPONENT = String.raw`[eE][+-]?${DIGITS}`;
const DECIMAL = new RegExp(`(?:${DIGITS})?\\.${DIGITS}(?:${EXPONENT})?|${DIGITS}\\.?(?:${EXPONENT})?`, 'y');
const IDENTIFIER = /[\p{ID_Start}_]\p{ID_Continue}*/uy;
const IDENTIFIER_CHAR = /[\p{ID_Continue}]/u;

function matchAt(re: RegExp, text: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(text);
  return m === null ? null : m[0];
}

function describeChar(ch: string): string {
  if (ch === '\n' || ch === '\r') return 'line break';
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f || /\s/u.test(ch)) {
    return `invisible character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `character '${ch}'`;
}

function characterHint(ch: string): string {
  switch (ch) {
    case '#':
      return ' (comments are not allowed)';
    case '\n':
    case '\r':
      return ' (write the constraint on one line)';
    default:
      return '';
  }
}

/** Tokenises `text`; every span is mapped back to the user's original string through `map`. */
export function tokenize(text: string, map: SourceMap): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const base = (from: number, to: number) => ({
    text: text.slice(from, to),
    span: spanOf(map, from, to),
    offset: from,
    endOffset: to,
    synthetic: isSyntheticRange(map, from, to),
  });

  while (i < text.length) {
    const ch = text[i];
    if (isBlank(ch)) {
      i++;
      continue;
    }

    const number = matchAt(PREFIXED_INT, text, i) ?? (/[0-9.]/.test(ch) ? matchAt(DECIMAL, text, i) : null);
    if (number !== null) {
      tokens.push(numberToken(text, i, i + number.length, map, base));
      i += number.length;
      continue;
    }

    const identifier = matchAt(IDENTIFIER, text, i);
    if (identifier !== null) {
      const kind = PYTHON_KEYWORDS.has(identifier) ? 'keyword' : 'name';
      tokens.push({ kind, ...base(i, i + identifier.length) });
      i += identifier.length;
      continue;
    }

    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op !== undefined) {
      tokens.push({ kind: 'operator', ...base(i, i + op.length), text: op });
      i += op.length;
      continue;
    }

    const punct = PUNCT.find((p) => p === ch);
    if (punct !== undefined) {
      tokens.push({ kind: 'punct', ...base(i, i + 1), text: punct });
      i += 1;
      continue;
    }

    const codePoint = String.fromCodePoint(text.codePointAt(i) ?? 0);
    fail(map.original, 'unexpected_character', spanOf(map, i, i + codePoint.length), (at) =>
      `unexpected ${describeChar(codePoint)} ${at}${characterHint(codePoint)}`,
    );
  }
  return tokens;
}

function numberToken(
  text: string,
  from: number,
  to: number,
  map: SourceMap,
  base: (from: number, to: number) => Omit<NumberToken, 'kind' | 'value' | 'isInteger'>,
): NumberToken {
  // Python rejects a literal glued to a name (`2a`, `1e`, `1_`, `1j`): report the whole run of characters.
  let end = to;
  while (end < text.length && IDENTIFIER_CHAR.test(text[end])) end++;
  const literal = text.slice(from, to);
  if (end > to) {
    fail(map.original, 'unexpected_token', spanOf(map, from, end), (at) =>
      `malformed number '${text.slice(from, end)}' ${at}`,
    );
  }
  const prefixed = /^0[xXoObB]/.test(literal);
  const isInteger = prefixed || !/[.eE]/.test(literal);
  if (isInteger && !prefixed && /^0[_0]*[1-9]/.test(literal)) {
    fail(map.original, 'unexpected_token', spanOf(map, from, to), (at) =>
      `leading zeros are not allowed in the integer '${literal}' ${at}`,
    );
  }
  return { kind: 'number', ...base(from, to), value: Number(literal.replace(/_/g, '')), isInteger };
}
