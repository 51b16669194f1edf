/** Lowering: syntax tree → engine tree, with the regime's rules. */
import type { CompileOptions, ExprNode, MeasureName, SourceSpan } from './ast';
import { fail } from './errors';
import { BINARY_OF, FUNCTIONS, knownMeasures, MEASURES } from './regime';
import { didYouMean } from './suggest';
import type { Syntax } from './syntax';

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
      `unknown measure '${name}' ${at} (known for ${options.subRegime}: ${knownMeasures(options.subRegime)})${didYouMean(name, measures.keys())}`,
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
          `unknown attribute '${item.name}' ${at} (known: ${options.columns.length > 0 ? options.columns.join(', ') : 'none'})${didYouMean(item.name, options.columns)}`,
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
