/**
 * The safety conclusion of a Seldonian experiment, in one place for the report, `fairbound experiment
 * show` and the Experiments page: per Seldonian model, constraint and data fraction, the share of trials
 * whose solution violated the constraint on the ground truth, with exact (Clopper–Pearson) one-sided
 * bounds over the trials, compared with the constraint's δ.
 *
 * - `exceeds`: the exact lower bound is above δ (P(violation) > δ, at the stated confidence);
 * - `within`: the exact upper bound is at most δ (P(violation) ≤ δ, at the stated confidence);
 * - `too-few`: neither — the trials cannot tell (a bare mean of 0 over 3 trials says nothing about δ = 0.05).
 *
 * A model and constraint are `within` when every fraction is (each bound at the stated confidence, so the
 * claim "≤ δ at every fraction" holds at that confidence too), `exceeds` when some fraction is (each
 * fraction tested at the stated confidence, not corrected for the number of fractions), else `too-few`;
 * the experiment likewise over its Seldonian models and constraints.
 */
import { experimentConclusionSentence } from './guarantee-wording';
import { clopperPearsonBounds, compareRate, DEFAULT_BINOMIAL_CONFIDENCE, type BinomialBounds, type RateConclusion } from '../bounds/binomial-interval';

export type { RateConclusion };

/** The aggregates the conclusion reads (ExperimentAggregates, or its contract DTO). */
export interface SafetyInput {
  readonly constraints: readonly { readonly delta: number }[];
  readonly models: readonly {
    readonly name: string;
    readonly kind: string;
    readonly fractions: readonly { readonly fraction: number; readonly trials: number; readonly violations: readonly number[] }[];
  }[];
}

export interface FractionSafety {
  readonly fraction: number;
  readonly trials: number;
  readonly violations: number;
  readonly bounds: BinomialBounds;
  readonly conclusion: RateConclusion;
}

export interface ConstraintSafety {
  readonly model: string;
  /** 0-based constraint index. */
  readonly constraint: number;
  readonly delta: number;
  readonly conclusion: RateConclusion;
  readonly fractions: readonly FractionSafety[];
}

export interface ExperimentSafety {
  /** The one-sided confidence of every bound (0.95). */
  readonly confidence: number;
  /** `none`: the experiment has no Seldonian model with a stored trial. */
  readonly conclusion: RateConclusion | 'none';
  readonly rows: readonly ConstraintSafety[];
}

/** `violations` of `trials` against δ: the exact bounds and what they conclude. */
export function violationConclusion(violations: number, trials: number, delta: number, confidence: number = DEFAULT_BINOMIAL_CONFIDENCE): { bounds: BinomialBounds; conclusion: RateConclusion } {
  const bounds = clopperPearsonBounds(violations, trials, confidence);
  return { bounds, conclusion: compareRate(bounds, delta) };
}

function combine(conclusions: readonly RateConclusion[]): RateConclusion {
  if (conclusions.includes('exceeds')) return 'exceeds';
  return conclusions.length > 0 && conclusions.every((c) => c === 'within') ? 'within' : 'too-few';
}

/** The conclusion for every Seldonian model and constraint, and for the experiment. */
export function experimentSafety(input: SafetyInput, confidence: number = DEFAULT_BINOMIAL_CONFIDENCE): ExperimentSafety {
  const rows = input.models
    .filter((m) => m.kind === 'seldonian' && m.fractions.some((f) => f.trials > 0))
    .flatMap((m) =>
      input.constraints.map((c, j): ConstraintSafety => {
        const fractions = m.fractions
          .filter((f) => f.trials > 0)
          .map((f): FractionSafety => {
            const violations = f.violations[j] ?? 0;
            return { fraction: f.fraction, trials: f.trials, violations, ...violationConclusion(violations, f.trials, c.delta, confidence) };
          });
        return { model: m.name, constraint: j, delta: c.delta, conclusion: combine(fractions.map((f) => f.conclusion)), fractions };
      }),
    );
  return { confidence, conclusion: rows.length === 0 ? 'none' : combine(rows.map((r) => r.conclusion)), rows };
}

/** The smallest number of trials with no violation whose exact upper bound is ≤ δ. */
export function trialsNeededWithoutViolation(delta: number, confidence: number = DEFAULT_BINOMIAL_CONFIDENCE): number {
  if (!(delta > 0 && delta < 1)) return Number.POSITIVE_INFINITY;
  // 1 − (1 − c)^(1/n) ≤ δ  ⇔  n ≥ ln(1 − c) / ln(1 − δ); settled exactly against the bound itself.
  let n = Math.max(1, Math.ceil(Math.log(1 - confidence) / Math.log(1 - delta)));
  while (n > 1 && violationConclusion(0, n - 1, delta, confidence).conclusion === 'within') n--;
  while (violationConclusion(0, n, delta, confidence).conclusion !== 'within') n++;
  return n;
}

// The words for conclusions live with every other guarantee's (src-shared/domain/guarantee-wording.ts).
export { confidenceLabel, conclusionLabel } from './guarantee-wording';

/** e.g. `0/3 = 0 [0, 0.632]`: violations / trials = rate [exact lower, exact upper]. */
export function formatViolationBounds(f: Pick<FractionSafety, 'violations' | 'trials' | 'bounds'>, digits = 3): string {
  const r = (v: number): string => String(Number(v.toFixed(digits)));
  return `${f.violations}/${f.trials} = ${r(f.bounds.rate)} [${r(f.bounds.lower)}, ${r(f.bounds.upper)}]`;
}

/** One sentence for the whole experiment: the conclusion, the method and the confidence. */
export function safetyHeadline(safety: ExperimentSafety): string {
  const needed =
    safety.conclusion === 'too-few'
      ? [...new Set(safety.rows.map((r) => r.delta))].map((delta) => ({ delta, trials: trialsNeededWithoutViolation(delta, safety.confidence) }))
      : [];
  return experimentConclusionSentence(safety.conclusion, safety.confidence, needed);
}
