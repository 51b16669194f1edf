// Invariant: for fixed predictions, every base node's Student-t bound, the root interval and the point
// value of g agree with the original engine's ParseTree on bounds_cases.json (both branches, 1e-9), and
// the constraints the engine cannot bound fail with a clear BoundingError.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BoundingError } from '../../src-shared/bounds/interval';
import { compileConstraint } from '../../src-shared/constraint';
import { ConstraintBounder, type BoundBranch } from '../../src-main/engine/constraint-bounds';
import type { LabelledRows } from '../../src-main/engine/data';
import { FIXTURES_DIR, fixtureNumber } from '../support/fixtures';

interface NodeBlock { lower: unknown; upper: unknown; n_samples: number; mean: unknown; std_ddof1: unknown; n_pred?: number }
interface BoundBlock { root_lower: unknown; root_upper: unknown; base_nodes: Record<string, NodeBlock> }
interface AcceptedCase { constraint: string; ok: boolean; safety_test?: BoundBlock; candidate_selection?: BoundBlock; g_point_value?: unknown; error?: { stage: string; message: string } }
interface BoundsCases {
  columns: number;
  n_safety_for_candidate_branch: number;
  p: number[];
  y: number[];
  sensitive: number[][];
  accepted: AcceptedCase[];
  rejected: AcceptedCase[];
}

const cases = JSON.parse(readFileSync(join(FIXTURES_DIR, 'bounds_cases.json'), 'utf8')) as BoundsCases;
const COLUMNS = ['M', 'F', 'Y', 'O', 'T'];
const data: LabelledRows = {
  nRows: cases.p.length,
  labels: Float64Array.from(cases.y),
  nClasses: 2,
  sensitiveColumns: COLUMNS,
  sensitive: Uint8Array.from(cases.sensitive.flat()),
};
const probs = Float64Array.from(cases.p);
const range = { start: 0, end: data.nRows };

function close(actual: number, expected: unknown, what: string): void {
  const e = fixtureNumber(expected);
  if (!Number.isFinite(e)) {
    expect(actual, what).toBe(e);
    return;
  }
  expect(Math.abs(actual - e), `${what}: ${actual} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
}

function bounderFor(source: string): ConstraintBounder {
  const compiled = compileConstraint(source, { columns: COLUMNS, subRegime: 'classification', delta: 0.05 });
  if (!compiled.ok) throw new Error(compiled.error.message);
  return new ConstraintBounder(compiled.constraint, data, range, 1);
}

function checkBlock(bounder: ConstraintBounder, branch: BoundBranch, block: BoundBlock): void {
  const result = bounder.bound(probs, branch);
  close(result.lower, block.root_lower, 'root lower');
  close(result.upper, block.root_upper, 'root upper');
  bounder.constraint.baseNodes.forEach((node, i) => {
    const expected = block.base_nodes[node.name];
    const ours = result.baseNodes[i];
    expect(ours.nSamples, `${node.name} n`).toBe(expected.n_samples);
    if (expected.n_pred !== undefined) expect(ours.nPredicted, `${node.name} n̂`).toBe(expected.n_pred);
    close(ours.mean, expected.mean, `${node.name} mean`);
    close(ours.std, expected.std_ddof1, `${node.name} std`);
    close(ours.lower, expected.lower, `${node.name} lower`);
    close(ours.upper, expected.upper, `${node.name} upper`);
  });
}

describe('bounds_cases.json: the engine ParseTree on fixed predictions', () => {
  for (const c of cases.accepted.filter((a) => a.ok)) {
    it(c.constraint, () => {
      const bounder = bounderFor(c.constraint);
      checkBlock(bounder, { kind: 'safety_test' }, c.safety_test!);
      checkBlock(bounder, { kind: 'candidate_selection', nSafetyRows: cases.n_safety_for_candidate_branch }, c.candidate_selection!);
      close(bounder.pointValue(probs), c.g_point_value, 'g point value');
    });
  }

  const unboundable = [...cases.accepted, ...cases.rejected].filter((c) => c.error?.stage.startsWith('propagate_bounds'));
  it('has constraints that parse but cannot be bounded', () => expect(unboundable.length).toBeGreaterThan(0));
  for (const c of unboundable) {
    it(`refuses to bound ${c.constraint}`, () => {
      const bounder = bounderFor(c.constraint);
      expect(() => bounder.bound(probs, { kind: 'safety_test' })).toThrow(BoundingError);
      expect(() => bounder.bound(probs, { kind: 'safety_test' })).toThrow(/negative/);
    });
  }
});
