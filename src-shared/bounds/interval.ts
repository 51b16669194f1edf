import type { BinaryNode, ExprNode, UnaryNode } from '../constraint/ast';

/**
 * Interval propagation over a constraint tree with reverse-mode derivatives of the root's
 * upper bound with respect to every unique base node's lower and upper bound.
 *
 * min/max follow Python's builtins (the first argument wins ties; a NaN first argument sticks), since the
 * engine applies them to the endpoints and autograd differentiates the branch they pick.
 */

/** Raised when an interval operation has no answer (e.g. `**` with a possibly negative base, x/[0,0]). */
export class BoundingError extends Error {
  override readonly name = 'BoundingError';
}

export interface IntervalResult {
  readonly lower: number;
  readonly upper: number;
}

/** Adjoint of one endpoint: how much the root's upper bound moves per unit move of that endpoint. */
type Backprop = (gradLower: number, gradUpper: number) => void;

interface Traced {
  lower: number;
  upper: number;
  back: Backprop;
}

const noop: Backprop = () => {};

function protectLower(x: number): number {
  return Number.isNaN(x) ? -Infinity : x;
}
function protectUpper(x: number): number {
  return Number.isNaN(x) ? Infinity : x;
}

/** Index of the argument Python's `min(*xs)` returns. */
function pyArgMin(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] < xs[best]) best = i;
  return best;
}
function pyArgMax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** Gradient contributions are dropped where an endpoint was replaced by ±∞ (it no longer depends on anything). */
function keep(value: number, grad: number): number {
  return Number.isFinite(value) ? grad : 0;
}

function multiplyCorners(a: Traced, b: Traced, bLower: number, bUpper: number, backB: Backprop): Traced {
  // The four corner products in the engine's order: a0*b0, a0*b1, a1*b0, a1*b1.
  const products = [a.lower * bLower, a.lower * bUpper, a.upper * bLower, a.upper * bUpper];
  const lo = pyArgMin(products);
  const hi = pyArgMax(products);
  const lower = protectLower(products[lo]);
  const upper = protectUpper(products[hi]);
  return {
    lower,
    upper,
    back(gLower, gUpper) {
      gLower = keep(lower, gLower);
      gUpper = keep(upper, gUpper);
      let gaLower = 0, gaUpper = 0, gbLower = 0, gbUpper = 0;
      const accumulate = (corner: number, g: number): void => {
        if (g === 0) return;
        const aSide = corner < 2 ? 0 : 1;
        const bSide = corner % 2;
        const aValue = aSide === 0 ? a.lower : a.upper;
        const bValue = bSide === 0 ? bLower : bUpper;
        if (aSide === 0) gaLower += g * bValue; else gaUpper += g * bValue;
        if (bSide === 0) gbLower += g * aValue; else gbUpper += g * aValue;
      };
      accumulate(lo, gLower);
      accumulate(hi, gUpper);
      if (gaLower !== 0 || gaUpper !== 0) a.back(gaLower, gaUpper);
      if (gbLower !== 0 || gbUpper !== 0) backB(gbLower, gbUpper);
    },
  };
}

function divide(a: Traced, b: Traced): Traced {
  const b0 = b.lower, b1 = b.upper;
  if (b0 < 0 && 0 < b1) return { lower: -Infinity, upper: Infinity, back: noop };
  if (b0 === 0 && b1 === 0) {
    throw new BoundingError('cannot bound a division by an interval that is exactly [0, 0]');
  }
  // Reciprocal interval [1/b1, 1/b0] with the engine's special cases at 0; d(1/x)/dx = −1/x².
  let recipLower: number, recipUpper: number;
  let dLowerFromB1 = 0, dUpperFromB0 = 0;
  if (b1 === 0) {
    recipLower = -Infinity;
    recipUpper = 1 / b0;
    dUpperFromB0 = -1 / (b0 * b0);
  } else if (b0 === 0) {
    recipLower = 1 / b1;
    recipUpper = Infinity;
    dLowerFromB1 = -1 / (b1 * b1);
  } else {
    recipLower = 1 / b1;
    recipUpper = 1 / b0;
    dLowerFromB1 = -1 / (b1 * b1);
    dUpperFromB0 = -1 / (b0 * b0);
  }
  const backRecip: Backprop = (gRecipLower, gRecipUpper) => {
    const gb0 = Number.isFinite(dUpperFromB0) ? gRecipUpper * dUpperFromB0 : 0;
    const gb1 = Number.isFinite(dLowerFromB1) ? gRecipLower * dLowerFromB1 : 0;
    if (gb0 !== 0 || gb1 !== 0) b.back(gb0, gb1);
  };
  return multiplyCorners(a, b, recipLower, recipUpper, backRecip);
}

function power(a: Traced, b: Traced): Traced {
  if (a.lower < 0) {
    throw new BoundingError(
      `cannot bound ${formatInterval(a)} ** ${formatInterval(b)}: the base can be negative`,
    );
  }
  if ((a.lower === 0 || a.upper === 0) && (b.lower < 0 || b.upper < 1)) {
    throw new BoundingError(
      `cannot bound ${formatInterval(a)} ** ${formatInterval(b)}: the base can be 0 with an exponent below 1`,
    );
  }
  const corners: Array<[number, number]> = [
    [a.lower, b.lower],
    [a.lower, b.upper],
    [a.upper, b.lower],
    [a.upper, b.upper],
  ];
  const values = corners.map(([x, y]) => Math.pow(x, y));
  const lo = pyArgMin(values);
  const hi = pyArgMax(values);
  const lower = protectLower(values[lo]);
  const upper = protectUpper(values[hi]);
  return {
    lower,
    upper,
    back(gLower, gUpper) {
      gLower = keep(lower, gLower);
      gUpper = keep(upper, gUpper);
      let ga0 = 0, ga1 = 0, gb0 = 0, gb1 = 0;
      const accumulate = (corner: number, g: number): void => {
        if (g === 0) return;
        const [x, y] = corners[corner];
        const dx = y * Math.pow(x, y - 1);
        const dy = x > 0 ? Math.pow(x, y) * Math.log(x) : 0;
        if (corner < 2) ga0 += g * dx; else ga1 += g * dx;
        if (corner % 2 === 0) gb0 += g * dy; else gb1 += g * dy;
      };
      accumulate(lo, gLower);
      accumulate(hi, gUpper);
      if (ga0 !== 0 || ga1 !== 0) a.back(ga0, ga1);
      if (gb0 !== 0 || gb1 !== 0) b.back(gb0, gb1);
    },
  };
}

function minOrMax(a: Traced, b: Traced, pickSecond: (x: number, y: number) => boolean): Traced {
  const lowerFromB = pickSecond(a.lower, b.lower);
  const upperFromB = pickSecond(a.upper, b.upper);
  return {
    lower: lowerFromB ? b.lower : a.lower,
    upper: upperFromB ? b.upper : a.upper,
    back(gLower, gUpper) {
      const gaL = lowerFromB ? 0 : gLower, gbL = lowerFromB ? gLower : 0;
      const gaU = upperFromB ? 0 : gUpper, gbU = upperFromB ? gUpper : 0;
      if (gaL !== 0 || gaU !== 0) a.back(gaL, gaU);
      if (gbL !== 0 || gbU !== 0) b.back(gbL, gbU);
    },
  };
}

function traceBinary(node: BinaryNode, leaf: (index: number) => Traced): Traced {
  const a = traceNode(node.left, leaf);
  const b = traceNode(node.right, leaf);
  switch (node.op) {
    case 'add': {
      const lower = protectLower(a.lower + b.lower);
      const upper = protectUpper(a.upper + b.upper);
      return {
        lower,
        upper,
        back(gL, gU) {
          gL = keep(lower, gL);
          gU = keep(upper, gU);
          a.back(gL, gU);
          b.back(gL, gU);
        },
      };
    }
    case 'sub': {
      const lower = protectLower(a.lower - b.upper);
      const upper = protectUpper(a.upper - b.lower);
      return {
        lower,
        upper,
        back(gL, gU) {
          gL = keep(lower, gL);
          gU = keep(upper, gU);
          a.back(gL, gU);
          b.back(-gU, -gL);
        },
      };
    }
    case 'mult':
      return multiplyCorners(a, b, b.lower, b.upper, b.back);
    case 'div':
      return divide(a, b);
    case 'pow':
      return power(a, b);
    case 'min':
      return minOrMax(a, b, (x, y) => y < x);
    case 'max':
      return minOrMax(a, b, (x, y) => y > x);
  }
}

function traceUnary(node: UnaryNode, leaf: (index: number) => Traced): Traced {
  const a = traceNode(node.arg, leaf);
  switch (node.op) {
    case 'abs': {
      const absLower = Math.abs(a.lower), absUpper = Math.abs(a.upper);
      const sameSign = Math.sign(a.lower) === Math.sign(a.upper);
      // Python: min(|a0|, |a1|) if signs agree else 0; upper max(|a0|, |a1|).
      const lowerFromUpper = sameSign && absUpper < absLower;
      const upperFromUpper = absUpper > absLower;
      const lower = sameSign ? (lowerFromUpper ? absUpper : absLower) : 0;
      const upper = protectUpper(upperFromUpper ? absUpper : absLower);
      const signLower = Math.sign(a.lower), signUpper = Math.sign(a.upper);
      return {
        lower,
        upper,
        back(gL, gU) {
          gU = keep(upper, gU);
          gL = keep(lower, gL);
          let ga0 = 0, ga1 = 0;
          if (sameSign) {
            if (lowerFromUpper) ga1 += gL * signUpper; else ga0 += gL * signLower;
          }
          if (upperFromUpper) ga1 += gU * signUpper; else ga0 += gU * signLower;
          if (ga0 !== 0 || ga1 !== 0) a.back(ga0, ga1);
        },
      };
    }
    case 'exp': {
      const lower = protectLower(Math.exp(a.lower));
      const upper = protectUpper(Math.exp(a.upper));
      return { lower, upper, back: (gL, gU) => a.back(keep(lower, gL) * lower, keep(upper, gU) * upper) };
    }
    case 'log': {
      const lower = protectLower(Math.log(a.lower));
      const upper = protectUpper(Math.log(a.upper));
      return {
        lower,
        upper,
        back: (gL, gU) => a.back(keep(lower, gL) / a.lower, keep(upper, gU) / a.upper),
      };
    }
  }
}

function traceNode(node: ExprNode, leaf: (index: number) => Traced): Traced {
  switch (node.type) {
    case 'constant':
      return { lower: node.value, upper: node.value, back: noop };
    case 'base':
      return leaf(node.index);
    case 'binary':
      return traceBinary(node, leaf);
    case 'unary':
      return traceUnary(node, leaf);
  }
}

function formatInterval(t: { lower: number; upper: number }): string {
  return `[${t.lower}, ${t.upper}]`;
}

/**
 * Bounds of g from its base nodes' bounds. `baseLower[i]`/`baseUpper[i]` belong to the i-th unique base node
 * (−∞/+∞ where a side was not computed). When `gradLower`/`gradUpper` are given, they receive
 * d(root upper)/d(base lower) and d(root upper)/d(base upper) (added to, not overwritten).
 * Throws BoundingError where the engine raises.
 */
export function propagateInterval(
  root: ExprNode,
  baseLower: ArrayLike<number>,
  baseUpper: ArrayLike<number>,
  gradLower?: Float64Array,
  gradUpper?: Float64Array,
): IntervalResult {
  const leaf = (index: number): Traced => ({
    lower: baseLower[index],
    upper: baseUpper[index],
    back(gL, gU) {
      if (gradLower) gradLower[index] += gL;
      if (gradUpper) gradUpper[index] += gU;
    },
  });
  const traced = traceNode(root, leaf);
  if (gradLower || gradUpper) traced.back(0, Number.isFinite(traced.upper) ? 1 : 0);
  return { lower: traced.lower, upper: traced.upper };
}

/** The plain value of g from its base nodes' point estimates. */
export function evaluatePoint(root: ExprNode, baseValues: ArrayLike<number>): number {
  const visit = (node: ExprNode): number => {
    switch (node.type) {
      case 'constant':
        return node.value;
      case 'base':
        return baseValues[node.index];
      case 'unary': {
        const x = visit(node.arg);
        switch (node.op) {
          case 'abs': return Math.abs(x);
          case 'exp': return Math.exp(x);
          case 'log': return Math.log(x);
        }
        break;
      }
      case 'binary': {
        const x = visit(node.left), y = visit(node.right);
        switch (node.op) {
          case 'add': return x + y;
          case 'sub': return x - y;
          case 'mult': return x * y;
          case 'div': return x / y;
          case 'pow': return Math.pow(x, y);
          case 'min': return y < x ? y : x;
          case 'max': return y > x ? y : x;
        }
      }
    }
  };
  return visit(root);
}
