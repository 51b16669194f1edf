/** A finished run's verdict in words (pure): the guarantee when it passed, the reason when it did not. */
import type { RunDetail } from '../../../src-shared/contract';
import { num } from './format';

export interface VerdictText {
  readonly kind: 'passed' | 'nsf' | 'pending' | 'failed' | 'cancelled';
  readonly headline: string;
  readonly lines: readonly string[];
}

const confidence = (delta: number): string => `${Number(((1 - delta) * 100).toFixed(4))}%`;

export function runVerdict(detail: RunDetail): VerdictText {
  const { run } = detail;
  if (run.status === 'failed') return { kind: 'failed', headline: 'FAILED', lines: [run.error ?? 'the run failed'] };
  if (run.status === 'cancelled') return { kind: 'cancelled', headline: 'CANCELLED', lines: [run.error ?? 'the run was cancelled'] };
  if (detail.verdict === null) return { kind: 'pending', headline: run.status.toUpperCase(), lines: ['The run has not finished yet.'] };
  if (detail.verdict === 'passed') {
    return {
      kind: 'passed',
      headline: 'PASSED',
      lines: detail.constraints.map(
        (c) =>
          `The safety test bounds ${c.source} at confidence 1 − δ = ${confidence(c.delta)} on held-out data (upper bound of g ${c.upperBound === null ? '—' : num(c.upperBound)} ≤ 0): the procedure returns a violating model with probability at most δ = ${c.delta}, under the Student-t approximation.`,
      ),
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
  if (lines.length === 0 && detail.outcome?.message) lines.push(detail.outcome.message);
  else if (detail.outcome?.message && !lines.includes(detail.outcome.message)) lines.push(detail.outcome.message);
  return { kind: 'nsf', headline: 'NO SOLUTION FOUND', lines };
}
