import type {
  BinaryOperator,
  CompileOptions,
  ExprNode,
  MeasureName,
  SourceSpan,
  SubRegime,
  UnaryOperator,
} from './ast';
import { fail } from './errors';
import type { Punct, PunctToken, Token } from './lexer';

/**
 * Two stages: a Pratt parser turns tokens into a Python-shaped syntax tree, then `lowerSyntax` checks it
 * against the regime (measures, attributes, functions) and builds the engine's tree (spec §1.3–1.5).
 * Keeping them apart lets the parser stay a plain expression parser while every "this is valid Python
 * but meaningless here" rule lives in one place.
 */

// ---------------------------------------------------------------------------------------------------
// Syntax tree

export type InfixSymbol = '+' | '-' | '*' | '/' | '**' | '|';

export type Syntax =
  | { readonly kind: 'number'; readonly value: number; readonly isInteger: boolean; readonly span: SourceSpan }
  | { readonly kind: 'name'; readonly name: string; readonly span: SourceSpan }
  | { readonly kind: 'list'; readonly items: readonly Syntax[]; readonly span: SourceSpan }
  | { readonly kind: 'tuple'; readonly items: readonly Syntax[]; readonly comma: SourceSpan; readonly span: SourceSpan }
  | {
      readonly kind: 'subscript';
      readonly target: Syntax;
      readonly indices: readonly Syntax[];
      readonly open: SourceSpan;
      readonly span: SourceSpan;
    }
  | { readonly kind: 'call'; readonly callee: Syntax; readonly args: readonly Syntax[]; readonly span: SourceSpan }
  | { readonly kind: 'negate'; readonly operand: Syntax; readonly sign: SourceSpan; readonly span: SourceSpan }
  | {
      readonly kind: 'binary';
      readonly op: InfixSymbol;
      readonly left: Syntax;
      readonly right: Syntax;
      readonly opSpan: SourceSpan;
      readonly span: SourceSpan;
    };

function join(...spans: readonly SourceSpan[]): SourceSpan {
  return {
    start: Math.min(...spans.map((s) => s.start)),
    end: Math.max(...spans.map((s) => s.end)),
  };
}

// ---------------------------------------------------------------------------------------------------
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

/** Every bracket must close on the side of the inequality where it opened. */
export function checkBrackets(source: string, tokens: readonly Token[], where: string): void {
  const open: PunctToken[] = [];
  const closerOf: Readonly<Record<Punct, Punct | null>> = { '(': ')', '[': ']', ')': null, ']': null, ',': null };
  for (const token of tokens) {
    if (token.kind !== 'punct') continue;
    if (token.text === '(' || token.text === '[') {
      open.push(token);
      continue;
    }
    if (token.text !== ')' && token.text !== ']') continue;
    const opener = open.pop();
    if (opener === undefined) {
      fail(source, 'unbalanced_brackets', token.span, (at) => `unmatched '${token.text}' ${at}${where}`);
    }
    if (closerOf[opener.text] !== token.text) {
      fail(source, 'unbalanced_brackets', token.span, (at) =>
        `'${token.text}' ${at} does not match '${opener.text}' at column ${opener.span.start}`,
      );
    }
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) {
    fail(source, 'unbalanced_brackets', unclosed.span, (at) => `'${unclosed.text}' ${at} is never closed${where}`);
  }
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
          return { kind: 'negate', operand, sign: t.span, span: join(t.span, operand.span) };
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
        if (comma !== null) return { kind: 'tuple', items, comma, span: join(t.span, ...items.map((i) => i.span), close) };
        // Python keeps no node for grouping parentheses; the span grows so errors underline them too,
        // except for the `-(`…`)` normalisation inserted, which the user never typed.
        const inner = items[0];
        return t.synthetic ? inner : { ...inner, span: join(t.span, inner.span, close) };
      }
      case '[': {
        pos++;
        const { items, close } = parseItems(']', t);
        return { kind: 'list', items, span: join(t.span, close) };
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
      return { kind: 'call', callee: left, args: items, span: join(left.span, close) };
    }
    if (isPunct(peek(), ']')) return failExpected('a class index');
    const { items, close } = parseItems(']', open);
    return { kind: 'subscript', target: left, indices: items, open: open.span, span: join(left.span, close) };
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
        left = { kind: 'binary', op: t.text, left, right, opSpan: t.span, span: join(left.span, t.span, right.span) };
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

// ---------------------------------------------------------------------------------------------------
// Lowering: syntax tree → engine tree, with the regime's rules

/** A unique base node before bounds are assigned (first-occurrence order). */
export interface BaseDraft {
  readonly name: string;
  readonly measure: MeasureName;
  readonly classIndex: readonly number[];
  readonly conditionalColumns: readonly string[];
}

export interface Lowered {
  readonly root: ExprNode;
  readonly baseNodes: readonly BaseDraft[];
  readonly warnings: readonly string[];
}

export const POW_WARNING = '`**` is experimental: its base must stay non-negative';

type LowerOptions = Pick<CompileOptions, 'columns' | 'subRegime' | 'nClasses'>;

/** Measures per sub-regime with the number of class indices each takes (spec §1.5, §2). */
const MEASURES: Readonly<Record<SubRegime, ReadonlyMap<MeasureName, 0 | 1 | 2>>> = {
  classification: new Map<MeasureName, 0 | 1 | 2>([
    ['PR', 0], ['NR', 0], ['FPR', 0], ['TPR', 0], ['FNR', 0], ['TNR', 0], ['ACC', 0],
  ]),
  multiclass_classification: new Map<MeasureName, 0 | 1 | 2>([
    ['PR', 1], ['NR', 1], ['FPR', 1], ['TPR', 1], ['FNR', 1], ['TNR', 1], ['ACC', 0], ['CM', 2],
  ]),
};

type FunctionSpec =
  | { readonly kind: 'binary'; readonly op: Extract<BinaryOperator, 'min' | 'max' | 'pow'> }
  | { readonly kind: 'unary'; readonly op: UnaryOperator };

const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map<string, FunctionSpec>([
  ['min', { kind: 'binary', op: 'min' }],
  ['max', { kind: 'binary', op: 'max' }],
  ['pow', { kind: 'binary', op: 'pow' }],
  ['abs', { kind: 'unary', op: 'abs' }],
  ['exp', { kind: 'unary', op: 'exp' }],
  ['log', { kind: 'unary', op: 'log' }],
]);

const BINARY_OF: Readonly<Record<Exclude<InfixSymbol, '|'>, BinaryOperator>> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mult',
  '/': 'div',
  '**': 'pow',
};

function measureForm(measure: MeasureName, arity: 0 | 1 | 2): string {
  switch (arity) {
    case 0:
      return measure;
    case 1:
      return `${measure}_[k]`;
    case 2:
      return `${measure}_[i,j]`;
  }
}

function knownMeasures(subRegime: SubRegime): string {
  return [...MEASURES[subRegime]].map(([m, arity]) => measureForm(m, arity)).join(', ');
}

interface Measure {
  readonly measure: MeasureName;
  readonly classIndex: readonly number[];
  readonly key: string;
}

/** Lowers a syntax tree; unique base nodes are numbered in left-to-right (= pre-order) first occurrence. */
export function lowerSyntax(syntax: Syntax, options: LowerOptions, source: string): Lowered {
  const measures = MEASURES[options.subRegime];
  const indexByName = new Map<string, number>();
  const baseNodes: BaseDraft[] = [];
  const warnings: string[] = [];

  const warnPow = () => {
    if (!warnings.includes(POW_WARNING)) warnings.push(POW_WARNING);
  };

  const baseRef = (draft: BaseDraft, span: SourceSpan): ExprNode => {
    let index = indexByName.get(draft.name);
    if (index === undefined) {
      index = baseNodes.length;
      indexByName.set(draft.name, index);
      baseNodes.push(draft);
    }
    return { type: 'base', index, span };
  };

  const unknownMeasure = (name: string, span: SourceSpan): never => {
    if (options.columns.includes(name)) {
      return fail(source, 'unknown_measure', span, (at) =>
        `'${name}' ${at} is a sensitive attribute, not a measure: condition a measure on it, e.g. (ACC | [${name}])`,
      );
    }
    if (FUNCTIONS.has(name)) {
      return fail(source, 'unknown_measure', span, (at) => `'${name}' ${at} is a function: call it, e.g. ${name}(...)`);
    }
    return fail(source, 'unknown_measure', span, (at) =>
      `unknown measure '${name}' ${at} (known for ${options.subRegime}: ${knownMeasures(options.subRegime)})`,
    );
  };

  const classIndex = (node: Syntax): number => {
    if (node.kind !== 'number' || !node.isInteger) {
      return fail(source, 'bad_subscript', node.span, (at) => `a class index must be a non-negative integer ${at}`);
    }
    const { nClasses } = options;
    if (nClasses !== undefined && node.value >= nClasses) {
      return fail(source, 'bad_subscript', node.span, (at) =>
        `class index ${node.value} ${at} is out of range: there are ${nClasses} classes (0 to ${nClasses - 1})`,
      );
    }
    return node.value;
  };

  const plainMeasure = (name: string, span: SourceSpan): Measure => {
    const arity = measures.get(name as MeasureName);
    if (arity === undefined) return unknownMeasure(name, span);
    const measure = name as MeasureName;
    if (arity > 0) {
      return fail(source, 'bad_subscript', span, (at) =>
        `${measure} ${at} needs ${arity === 1 ? 'a class index' : 'a true-class and a predicted-class index'} in ${options.subRegime}, e.g. ${arity === 1 ? `${measure}_[0]` : `${measure}_[0,1]`}`,
      );
    }
    return { measure, classIndex: [], key: measure };
  };

  const subscriptedMeasure = (node: Extract<Syntax, { kind: 'subscript' }>): Measure => {
    const target = node.target;
    if (target.kind !== 'name' || target.name === 'e') {
      return fail(source, 'bad_subscript', node.open, (at) => `only a measure can take a class index; '[' ${at} follows something else`);
    }
    const stem = target.name.endsWith('_') ? target.name.slice(0, -1) : null;
    const measureName = stem ?? target.name;
    const arity = measures.get(measureName as MeasureName);
    if (arity === undefined) return unknownMeasure(measureName, target.span);
    const measure = measureName as MeasureName;
    if (stem === null && arity > 0) {
      return fail(source, 'bad_subscript', node.span, (at) =>
        `class indices are written with an underscore: ${measure}_[...] ${at}`,
      );
    }
    if (arity === 0) {
      return fail(source, 'bad_subscript', node.span, (at) =>
        options.subRegime === 'classification'
          ? `class subscripts ${at} are only for multiclass_classification; in classification write ${measure}`
          : `${measure} takes no class index ${at}`,
      );
    }
    if (node.indices.length !== arity) {
      return fail(source, 'bad_subscript', node.span, (at) =>
        `${measure} ${at} takes ${arity === 1 ? 'one class index' : 'two class indices'}, e.g. ${arity === 1 ? `${measure}_[0]` : `${measure}_[0,1]`}`,
      );
    }
    const indices = node.indices.map(classIndex);
    return { measure, classIndex: indices, key: `${measure}_[${indices.join(',')}]` };
  };

  const measureOf = (node: Syntax): Measure | null => {
    switch (node.kind) {
      case 'name':
        return node.name === 'e' ? null : plainMeasure(node.name, node.span);
      case 'subscript':
        return subscriptedMeasure(node);
      case 'number':
      case 'list':
      case 'tuple':
      case 'call':
      case 'negate':
      case 'binary':
        return null;
    }
  };

  const conditional = (node: Extract<Syntax, { kind: 'binary' }>): ExprNode => {
    const measure = measureOf(node.left);
    if (measure === null) {
      return fail(source, 'bad_conditional', node.left.span, (at) =>
        `the left side of '|' ${at} must be a measure such as ACC, e.g. (ACC | [M])`,
      );
    }
    const right = node.right;
    if (right.kind !== 'list') {
      return fail(source, 'bad_conditional', right.span, (at) =>
        `the right side of '|' ${at} must be a bracketed list of attributes like [${options.columns[0] ?? 'M'}]; ` +
          `put the whole conditional in parentheses, e.g. (${measure.key} | [${options.columns[0] ?? 'M'}])`,
      );
    }
    if (right.items.length === 0) {
      return fail(source, 'bad_conditional', right.span, (at) => `the attribute list ${at} is empty`);
    }
    const columns = right.items.map((item) => {
      if (item.kind !== 'name') {
        return fail(source, 'bad_conditional', item.span, (at) => `expected an attribute name ${at}`);
      }
      if (!options.columns.includes(item.name)) {
        return fail(source, 'unknown_attribute', item.span, (at) =>
          `unknown attribute '${item.name}' ${at} (known: ${options.columns.length > 0 ? options.columns.join(', ') : 'none'})`,
        );
      }
      return item.name;
    });
    const name = `${measure.key} | [${columns.join(',')}]`;
    return baseRef({ name, measure: measure.measure, classIndex: measure.classIndex, conditionalColumns: columns }, node.span);
  };

  /** Written like a measure (`ACC`, `PR_[1]`, `(PR | [M])`), whether or not it would validate. */
  const isMeasureLike = (node: Syntax): boolean => {
    switch (node.kind) {
      case 'name':
        return measures.has(node.name as MeasureName);
      case 'subscript':
        return node.target.kind === 'name' && measures.has(node.target.name.replace(/_$/, '') as MeasureName);
      case 'binary':
        return node.op === '|' && isMeasureLike(node.left);
      case 'number':
      case 'list':
      case 'tuple':
      case 'call':
      case 'negate':
        return false;
    }
  };

  const call = (node: Extract<Syntax, { kind: 'call' }>): ExprNode => {
    const callee = node.callee;
    const name = callee.kind === 'name' ? callee.name : null;
    const spec = name === null ? undefined : FUNCTIONS.get(name);
    if (spec === undefined) {
      if (isMeasureLike(callee)) {
        return fail(source, 'measure_called', node.span, (at) =>
          `a measure cannot be called like a function ${at}; to restrict it to a group write e.g. (ACC | [${options.columns[0] ?? 'M'}])`,
        );
      }
      const known = [...FUNCTIONS.keys()].join(', ');
      return fail(source, 'unknown_function', callee.span, (at) =>
        name === null
          ? `only a named function can be called, but the call ${at} calls something else (known: ${known})`
          : `unknown function '${name}' ${at} (known: ${known})`,
      );
    }
    const arity = spec.kind === 'binary' ? 2 : 1;
    if (node.args.length !== arity) {
      return fail(source, 'argument_count', node.span, (at) =>
        `${name}() ${at} takes exactly ${arity} argument${arity === 1 ? '' : 's'} but got ${node.args.length}`,
      );
    }
    switch (spec.kind) {
      case 'binary':
        if (spec.op === 'pow') warnPow();
        return { type: 'binary', op: spec.op, left: lower(node.args[0]), right: lower(node.args[1]), span: node.span };
      case 'unary':
        return { type: 'unary', op: spec.op, arg: lower(node.args[0]), span: node.span };
    }
  };

  function lower(node: Syntax): ExprNode {
    switch (node.kind) {
      case 'number':
        return { type: 'constant', value: node.value, span: node.span };
      case 'name': {
        if (node.name === 'e') return { type: 'constant', value: Math.E, span: node.span };
        const m = plainMeasure(node.name, node.span);
        return baseRef({ name: m.key, measure: m.measure, classIndex: m.classIndex, conditionalColumns: [] }, node.span);
      }
      case 'subscript': {
        const m = subscriptedMeasure(node);
        return baseRef({ name: m.key, measure: m.measure, classIndex: m.classIndex, conditionalColumns: [] }, node.span);
      }
      case 'list':
        return fail(source, 'bad_conditional', node.span, (at) =>
          `an attribute list ${at} may only follow '|' in a conditional such as (ACC | [${options.columns[0] ?? 'M'}])`,
        );
      case 'tuple':
        return fail(source, 'unexpected_token', node.comma, (at) => `unexpected ',' ${at} outside a function call`);
      case 'call':
        return call(node);
      case 'negate':
        // The engine folds `-<literal>` into one constant and writes `-<expr>` as (-1) * expr.
        if (node.operand.kind === 'number') return { type: 'constant', value: -node.operand.value, span: node.span };
        return {
          type: 'binary',
          op: 'mult',
          left: { type: 'constant', value: -1, span: node.sign },
          right: lower(node.operand),
          span: node.span,
        };
      case 'binary': {
        if (node.op === '|') return conditional(node);
        if (node.op === '**') warnPow();
        const left = lower(node.left);
        const right = lower(node.right);
        return { type: 'binary', op: BINARY_OF[node.op], left, right, span: node.span };
      }
    }
  }

  const root = lower(syntax);
  return { root, baseNodes, warnings };
}
