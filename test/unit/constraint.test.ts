import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileConstraint, renderCaret, uniqueBoundCount, POW_WARNING } from '../../src-shared/constraint';
import type {
  CompileOptions,
  CompiledConstraint,
  ConstraintError,
  ConstraintErrorCode,
  ExprNode,
} from '../../src-shared/constraint';

// ---------------------------------------------------------------------------------------------------
// Golden cases from the original engine (read in place from the shared fixtures)

interface FixtureBaseNode {
  readonly name: string;
  readonly lower_needed: boolean;
  readonly upper_needed: boolean;
  readonly delta_lower: number | null;
  readonly delta_upper: number | null;
  readonly infl_factor_lower: number | null;
  readonly infl_factor_upper: number | null;
  readonly measure_function: string;
  readonly conditional_columns: readonly string[];
}

interface FixtureCase {
  readonly constraint: string;
  readonly parsed?: string;
  readonly n_base_nodes_total?: number;
  readonly n_unique_bounds?: number;
  readonly base_nodes?: readonly FixtureBaseNode[];
  readonly warnings?: readonly string[];
  readonly ok: boolean;
  readonly error?: { readonly stage: string; readonly type: string; readonly message: string };
}

interface Fixture {
  readonly delta: number;
  readonly columns: readonly string[];
  readonly accepted: readonly FixtureCase[];
  readonly rejected: readonly FixtureCase[];
  readonly engine_accepts_we_reject: { readonly cases: readonly FixtureCase[] };
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../shared/fixtures/seldonian/bounds_cases.json', import.meta.url), 'utf8'),
) as Fixture;

const binary: CompileOptions = { columns: fixture.columns, subRegime: 'classification', delta: fixture.delta };
const multiclass: CompileOptions = { columns: ['M', 'F'], subRegime: 'multiclass_classification', delta: 0.05, nClasses: 3 };

function compiled(source: string, options: CompileOptions = binary): CompiledConstraint {
  const result = compileConstraint(source, options);
  if (!result.ok) throw new Error(`expected '${source}' to compile, got: ${result.error.message}`);
  return result.constraint;
}

function refused(source: string, options: CompileOptions = binary): ConstraintError {
  const result = compileConstraint(source, options);
  if (result.ok) throw new Error(`expected '${source}' to be refused, got parsed '${result.constraint.parsed}'`);
  return result.error;
}

function countBaseOccurrences(node: ExprNode): number {
  switch (node.type) {
    case 'constant':
      return 0;
    case 'base':
      return 1;
    case 'binary':
      return countBaseOccurrences(node.left) + countBaseOccurrences(node.right);
    case 'unary':
      return countBaseOccurrences(node.arg);
  }
}

function expectMatchesEngine(c: CompiledConstraint, expected: FixtureCase): void {
  expect(c.parsed).toBe(expected.parsed);
  expect(countBaseOccurrences(c.root)).toBe(expected.n_base_nodes_total);
  expect(uniqueBoundCount(c.baseNodes)).toBe(expected.n_unique_bounds);
  // The engine prints its warning instead of storing it, except where the fixture kept it.
  if (expected.ok) expect(c.warnings.length > 0).toBe((expected.warnings ?? []).length > 0);
  const actual = c.baseNodes.map((b) => ({
    name: b.name,
    measure_function: b.measure,
    conditional_columns: b.conditionalColumns,
    lower_needed: b.lowerNeeded,
    upper_needed: b.upperNeeded,
    delta_lower: b.deltaLower,
    delta_upper: b.deltaUpper,
    infl_factor_lower: b.inflationLower,
    infl_factor_upper: b.inflationUpper,
  }));
  expect(actual).toEqual(
    (expected.base_nodes ?? []).map((b) => ({
      name: b.name,
      measure_function: b.measure_function,
      conditional_columns: b.conditional_columns,
      lower_needed: b.lower_needed,
      upper_needed: b.upper_needed,
      delta_lower: b.delta_lower,
      delta_upper: b.delta_upper,
      infl_factor_lower: b.infl_factor_lower,
      infl_factor_upper: b.infl_factor_upper,
    })),
  );
}

describe('engine golden cases (bounds_cases.json)', () => {
  it('has the expected shape', () => {
    expect(fixture.accepted.length).toBeGreaterThan(30);
    expect(fixture.rejected.length).toBeGreaterThan(20);
  });

  describe.each(fixture.accepted.map((c) => [c.constraint, c] as const))('accepted: %s', (_source, expected) => {
    it('matches the engine: parsed string, base nodes, needed sides, δ split, inflation', () => {
      expectMatchesEngine(compiled(expected.constraint), expected);
    });
  });

  // Expected code and 1-based column for every string the engine refuses while building the tree.
  const buildTreeRejections: Readonly<Record<string, readonly [ConstraintErrorCode, number]>> = {
    'ACC == 0.9': ['inequality', 5],
    'ACC < 0.9': ['inequality', 5],
    'ACC > 0.9': ['inequality', 5],
    'ACC >= 0.5 >= 0.1': ['inequality', 12],
    'ACC <= 0.9 >= 0.1': ['inequality', 12],
    '(ACC | [Z]) >= 0.5': ['unknown_attribute', 9],
    'FOO >= 0.5': ['unknown_measure', 1],
    'min(ACC) >= 0.5': ['argument_count', 1],
    'max(ACC, PR, NR) <= 1': ['argument_count', 1],
    'abs(ACC, PR) <= 1': ['argument_count', 1],
    'exp() <= 1': ['argument_count', 1],
    'ACC % 2 <= 1': ['unsupported_operator', 5],
    '+ACC <= 1': ['unsupported_operator', 1],
    'ACC // 2 <= 1': ['unsupported_operator', 5],
    'sqrt(ACC) <= 1': ['unknown_function', 1],
    'CM_[0,1] <= 0.2': ['unknown_measure', 1],
    '(ACC | (M)) >= 0.5': ['bad_conditional', 8],
    'not ACC': ['unsupported_operator', 1],
    'abs((PR | [M]) - (PR | [F]))) <= 0.1': ['unbalanced_brackets', 29],
    'ACC and PR <= 1': ['unsupported_operator', 5],
    'ACC(M) >= 0.5': ['measure_called', 1],
    '(PR | [M,Z]) <= 0.5': ['unknown_attribute', 10],
  };

  const buildTree = fixture.rejected.filter((c) => c.error?.stage === 'build_tree');
  it('covers every build_tree rejection of the fixture in the table above', () => {
    expect(buildTree.map((c) => c.constraint).sort()).toEqual(Object.keys(buildTreeRejections).sort());
  });

  it.each(buildTree.map((c) => [c.constraint] as const))('rejected at build_tree: %s', (source) => {
    const error = refused(source);
    const [code, column] = buildTreeRejections[source];
    expect(error.code).toBe(code);
    expect(error.column).toBe(column);
    expect(error.column).toBeGreaterThanOrEqual(1);
    expect(error.column).toBeLessThanOrEqual(source.length + 1);
    expect(error.message).toContain(`column ${column}`);
    expect(error.source).toBe(source);
  });

  const late = fixture.rejected.filter((c) => c.error?.stage.startsWith('propagate_bounds'));
  it.each(late.map((c) => [c.constraint, c] as const))('rejected only when bounded, so it parses: %s', (_s, expected) => {
    expect(late.length).toBeGreaterThan(0);
    const c = compiled(expected.constraint);
    expectMatchesEngine(c, expected);
    expect(c.warnings).toEqual([POW_WARNING]);
  });

  const ours: Readonly<Record<string, readonly [ConstraintErrorCode, number]>> = {
    'ACC >= ': ['empty', 7],
    'PR_[1] <= 0.5': ['bad_subscript', 1],
  };
  it.each(fixture.engine_accepts_we_reject.cases.map((c) => [c.constraint] as const))(
    'accepted by the engine, refused by us: %s',
    (source) => {
      const error = refused(source);
      expect([error.code, error.column]).toEqual(ours[source]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// Grammar and precedence

/** A compact rendering of the tree: `B0` = base node 0, numbers as values. */
function show(node: ExprNode): string {
  switch (node.type) {
    case 'constant':
      return node.value === Math.E ? 'e' : String(node.value);
    case 'base':
      return `B${node.index}`;
    case 'binary':
      return `${node.op}(${show(node.left)}, ${show(node.right)})`;
    case 'unary':
      return `${node.op}(${show(node.arg)})`;
  }
}

describe('grammar', () => {
  it.each([
    ['-ACC ** 2', 'mult(-1, pow(B0, 2))'],
    ['ACC ** -1', 'pow(B0, -1)'],
    ['ACC ** 2 ** 3', 'pow(B0, pow(2, 3))'],
    ['ACC - PR - NR', 'sub(sub(B0, B1), B2)'],
    ['ACC / PR / NR', 'div(div(B0, B1), B2)'],
    ['ACC + PR * NR', 'add(B0, mult(B1, B2))'],
    ['(ACC + PR) * NR', 'mult(add(B0, B1), B2)'],
    ['ACC ** -1 * 3', 'mult(pow(B0, -1), 3)'],
    ['-0.5 + ACC', 'add(-0.5, B0)'],
    ['-(0.5) + ACC', 'add(-0.5, B0)'],
    ['-e + ACC', 'add(mult(-1, e), B0)'],
    ['-(ACC)', 'mult(-1, B0)'],
    ['--ACC', 'mult(-1, mult(-1, B0))'],
    ['ACC - -0.5', 'sub(B0, -0.5)'],
    ['pow(ACC, 2)', 'pow(B0, 2)'],
    ['min(ACC, PR) + max(ACC, 1) - abs(NR) - exp(TPR) + log(FPR)', 'add(sub(sub(add(min(B0, B1), max(B0, 1)), abs(B2)), exp(B3)), log(B4))'],
    ['min(ACC, PR,)', 'min(B0, B1)'],
    ['ACC | [M]', 'B0'],
    ['(ACC|[M,F]) - (ACC | [F, M])', 'sub(B0, B1)'],
  ])('%s', (source, tree) => {
    expect(show(compiled(source).root)).toBe(tree);
  });

  it.each([
    ['1', 1],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['2.', 2],
    ['1e-3', 0.001],
    ['1.5E+2', 150],
    ['1_000', 1000],
    ['0x10', 16],
    ['e', Math.E],
  ])('number %s', (literal, value) => {
    const c = compiled(`ACC - ${literal}`);
    const root = c.root;
    expect(root.type === 'binary' && root.right.type === 'constant' ? root.right.value : NaN).toBe(value);
  });

  it('normalises exactly like the engine (textual, spacing kept)', () => {
    expect(compiled('ACC >= 0.95').parsed).toBe('0.95-(ACC)');
    expect(compiled('  ACC   <=  0.2  ').parsed).toBe('ACC-(0.2)');
    expect(compiled('ACC - 0.3 <= 0').parsed).toBe('ACC - 0.3');
    expect(compiled('ACC - 0.3 <= 0.0').parsed).toBe('ACC - 0.3-(0.0)');
    expect(compiled('0 >= ACC - 0.3').parsed).toBe('ACC - 0.3');
    expect(compiled('0.3 - ACC').parsed).toBe('0.3 - ACC');
  });

  it('names base nodes canonically and keeps column order', () => {
    const c = compiled('(PR|[M, F]) - (PR | [M,F]) + (PR | [F,M]) + PR <= 0.1');
    expect(c.baseNodes.map((b) => b.name)).toEqual(['PR | [M,F]', 'PR | [F,M]', 'PR']);
    expect(c.baseNodes.map((b) => b.conditionalColumns)).toEqual([['M', 'F'], ['F', 'M'], []]);
    expect(c.baseNodes.every((b) => b.measure === 'PR' && b.classIndex.length === 0)).toBe(true);
  });

  it('points every node at what the user typed, even after normalisation reorders it', () => {
    const source = '(ACC | [M]) >= 0.5';
    const c = compiled(source);
    expect(c.parsed).toBe('0.5-((ACC | [M]))');
    const root = c.root;
    if (root.type !== 'binary') throw new Error('expected a binary root');
    expect(root.op).toBe('sub');
    expect(root.span).toEqual({ start: 1, end: source.length + 1 });
    expect(root.left).toEqual({ type: 'constant', value: 0.5, span: { start: 16, end: 19 } });
    expect(root.right).toEqual({ type: 'base', index: 0, span: { start: 1, end: 12 } });
  });

  it('splits δ over unique nodes, keeps the first occurrence sides, and uses the inflation option', () => {
    const c = compiled('max(exp((FPR | [M]) - (FPR | [F])), exp((FPR | [F]) - (FPR | [M]))) <= 0.1', {
      ...binary,
      delta: 0.1,
      inflationFactor: 3,
    });
    expect(c.baseNodes).toEqual([
      {
        name: 'FPR | [M]', measure: 'FPR', classIndex: [], conditionalColumns: ['M'],
        lowerNeeded: false, upperNeeded: true, deltaLower: null, deltaUpper: 0.1 / 2,
        inflationLower: null, inflationUpper: 3,
      },
      {
        name: 'FPR | [F]', measure: 'FPR', classIndex: [], conditionalColumns: ['F'],
        lowerNeeded: true, upperNeeded: false, deltaLower: 0.1 / 2, deltaUpper: null,
        inflationLower: 3, inflationUpper: null,
      },
    ]);
    expect(c.delta).toBe(0.1);
    expect(c.source).toBe('max(exp((FPR | [M]) - (FPR | [F])), exp((FPR | [F]) - (FPR | [M]))) <= 0.1');
  });

  it('warns once about ** and pow, and only then', () => {
    expect(compiled('ACC ** 2 + pow(PR, 2) <= 1').warnings).toEqual([POW_WARNING]);
    expect(POW_WARNING).toBe('`**` is experimental: its base must stay non-negative');
    expect(compiled('ACC * 2 <= 1').warnings).toEqual([]);
  });
});

describe('multiclass_classification', () => {
  it('accepts class subscripts and confusion-matrix cells', () => {
    const c = compiled('(CM_[0, 1] | [M]) + PR_[2] - (FPR_[0] | [F]) + ACC <= 0.5', multiclass);
    expect(c.baseNodes.map((b) => [b.name, b.measure, b.classIndex])).toEqual([
      ['CM_[0,1] | [M]', 'CM', [0, 1]],
      ['PR_[2]', 'PR', [2]],
      ['FPR_[0] | [F]', 'FPR', [0]],
      ['ACC', 'ACC', []],
    ]);
    expect(c.parsed).toBe('(CM_[0, 1] | [M]) + PR_[2] - (FPR_[0] | [F]) + ACC-(0.5)');
  });

  it.each([
    ['PR >= 0.2', 'bad_subscript', 1, 'PR_[0]'],
    ['CM <= 0.2', 'bad_subscript', 1, 'CM_[0,1]'],
    ['ACC_[0] >= 0.2', 'bad_subscript', 1, 'no class index'],
    ['PR_[3] >= 0.2', 'bad_subscript', 5, '3 classes'],
    ['PR_[0,1] >= 0.2', 'bad_subscript', 1, 'one class index'],
    ['CM_[1] >= 0.2', 'bad_subscript', 1, 'two class indices'],
    ['PR_[1.0] >= 0.2', 'bad_subscript', 5, 'non-negative integer'],
    ['PR_[-1] >= 0.2', 'bad_subscript', 5, 'non-negative integer'],
    ['PR[1] >= 0.2', 'bad_subscript', 1, 'PR_['],
    ['PR_[] >= 0.2', 'unexpected_token', 5, 'class index'],
    ['FOO_[1] >= 0.2', 'unknown_measure', 1, 'CM_[i,j]'],
  ] as const)('%s', (source, code, column, fragment) => {
    const error = refused(source, multiclass);
    expect([error.code, error.column]).toEqual([code, column]);
    expect(error.message).toContain(fragment);
    expect(error.message).toContain(`column ${column}`);
  });
});

// ---------------------------------------------------------------------------------------------------
// Errors: code, exact column in what the user typed, and a message naming the column

describe('errors', () => {
  it.each([
    // empty input or empty side
    ['', 'empty', 1, 1],
    ['   ', 'empty', 1, 1],
    ['>= 0.5', 'empty', 1, 2],
    ['ACC >=', 'empty', 7, 1],
    ['ACC >= ', 'empty', 7, 1],
    ['0.5 >= 0.3', 'empty', 1, 10],
    // comparisons other than one <= or >=
    ['ACC = 0.9', 'inequality', 5, 1],
    ['ACC != 0.9', 'inequality', 5, 2],
    ['ACC == 0.9', 'inequality', 5, 2],
    ['ACC >= 0.5 >= 0.1', 'inequality', 12, 2],
    ['ACC <= 0.5 <= 0.9', 'inequality', 12, 2],
    ['ACC >= 0.5 <= 0.9', 'inequality', 12, 2],
    // unknown names
    ['FOO >= 0.5', 'unknown_measure', 1, 3],
    ['ACC - M >= 0.5', 'unknown_measure', 7, 1],
    ['CM >= 0.5', 'unknown_measure', 1, 2],
    ['ACC[0] >= 0.5', 'bad_subscript', 1, 6],
    ['(ACC_[0] | [M]) >= 0.5', 'bad_subscript', 2, 7],
    ['(ACC | [M]) - (ACC | [X]) <= 0.1', 'unknown_attribute', 23, 1],
    ['2(ACC) >= 0.5', 'unknown_function', 1, 1],
    ['sqrt(ACC) >= 0.5', 'unknown_function', 1, 4],
    ['M(ACC) >= 0.5', 'unknown_function', 1, 1],
    ['ACC(M) >= 0.5', 'measure_called', 1, 6],
    ['0.9 <= (PR | [M])(F)', 'measure_called', 8, 13],
    // brackets
    ['(ACC >= 0.5', 'unbalanced_brackets', 1, 1],
    ['ACC) >= 0.5', 'unbalanced_brackets', 4, 1],
    ['ACC) >= (0.5', 'unbalanced_brackets', 4, 1],
    ['ACC >= (0.5', 'unbalanced_brackets', 8, 1],
    ['min((ACC | [M]), 1 >= 0.5', 'unbalanced_brackets', 4, 1],
    ['(ACC | [M)] >= 0.5', 'unbalanced_brackets', 10, 1],
    ['abs(ACC', 'unbalanced_brackets', 4, 1],
    // argument counts
    ['min(ACC) >= 0.5', 'argument_count', 1, 8],
    ['max(ACC, PR, NR) <= 1', 'argument_count', 1, 16],
    ['abs(ACC, PR) <= 1', 'argument_count', 1, 12],
    ['exp() <= 1', 'argument_count', 1, 5],
    ['log(ACC, 2) <= 1', 'argument_count', 1, 11],
    ['1 <= pow(ACC)', 'argument_count', 6, 8],
    // unsupported operators
    ['ACC % 2 <= 1', 'unsupported_operator', 5, 1],
    ['ACC // 2 <= 1', 'unsupported_operator', 5, 2],
    ['ACC ^ 2 <= 1', 'unsupported_operator', 5, 1],
    ['ACC & PR <= 1', 'unsupported_operator', 5, 1],
    ['~ACC <= 1', 'unsupported_operator', 1, 1],
    ['ACC << 2 <= 1', 'unsupported_operator', 5, 2],
    ['ACC >> 2 <= 1', 'unsupported_operator', 5, 2],
    ['+ACC <= 1', 'unsupported_operator', 1, 1],
    ['ACC - +PR <= 1', 'unsupported_operator', 7, 1],
    ['not ACC', 'unsupported_operator', 1, 3],
    ['ACC and PR <= 1', 'unsupported_operator', 5, 3],
    ['ACC or PR <= 1', 'unsupported_operator', 5, 2],
    ['ACC @ PR <= 1', 'unsupported_operator', 5, 1],
    // conditionals
    ['(ACC | (M)) >= 0.5', 'bad_conditional', 8, 3],
    ['(ACC | M) >= 0.5', 'bad_conditional', 8, 1],
    ['(ACC | (M, F)) >= 0.5', 'bad_conditional', 8, 6],
    ['(ACC | []) >= 0.5', 'bad_conditional', 8, 2],
    ['(ACC | [1]) >= 0.5', 'bad_conditional', 9, 1],
    ['(0.5 | [M]) >= 0.5', 'bad_conditional', 2, 3],
    ['((ACC + PR) | [M]) >= 0.5', 'bad_conditional', 2, 10],
    ['((ACC | [M]) | [F]) >= 0.5', 'bad_conditional', 2, 11],
    ['ACC * [M] >= 0.5', 'bad_conditional', 7, 3],
    // `<=` appends `-(RHS)` inside the unparenthesised conditional, as in the engine
    ['ACC | [M] <= 0.5', 'bad_conditional', 7, 10],
    // trailing garbage and broken expressions
    ['ACC >= 0.5 0.3', 'unexpected_token', 12, 3],
    ['ACC PR', 'unexpected_token', 5, 2],
    ['ACC, PR <= 1', 'unexpected_token', 4, 1],
    ['ACC >= 1e', 'unexpected_token', 8, 2],
    ['ACC >= 012', 'unexpected_token', 8, 3],
    ['ACC >= 2a', 'unexpected_token', 8, 2],
    ['ACC >= ()', 'unexpected_token', 9, 1],
    ['lambda >= 0', 'unexpected_token', 1, 6],
    ['ACC * >= 0.5', 'unexpected_end', 7, 2],
    ['ACC >= 0.5 *', 'unexpected_end', 13, 1],
    ['min(ACC, ) <= 1', 'argument_count', 1, 10],
    ['min(, ACC) <= 1', 'unexpected_token', 5, 1],
    // characters
    ['ACC >= 0.5$', 'unexpected_character', 11, 1],
    ['ACC >= 0.5 # note', 'unexpected_character', 12, 1],
    ['ACC >=\n0.5', 'unexpected_character', 7, 1],
    ['ACC.x >= 0.5', 'unexpected_character', 4, 1],
    ['ACC >= "0.5"', 'unexpected_character', 8, 1],
  ] as const)('%j', (source, code, column, length) => {
    const error = refused(source);
    expect({ code: error.code, column: error.column, length: error.length }).toEqual({ code, column, length });
    expect(error.message).toContain(`column ${column}`);
    expect(error.source).toBe(source);
  });

  it('lists what is known in the message', () => {
    expect(refused('(ACC | [M]) - (ACC | [X]) <= 0.1', { ...binary, columns: ['M', 'F'] }).message).toBe(
      "unknown attribute 'X' at column 23 (known: M, F)",
    );
    expect(refused('FOO >= 0.5').message).toBe(
      "unknown measure 'FOO' at column 1 (known for classification: PR, NR, FPR, TPR, FNR, TNR, ACC)",
    );
    expect(refused('sqrt(ACC) >= 0.5').message).toBe(
      "unknown function 'sqrt' at column 1 (known: min, max, pow, abs, exp, log)",
    );
    expect(refused('PR_[1] <= 0.5').message).toContain('multiclass_classification');
    expect(refused('ACC >= 0.5$').message).toBe("unexpected character '$' at column 11");
    expect(refused('ACC >= 0.5 >= 0.1').message).toBe("only one inequality is allowed: a second '>=' at column 12");
    expect(refused('min(ACC) >= 0.5').message).toBe('min() at column 1 takes exactly 2 arguments but got 1');
  });

  it.each([0, 1, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses δ = %s', (delta) => {
    const error = refused('ACC >= 0.9', { ...binary, delta });
    expect([error.code, error.column]).toEqual(['bad_delta', 1]);
    expect(error.message).toContain('column 1');
  });

  it('never throws, even on pathological input', () => {
    for (const source of ['('.repeat(500), '-'.repeat(500) + 'ACC', 'ACC+'.repeat(900) + 'ACC', 'x'.repeat(5000), '\u{1F600}']) {
      expect(compileConstraint(source, binary).ok).toBe(source.startsWith('ACC+'));
    }
  });
});

describe('renderCaret', () => {
  it('underlines the error column with carets', () => {
    expect(renderCaret(refused('(ACC | [Z]) >= 0.5'))).toBe('(ACC | [Z]) >= 0.5\n        ^');
    expect(renderCaret(refused('ACC == 0.9'))).toBe('ACC == 0.9\n    ^^');
    expect(renderCaret(refused('sqrt(ACC) >= 0.5'))).toBe('sqrt(ACC) >= 0.5\n^^^^');
  });

  it('points past the end for a missing right side and keeps tabs aligned', () => {
    expect(renderCaret(refused('ACC >='))).toBe('ACC >=\n      ^');
    expect(renderCaret(refused('\tFOO >= 0.5'))).toBe('\tFOO >= 0.5\n\t^^^');
  });
});
