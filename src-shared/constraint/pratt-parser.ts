/** The Pratt parser: tokens of one expression → the Python-shaped syntax tree, refusing what Python would. */
import type { SourceSpan } from './ast';
import { fail } from './errors';
import type { PunctToken, Token } from './lexer';
import { joinSpans } from './syntax';
import type { InfixSymbol, Syntax } from './syntax';

// Precedence (Python's): `|` < `+ -` < `* /` < unary `-` < `**` < call/subscript.
// Left-associative operators bind their right operand one step tighter than themselves; `**` is
// right-associative and its right operand may start with a unary minus (`2 ** -1`), so it is parsed at
// the unary level, while a unary minus on its left parses its operand at the unary level and so lets
// `**` bind first (`-a ** b` = -(a ** b)).

interface BindingPower {
  readonly left: number;
  readonly right: number;
}

const INFIX_PRECEDENCE: Readonly<Record<InfixSymbol, BindingPower>> = {
  '|': { left: 10, right: 11 },
  '+': { left: 20, right: 21 },
  '-': { left: 20, right: 21 },
  '*': { left: 30, right: 31 },
  '/': { left: 30, right: 31 },
  '**': { left: 50, right: 40 },
};

const PREFIX_MINUS_POWER = 40;

/** Deep enough for any real constraint, shallow enough that recursion can never exhaust the stack. */
const MAX_NESTING = 100;

function isInfixSymbol(text: string): text is InfixSymbol {
  return Object.hasOwn(INFIX_PRECEDENCE, text);
}

/** Python operators the engine refuses ("An operator was used which we do not support"). */
const UNSUPPORTED_OPERATORS: ReadonlyMap<string, string> = new Map([
  ['%', 'modulo'],
  ['//', 'floor division'],
  ['@', 'matrix multiplication'],
  ['&', 'bitwise and'],
  ['^', "bitwise xor (use '**' for powers)"],
  ['~', 'bitwise not'],
  ['<<', 'shift'],
  ['>>', 'shift'],
  ['and', 'logical and'],
  ['or', 'logical or'],
  ['not', 'logical not'],
  ['in', 'membership test'],
  ['is', 'identity test'],
  ['if', 'conditional expression'],
]);

const SUPPORTED_HINT = "use + - * / ** and min, max, abs, exp, log, pow";

function tokenLabel(token: Token): string {
  return token.synthetic ? `the '${token.text}' that normalising the inequality inserts` : `'${token.text}'`;
}

/** Parses one whole expression; `end` is where to point when the tokens run out. */
export function parseTokens(source: string, tokens: readonly Token[], end: SourceSpan): Syntax {
  let pos = 0;
  let depth = 0;

  const peek = (): Token | undefined => tokens[pos];
  const isPunct = (t: Token | undefined, text: string): t is PunctToken => t?.kind === 'punct' && t.text === text;
  const spanHere = (): SourceSpan => peek()?.span ?? end;

  const failExpected = (expected: string): never => {
    const t = peek();
    if (t === undefined) {
      return fail(source, 'unexpected_end', end, (at) => `the expression is incomplete ${at}: expected ${expected}`);
    }
    const unsupported = UNSUPPORTED_OPERATORS.get(t.text);
    if ((t.kind === 'operator' || t.kind === 'keyword') && unsupported !== undefined) {
      return fail(source, 'unsupported_operator', t.span, (at) =>
        `'${t.text}' (${unsupported}) ${at} is not supported: ${SUPPORTED_HINT}`,
      );
    }
    return fail(source, 'unexpected_token', t.span, (at) => `expected ${expected} ${at} but found ${tokenLabel(t)}`);
  };

  const expectCloser = (closer: ')' | ']', opener: Token): SourceSpan => {
    const t = peek();
    if (!isPunct(t, closer)) return failExpected(`',' or '${closer}' (closing '${opener.text}' at column ${opener.span.start})`);
    pos++;
    return t.span;
  };

  /** Comma-separated items up to `closer`; Python allows a trailing comma. */
  const parseItems = (closer: ')' | ']', opener: Token): { items: Syntax[]; close: SourceSpan; comma: SourceSpan | null } => {
    const items: Syntax[] = [];
    let comma: SourceSpan | null = null;
    while (!isPunct(peek(), closer)) {
      items.push(parseExpression(0));
      const t = peek();
      if (!isPunct(t, ',')) break;
      comma ??= t.span;
      pos++;
    }
    return { items, close: expectCloser(closer, opener), comma };
  };

  const parsePrefix = (): Syntax => {
    const t = peek();
    if (t === undefined) return failExpected('a value');
    switch (t.kind) {
      case 'number':
        pos++;
        return { kind: 'number', value: t.value, isInteger: t.isInteger, span: t.span };
      case 'name':
        pos++;
        return { kind: 'name', name: t.text, span: t.span };
      case 'keyword':
        if (t.text === 'not') {
          return fail(source, 'unsupported_operator', t.span, (at) => `'not' ${at} is not supported: ${SUPPORTED_HINT}`);
        }
        return fail(source, 'unexpected_token', t.span, (at) => `'${t.text}' ${at} is a Python keyword and cannot be used here`);
      case 'operator':
        if (t.text === '-') {
          pos++;
          const operand = parseExpression(PREFIX_MINUS_POWER);
          return { kind: 'negate', operand, sign: t.span, span: joinSpans(t.span, operand.span) };
        }
        if (t.text === '+' || t.text === '~') {
          return fail(source, 'unsupported_operator', t.span, (at) =>
            `unary '${t.text}' ${at} is not supported${t.text === '+' ? ': remove it' : ''}`,
          );
        }
        return failExpected('a value');
      case 'punct':
        return parseBracketed(t);
    }
  };

  const parseBracketed = (t: PunctToken): Syntax => {
    switch (t.text) {
      case '(': {
        pos++;
        if (isPunct(peek(), ')')) return failExpected('an expression inside the parentheses');
        const { items, close, comma } = parseItems(')', t);
        if (comma !== null) return { kind: 'tuple', items, comma, span: joinSpans(t.span, ...items.map((i) => i.span), close) };
        // Python keeps no node for grouping parentheses; the span grows so errors underline them too,
        // except for the `-(`…`)` normalisation inserted, which the user never typed.
        const inner = items[0];
        return t.synthetic ? inner : { ...inner, span: joinSpans(t.span, inner.span, close) };
      }
      case '[': {
        pos++;
        const { items, close } = parseItems(']', t);
        return { kind: 'list', items, span: joinSpans(t.span, close) };
      }
      case ')':
      case ']':
      case ',':
        return failExpected('a value');
    }
  };

  const parsePostfix = (left: Syntax, open: PunctToken): Syntax => {
    pos++;
    if (open.text === '(') {
      const { items, close } = parseItems(')', open);
      return { kind: 'call', callee: left, args: items, span: joinSpans(left.span, close) };
    }
    if (isPunct(peek(), ']')) return failExpected('a class index');
    const { items, close } = parseItems(']', open);
    return { kind: 'subscript', target: left, indices: items, open: open.span, span: joinSpans(left.span, close) };
  };

  function parseExpression(minPower: number): Syntax {
    if (++depth > MAX_NESTING) {
      fail(source, 'unexpected_token', spanHere(), (at) => `the expression is nested too deeply ${at}`);
    }
    let left = parsePrefix();
    for (;;) {
      const t = peek();
      if (t === undefined) break;
      if (isPunct(t, '(') || isPunct(t, '[')) {
        // Calls and subscripts bind tighter than any operator.
        left = parsePostfix(left, t);
        continue;
      }
      if (t.kind === 'operator' && isInfixSymbol(t.text)) {
        const power = INFIX_PRECEDENCE[t.text];
        if (power.left <= minPower) break;
        pos++;
        const right = parseExpression(power.right);
        left = { kind: 'binary', op: t.text, left, right, opSpan: t.span, span: joinSpans(left.span, t.span, right.span) };
        continue;
      }
      if ((t.kind === 'operator' || t.kind === 'keyword') && UNSUPPORTED_OPERATORS.has(t.text)) failExpected('an operator');
      break;
    }
    depth--;
    return left;
  }

  const root = parseExpression(0);
  if (pos < tokens.length) failExpected('an operator or the end of the expression');
  return root;
}
