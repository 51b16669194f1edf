/**
 * A constraint in its own terms: `min((ACC | [A])/(ACC | [B]), (ACC | [B])/(ACC | [A])) >= 0.8` is "the
 * accuracy ratio ≥ 0.8", and the safety test's upper bound of g becomes a bound on that quantity.
 *
 * The inequality is rewritten textually (src-shared/constraint/normalise.ts): `E >= c` is g = c − (E) and
 * `E <= c` is g = E − (c), so with one side a plain number c the bound of g converts exactly:
 * E ≥ c − U(g) for `>=`, E ≤ c + U(g) for `<=`. A constraint with no plain-number side has no such
 * reading (null); its g-space numbers stand alone.
 *
 * Pure and without dependencies.
 */

export type TermsDirection = 'at-least' | 'at-most';

export interface ConstraintTerms {
  /** The side that is not the number, as typed (trimmed). */
  readonly expression: string;
  /** What it is in words: "the accuracy ratio", "the positive rate difference", "ACC | [A]". */
  readonly quantity: string;
  readonly direction: TermsDirection;
  /** The constant side c. */
  readonly threshold: number;
}

const MEASURE_WORDS: Readonly<Record<string, string>> = {
  ACC: 'accuracy',
  PR: 'positive rate',
  NR: 'negative rate',
  FPR: 'false positive rate',
  TPR: 'true positive rate',
  FNR: 'false negative rate',
  TNR: 'true negative rate',
  CM: 'confusion-matrix entry',
};

/** One base node, e.g. `(PR | [M])`, `ACC`, `FPR | [A,B]`. */
const SINGLE_NODE = /^\(?\s*(ACC|PR|NR|FPR|TPR|FNR|TNR)\s*(?:\|\s*\[([^\]]*)\])?\s*\)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MEASURE = /\b(ACC|PR|NR|FPR|TPR|FNR|TNR|CM)\b/g;

/** What an expression measures, in words, for the shapes people write; otherwise the expression itself. */
export function describeQuantity(expression: string): string {
  const measures = [...new Set([...expression.matchAll(MEASURE)].map((m) => m[1]))];
  const words = measures.length === 1 ? MEASURE_WORDS[measures[0]] : undefined;
  const compact = expression.replace(/\s+/g, '');
  const single = SINGLE_NODE.exec(expression.trim());
  if (single) {
    const groups = single[2]?.split(',').map((c) => c.trim()).filter((c) => c !== '') ?? [];
    return `the ${MEASURE_WORDS[single[1]]}${groups.length > 0 ? ` of group ${groups.join(' ∧ ')}` : ''}`;
  }
  if (words !== undefined) {
    if (/^min\(/.test(compact) && compact.includes('/')) return `the ${words} ratio`;
    if (/^abs\(/.test(compact) && compact.includes('-')) return `the ${words} difference`;
    if (/^max\(/.test(compact) && compact.includes('/')) return `the larger ${words} ratio`;
  }
  return expression;
}

/** The constraint's reading as "quantity ≥ / ≤ threshold", or null when neither side is a plain number. */
export function constraintTerms(source: string): ConstraintTerms | null {
  const ge = source.indexOf('>=');
  const le = source.indexOf('<=');
  if ((ge < 0) === (le < 0)) return null;
  const at = ge >= 0 ? ge : le;
  const lhs = source.slice(0, at).trim();
  const rhs = source.slice(at + 2).trim();
  const opAtLeast = ge >= 0;
  let expression: string;
  let threshold: number;
  let direction: TermsDirection;
  if (NUMBER.test(rhs)) {
    expression = lhs;
    threshold = Number(rhs);
    direction = opAtLeast ? 'at-least' : 'at-most';
  } else if (NUMBER.test(lhs)) {
    // `c <= E` reads E ≥ c; `c >= E` reads E ≤ c (the rewrite gives the same g as the flipped form).
    expression = rhs;
    threshold = Number(lhs);
    direction = opAtLeast ? 'at-most' : 'at-least';
  } else {
    return null;
  }
  if (expression === '' || !Number.isFinite(threshold)) return null;
  return { expression, quantity: describeQuantity(expression), direction, threshold };
}

/** g's value (bound or estimate) as the quantity's: c − g for `≥`, c + g for `≤`. */
export function quantityFromG(terms: ConstraintTerms, g: number): number {
  return terms.direction === 'at-least' ? terms.threshold - g : terms.threshold + g;
}

/**
 * A bound rounded outward to `digits` decimals, so the rounded statement is implied by the computed one:
 * a lower bound rounds down, an upper bound up.
 */
export function roundBoundOutward(value: number, direction: TermsDirection, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  const scaled = value * scale;
  const stepped = direction === 'at-least' ? Math.floor(scaled) : Math.ceil(scaled);
  return Number((stepped / scale).toFixed(digits));
}
