/**
 * Every verdict's guarantee, in words, in ONE place: the CLI's text, the app's banners, the HTML/PDF
 * reports and the README quote these functions and nothing else (test/unit/guarantee-wording.test.ts
 * fails when a face states a guarantee another way).
 *
 * A guarantee is about the procedure, not about the model it returned: the chance that the procedure
 * returns (or an audit declares) a model on the wrong side of the constraint is at most δ. It is
 * approximate under the Student-t bound (the engine's default: a normal approximation of the mean) and
 * exact — valid without approximation — under Hoeffding's, Clopper–Pearson's and the betting bound. The
 * rates it is about are the model's expected (soft) rates where the estimators were soft, and its rates
 * at the decision threshold where they were hard.
 *
 * Pure and without dependencies (types only), so that the contract, the renderer and the reports import it.
 */
import type { AuditBoundMethod, AuditGuaranteeKind } from '../bounds/audit-labels';
import type { BoundMethod } from './qsa';

/** The bound behind a guarantee: Student-t is approximate; the others are exact (valid). */
export type GuaranteeBound = 'student-t' | 'hoeffding' | 'clopper-pearson' | 'betting';
/** Soft: the model's probabilities (expected rates); hard: its decisions at `threshold`. */
export type GuaranteeEstimates = { readonly kind: 'soft' } | { readonly kind: 'hard'; readonly threshold: number };

export const SOFT: GuaranteeEstimates = { kind: 'soft' };

const round6 = (x: number): number => Number(x.toFixed(6));

/** The QSA's bound (BoundMethod) or an audit's (exact resolves by mode), as a GuaranteeBound. */
export function guaranteeBound(method: AuditBoundMethod, mode: 'hard' | 'soft'): GuaranteeBound {
  if (method === 'exact') return mode === 'hard' ? 'clopper-pearson' : 'betting';
  return method;
}

/** How exact the statement is: "approximately, under the Student-t approximation" or "exactly (…)". */
export function boundQualifier(bound: GuaranteeBound): string {
  switch (bound) {
    case 'student-t':
      return 'approximately, under the Student-t approximation (a normal approximation of the mean, unreliable for small groups)';
    case 'hoeffding':
      return "exactly (Hoeffding's bound, valid for any distribution on [0, 1])";
    case 'clopper-pearson':
      return "exactly (Clopper–Pearson's exact binomial bound)";
    case 'betting':
      return 'exactly (the betting bound, valid for any distribution on [0, 1])';
  }
}

/** Which rates a statement is about: "the model's expected (soft) rates" or "its rates at threshold 0.5". */
export function ratesMeasured(estimates: GuaranteeEstimates): string {
  return estimates.kind === 'soft'
    ? "the model's expected (soft) rates, not its rates at threshold 0.5"
    : `the model's hard decisions at threshold ${estimates.threshold}`;
}

/** The label of a rate column: "soft (expected) rate" or "rate at threshold 0.5". */
export function rateKindLabel(estimates: GuaranteeEstimates, what = 'rate'): string {
  return estimates.kind === 'soft' ? `soft (expected) ${what}` : `${what} at threshold ${estimates.threshold}`;
}

/** A short tag for a column of such rates: "soft" or "at threshold 0.5". */
export function rateKindTag(estimates: GuaranteeEstimates): string {
  return estimates.kind === 'soft' ? 'soft' : `at threshold ${estimates.threshold}`;
}

/**
 * The label of a run's per-group accuracy (groupAccuracies in src-main/runs/run-results.ts: hard
 * decisions, p ≥ threshold for one output, the arg-max class for several): "accuracy at threshold 0.5".
 */
export function groupAccuracyLabel(threshold: number): string {
  return rateKindLabel({ kind: 'hard', threshold }, 'accuracy');
}

/** What the run's per-group accuracy is, next to the QSA's soft rates. */
export function groupAccuracyNote(threshold: number): string {
  return `${groupAccuracyLabel(threshold)}: hard decisions (p ≥ ${threshold} for one output, the arg-max class for several), not the soft (expected) accuracy the QSA bounds`;
}

export interface QsaGuaranteeInput {
  /** The constraint as written. */
  readonly source: string;
  readonly delta: number;
  /** The run's bound (qsaGuaranteeBound of its BoundMethod). */
  readonly bound: GuaranteeBound;
  /** The QSA's estimators: soft (the model's probabilities) for every run. */
  readonly estimates: GuaranteeEstimates;
}

/** A QSA run that passed: what the safety test guarantees for one constraint. */
export function qsaPassedSentence(c: QsaGuaranteeInput): string {
  return (
    `${c.source}: the chance that this procedure returns a model violating this constraint is at most δ = ${round6(c.delta)} — ` +
    `${boundQualifier(c.bound)} — where the constraint is measured on ${ratesMeasured(c.estimates)}.`
  );
}

/** A QSA run that returned No Solution Found: what that does (not) say. */
export function qsaNoSolutionSentence(): string {
  return 'No Solution Found: the algorithm returned no model rather than one it could not show to satisfy every constraint on the safety rows; this says nothing about this data set or the constraints beyond that.';
}

/**
 * A fresh head trained by the QSA on a pretrained model's latent features (`audit --retrain-head` on a
 * model file): which rows trained that model is unknown, so its safety test's guarantee rests on safety
 * rows the model never saw.
 */
export function pretrainedBodySentence(): string {
  return "The pretrained model's training rows are unknown to Fairbound: the safety test's guarantee holds only if none of the safety rows was among the data that trained it — the safety rows must be data the model never saw.";
}

/** The engine's QSA always bounds the model's soft (expected) rates. */
export const RUN_ESTIMATES: GuaranteeEstimates = SOFT;

/**
 * The bound behind a QSA's guarantee: its estimators are soft (values in [0, 1]), so its exact bound is
 * the betting bound, valid without approximation like Hoeffding's; Student-t stays approximate.
 */
export function qsaGuaranteeBound(method: BoundMethod): GuaranteeBound {
  return guaranteeBound(method, 'soft');
}

/** How g's two bounds read together: each end is a one-sided statement at δ. */
export function intervalConfidenceText(delta: number): string {
  return `each end holds with confidence ${round6(1 - delta)}; together ${round6(1 - 2 * delta)}`;
}

/** The qualification every face adds to an audit verdict on such rows (null: none needed). */
export function guaranteeNote(guarantee: AuditGuaranteeKind): string | null {
  switch (guarantee) {
    case 'independent':
      return null;
    case 'repeats-safety-test':
      return "this repeats the run's safety test on its own safety rows: not an independent confirmation";
    case 'none-trained-rows':
      return 'NOT a guarantee: the audited rows include rows that trained the model, so no confidence applies';
    case 'unknown-training-rows':
      return 'valid only if none of the audited rows trained the model';
  }
}

export type AuditVerdict = 'holds' | 'violated' | 'inconclusive';
const VERDICT_WORDS = { holds: 'HOLDS', violated: 'VIOLATED', inconclusive: 'INCONCLUSIVE' } as const;

/** The verdict's word: HOLDS, VIOLATED or INCONCLUSIVE. */
export function verdictWord(verdict: AuditVerdict): string {
  return VERDICT_WORDS[verdict];
}

/**
 * A constraint's verdict line, the same in the CLI's text, on the Audit page and in the report:
 * e.g. "HOLDS with confidence 0.95", or on rows that trained the model
 * "HOLDS on these rows — NOT a guarantee: …".
 */
export function verdictLine(verdict: AuditVerdict, delta: number, guarantee: AuditGuaranteeKind): string {
  const word = VERDICT_WORDS[verdict];
  const confidence = round6(1 - delta);
  const note = guaranteeNote(guarantee);
  if (guarantee === 'none-trained-rows') return `${word} on these rows — ${note}`;
  const head = verdict === 'inconclusive' ? `${word} at confidence ${confidence}` : `${word} with confidence ${confidence}`;
  return note === null ? head : `${head} — ${note}`;
}

export interface AuditGuaranteeInput {
  readonly verdict: AuditVerdict;
  readonly delta: number;
  readonly bound: GuaranteeBound;
  readonly estimates: GuaranteeEstimates;
  readonly guarantee: AuditGuaranteeKind;
}

/** What one audit verdict says, in one sentence (its note, if any, is guaranteeNote's). */
export function auditVerdictSentence(a: AuditGuaranteeInput): string {
  const measured = `measured on ${ratesMeasured(a.estimates)}`;
  if (a.guarantee === 'none-trained-rows' && a.verdict !== 'inconclusive') {
    return `On these rows g ${a.verdict === 'holds' ? '≤ 0' : '> 0'} (${measured}), but they include rows that trained the model: no confidence applies.`;
  }
  const delta = round6(a.delta);
  switch (a.verdict) {
    case 'holds':
      return `The upper bound of g is ≤ 0: the chance that an audit like this one declares HOLDS for a model that violates the constraint on data like this is at most δ = ${delta} — ${boundQualifier(a.bound)} — ${measured}.`;
    case 'violated':
      return `The lower bound of g is > 0: the chance that an audit like this one declares VIOLATED for a model that satisfies the constraint on data like this is at most δ = ${delta} — ${boundQualifier(a.bound)} — ${measured}.`;
    case 'inconclusive':
      return `The bounds of g straddle 0: at confidence ${round6(1 - a.delta)} the audited rows cannot decide (${measured}).`;
  }
}

/** Experiment conclusions (see src-shared/domain/experiment-safety.ts). */
export type ExperimentConclusion = 'exceeds' | 'within' | 'too-few' | 'none';

/** `95%` for 0.95. */
export function confidenceLabel(confidence: number): string {
  return `${Number((confidence * 100).toFixed(2))}%`;
}

/** The words for a conclusion: "exceeds δ", "within δ", "too few trials to tell". */
export function conclusionLabel(conclusion: ExperimentConclusion): string {
  switch (conclusion) {
    case 'exceeds':
      return 'exceeds δ';
    case 'within':
      return 'within δ';
    case 'too-few':
      return 'too few trials to tell';
    case 'none':
      return 'no Seldonian model';
  }
}

/**
 * One sentence for a whole experiment: the conclusion, the method and the confidence. `needed`: for
 * too-few, per δ the smallest number of trials with no violation that would show ≤ δ.
 */
export function experimentConclusionSentence(conclusion: ExperimentConclusion, confidence: number, needed: readonly { readonly delta: number; readonly trials: number }[] = []): string {
  const level = confidenceLabel(confidence);
  const method = `exact (Clopper–Pearson) one-sided ${level} bounds on the violation rate over trials, per model, constraint and data fraction`;
  switch (conclusion) {
    case 'none':
      return 'No Seldonian model with stored trials: there is no safety conclusion.';
    case 'within':
      return `Within δ: every Seldonian model's violation rate is at most δ at every data fraction (${method}: every upper bound ≤ δ).`;
    case 'exceeds':
      return `Exceeds δ: some Seldonian model violated a constraint more often than δ allows at some data fraction (${method}: a lower bound > δ).`;
    case 'too-few': {
      const text = needed.map((n) => `${n.trials} trials for δ = ${n.delta}`).join(', ');
      return `Too few trials to tell: no violation rate is shown above δ, but not every one is shown at most δ (${method}). Even with no violation at all, each fraction needs at least ${text}.`;
    }
  }
}

export interface TermsBoundInput {
  /** What the constraint bounds, in words: "the accuracy ratio". */
  readonly quantity: string;
  readonly direction: 'at-least' | 'at-most';
  /** The bound on the quantity, already rounded outward (roundBoundOutward in constraint-terms.ts). */
  readonly bound: number;
  readonly threshold: number;
  readonly delta: number;
  readonly method: GuaranteeBound;
}

/**
 * A safety test's bound of g in the constraint's own terms (src-shared/domain/constraint-terms.ts):
 * "the accuracy ratio is ≥ 0.972 with confidence 1 − δ = 0.95 (threshold 0.8) — approximately, …".
 */
export function constraintTermsSentence(t: TermsBoundInput): string {
  const sign = t.direction === 'at-least' ? '≥' : '≤';
  const met = t.direction === 'at-least' ? t.bound >= t.threshold : t.bound <= t.threshold;
  return (
    `${t.quantity} is ${sign} ${t.bound} with confidence 1 − δ = ${round6(1 - t.delta)} ` +
    `(threshold ${t.threshold}${met ? '' : ': this bound does not reach it'}) — ${boundQualifier(t.method)}.`
  );
}

/**
 * After No Solution Found: the threshold this run's safety-test bound would have met, as advice for a
 * fresh run — choosing it from these safety rows and keeping the result would be no guarantee.
 */
export function looserThresholdAdvice(quantity: string, direction: 'at-least' | 'at-most', bound: number): string {
  const sign = direction === 'at-least' ? '≥' : '≤';
  const looser = direction === 'at-least' ? 'at most' : 'at least';
  return (
    `The safety test bounded ${quantity} ${sign} ${bound}: a threshold of ${looser} ${bound} would have been met on these rows. ` +
    'Decide on a looser threshold before a fresh run (new seed or new rows): one chosen by looking at these safety rows carries no guarantee.'
  );
}

/** The label of every verdict at a decision threshold other than the one stated before the audit. */
export const EXPLORATORY_THRESHOLD_NOTE = 'exploratory: threshold chosen on these rows, not a guarantee';

/**
 * A verdict at a threshold explored after the audit (the threshold slider): its word and the label, never
 * the guarantee sentence. At the stated threshold the audit's own verdict stands.
 */
export function exploratoryVerdictLine(verdict: AuditVerdict, threshold: number): string {
  return `${VERDICT_WORDS[verdict]} at threshold ${threshold} — ${EXPLORATORY_THRESHOLD_NOTE}; a guaranteed verdict needs the threshold stated before the audit, or fresh rows`;
}

/**
 * How a difference or ratio of two groups' rates is bounded: from both groups' two-sided intervals at
 * `confidence` each, so the pair holds together with at least 1 − 2(1 − confidence).
 */
export function disparityIntervalNote(confidence: number): string {
  const each = round6(confidence);
  const together = round6(1 - 2 * (1 - confidence));
  return `Difference and ratio intervals combine the two groups' intervals (each at ${each}); both hold together with probability at least ${together}.`;
}
