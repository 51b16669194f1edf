import type { BaseNodeSpec, BinaryOperator, CompiledConstraint, ExprNode, UnaryOperator } from './ast';
import type { BaseDraft } from './parser';

/**
 * Which confidence bounds each base node needs, the equal δ split and the constant
 * inflation factors. Only the root's upper bound matters (g ≤ 0 is tested), so each operator
 * decides which sides of its children that upper bound depends on.
 */

export interface Sides {
  readonly lower: boolean;
  readonly upper: boolean;
}

const NONE: Sides = { lower: false, upper: false };
const LOWER: Sides = { lower: true, upper: false };
const UPPER: Sides = { lower: false, upper: true };
const BOTH: Sides = { lower: true, upper: true };

/** What the children need when the parent needs its lower bound / its upper bound. */
interface Rule<Children> {
  readonly whenLower: Children;
  readonly whenUpper: Children;
}

type Pair = readonly [Sides, Sides];

const BINARY_RULES: Readonly<Record<BinaryOperator, Rule<Pair>>> = {
  add: { whenLower: [LOWER, LOWER], whenUpper: [UPPER, UPPER] },
  sub: { whenLower: [LOWER, UPPER], whenUpper: [UPPER, LOWER] },
  // Sign-dependent operators: either endpoint of either operand can become either endpoint of the result.
  mult: { whenLower: [BOTH, BOTH], whenUpper: [BOTH, BOTH] },
  div: { whenLower: [BOTH, BOTH], whenUpper: [BOTH, BOTH] },
  pow: { whenLower: [BOTH, BOTH], whenUpper: [BOTH, BOTH] },
  min: { whenLower: [LOWER, LOWER], whenUpper: [UPPER, UPPER] },
  max: { whenLower: [LOWER, LOWER], whenUpper: [UPPER, UPPER] },
};

const UNARY_RULES: Readonly<Record<UnaryOperator, Rule<Sides>>> = {
  abs: { whenLower: BOTH, whenUpper: BOTH },
  exp: { whenLower: LOWER, whenUpper: UPPER },
  log: { whenLower: LOWER, whenUpper: UPPER },
};

function either(a: Sides, b: Sides): Sides {
  return { lower: a.lower || b.lower, upper: a.upper || b.upper };
}

/** A parent needing both sides needs the union of the two rows (the engine ORs them). */
function pick<T>(need: Sides, rule: Rule<T>, combine: (a: T, b: T) => T, none: T): T {
  const fromLower = need.lower ? rule.whenLower : none;
  const fromUpper = need.upper ? rule.whenUpper : none;
  return combine(fromLower, fromUpper);
}

const eitherPair = (a: Pair, b: Pair): Pair => [either(a[0], b[0]), either(a[1], b[1])];

/**
 * Needed sides per unique base node (indexed like the base nodes). A node met again keeps the sides of
 * its first (leftmost) occurrence, as the engine's cache does; pre-order visits leaves left to right.
 */
export function neededSides(root: ExprNode, baseCount: number, rootNeeds: Sides = UPPER): Sides[] {
  const sides: (Sides | undefined)[] = new Array<Sides | undefined>(baseCount).fill(undefined);
  const visit = (node: ExprNode, need: Sides): void => {
    switch (node.type) {
      case 'constant':
        return;
      case 'base':
        sides[node.index] ??= need;
        return;
      case 'binary': {
        const [left, right] = pick(need, BINARY_RULES[node.op], eitherPair, [NONE, NONE]);
        visit(node.left, left);
        visit(node.right, right);
        return;
      }
      case 'unary':
        visit(node.arg, pick(need, UNARY_RULES[node.op], either, NONE));
        return;
    }
  };
  visit(root, rootNeeds);
  return sides.map((s) => s ?? NONE);
}

/** δ per needed side: equal weight per unique base node, halved when it needs both sides. */
export function deltaShares(sides: Sides, delta: number, uniqueCount: number): { lower: number | null; upper: number | null } {
  const share = sides.lower && sides.upper ? delta / (2 * uniqueCount) : delta / uniqueCount;
  return { lower: sides.lower ? share : null, upper: sides.upper ? share : null };
}

export const DEFAULT_INFLATION_FACTOR = 2;

export function assignBounds(
  root: ExprNode,
  drafts: readonly BaseDraft[],
  delta: number,
  inflationFactor: number = DEFAULT_INFLATION_FACTOR,
  rootNeeds: Sides = UPPER,
): BaseNodeSpec[] {
  const sides = neededSides(root, drafts.length, rootNeeds);
  return drafts.map((draft, i) => {
    const need = sides[i];
    const shares = deltaShares(need, delta, drafts.length);
    return {
      ...draft,
      lowerNeeded: need.lower,
      upperNeeded: need.upper,
      deltaLower: shares.lower,
      deltaUpper: shares.upper,
      inflationLower: need.lower ? inflationFactor : null,
      inflationUpper: need.upper ? inflationFactor : null,
    };
  });
}

/**
 * The same constraint set up to bound g from BELOW at confidence 1 − δ (needed sides and δ shares for the
 * root's lower bound), for audits that can also conclude "violated" (lower bound of g > 0).
 */
export function forLowerBound(constraint: CompiledConstraint, inflationFactor: number = DEFAULT_INFLATION_FACTOR): CompiledConstraint {
  return { ...constraint, baseNodes: assignBounds(constraint.root, constraint.baseNodes, constraint.delta, inflationFactor, LOWER) };
}

/** The engine's `n_unique_bounds_tot`: how many confidence bounds the constraint computes. */
export function uniqueBoundCount(nodes: readonly BaseNodeSpec[]): number {
  return nodes.reduce((n, b) => n + Number(b.lowerNeeded) + Number(b.upperNeeded), 0);
}
