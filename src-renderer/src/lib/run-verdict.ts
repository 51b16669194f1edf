/** A finished run's verdict in words (pure): the guarantee when it passed, the reason when it did not. */
import type { RunDetail } from '../../../src-shared/contract';
import { num } from './format';
import { pretrainedBodySentence, qsaNoSolutionSentence, qsaGuaranteeBound, qsaPassedSentence, RUN_ESTIMATES } from '../../../src-shared/domain/guarantee-wording';

export interface VerdictText {
  readonly kind: 'passed' | 'nsf' | 'pending' | 'failed' | 'cancelled';
  readonly headline: string;
  readonly lines: readonly string[];
}

export function runVerdict(detail: RunDetail): VerdictText {
  const { run } = detail;
  if (run.status === 'failed') return { kind: 'failed', headline: 'FAILED', lines: [run.error ?? 'the run failed'] };
  if (run.status === 'cancelled') return { kind: 'cancelled', headline: 'CANCELLED', lines: [run.error ?? 'the run was cancelled'] };
  if (detail.verdict === null) return { kind: 'pending', headline: run.status.toUpperCase(), lines: ['The run has not finished yet.'] };
  if (detail.verdict === 'passed') {
    return {
      kind: 'passed',
      headline: 'PASSED',
      lines: [
        ...detail.constraints.map(
          (c) => `Upper bound of g on the held-out safety rows ${c.upperBound === null ? '—' : num(c.upperBound)} ≤ 0. ${qsaPassedSentence({ source: c.source, delta: c.delta, bound: qsaGuaranteeBound(detail.bound), estimates: RUN_ESTIMATES })}`,
        ),
        // A pretrained model's training rows are unknown: the guarantee needs safety rows it never saw.
        ...(run.pipeline === 'pretrained' ? [pretrainedBodySentence()] : []),
      ],
    };
  }
  const lines: string[] = [];
  for (const c of detail.constraints) {
    const small = c.nodes.filter((n) => n.nSamples < 2);
    if (small.length > 0) lines.push(`${c.source}: ${small.map((n) => `${n.name} has ${n.nSamples} safety row${n.nSamples === 1 ? '' : 's'}`).join(', ')} — a group is too small to bound.`);
    else if (c.passed === false && c.upperBound !== null) {
      lines.push(
        Number.isFinite(c.upperBound)
          ? `${c.source}: the safety test's upper bound of g is ${num(c.upperBound, 4)}, exceeding 0 by ${num(c.upperBound, 4)}.`
          : `${c.source}: the safety test's upper bound of g is ${num(c.upperBound)} (a group is too small or has no spread to bound).`,
      );
    }
  }
  if (detail.candidateSelection?.returnedNsf) lines.push('Candidate selection found no candidate predicted to pass the safety test.');
  if (detail.outcome?.message && !lines.includes(detail.outcome.message)) lines.push(detail.outcome.message);
  lines.push(qsaNoSolutionSentence());
  return { kind: 'nsf', headline: 'NO SOLUTION FOUND', lines };
}
