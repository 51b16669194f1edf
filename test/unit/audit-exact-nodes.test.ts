// The exact bound inside the audit: each base node gets its Clopper–Pearson (hard) or betting (soft)
// bound on its side(s) at its own δ share, and g's bounds are those nodes' intervals propagated through
// the constraint's interval arithmetic, as the Student-t safety test combines its nodes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bettingLower, bettingUpper } from '../../src-shared/bounds/betting';
import { clopperPearsonLower, clopperPearsonUpper } from '../../src-shared/bounds/clopper-pearson';
import { propagateInterval } from '../../src-shared/bounds/interval';
import { compileConstraint, forLowerBound } from '../../src-shared/constraint';
import { auditConstraints, hardDecisions } from '../../src-main/audit/audit';
import { groupTable } from '../../src-main/audit/group-table';
import type { LabelledRows } from '../../src-main/engine/data';
import { FIXTURES_DIR } from '../support/fixtures';

const COLUMNS = ['M', 'F', 'Y', 'O', 'T'];
const cases = JSON.parse(readFileSync(join(FIXTURES_DIR, 'bounds_cases.json'), 'utf8')) as { p: number[]; y: number[]; sensitive: number[][] };
const data: LabelledRows = { nRows: 400, labels: Float64Array.from(cases.y), nClasses: 2, sensitiveColumns: COLUMNS, sensitive: Uint8Array.from(cases.sensitive.flat()) };
const probs = Float64Array.from(cases.p);
const all = { start: 0, end: 400 };
const SOURCE = 'abs((ACC | [M]) - (ACC | [F])) <= 0.1';

function compiled() {
  const r = compileConstraint(SOURCE, { columns: COLUMNS, subRegime: 'classification', delta: 0.05 });
  if (!r.ok) throw new Error(r.error.message);
  return r.constraint;
}

/** The ACC values of a group's rows, in row order, under hard decisions at 0.5 or soft probabilities. */
function accValues(column: string, hard: boolean): Float64Array {
  const c = COLUMNS.indexOf(column);
  const p = hard ? hardDecisions(probs, 1, 0.5) : probs;
  const values: number[] = [];
  for (let row = 0; row < 400; row++) if (data.sensitive[row * COLUMNS.length + c] === 1) values.push(data.labels[row] === 1 ? p[row] : 1 - p[row]);
  return Float64Array.from(values);
}

describe.each([{ hard: true }, { hard: false }])('the exact bound per node (hard: $hard)', ({ hard }) => {
  const [result] = auditConstraints({ data, probs, nOutputs: 1, rows: all, constraints: [compiled()], mode: hard ? { kind: 'hard', threshold: 0.5 } : { kind: 'soft' }, method: 'exact' });

  it("gives each node its exact bound at the node's δ share", () => {
    for (const node of [...result.upperStatement.nodes, ...result.lowerStatement.nodes]) {
      const values = accValues(node.spec.conditionalColumns[0], hard);
      expect(node.bound.nSamples).toBe(values.length);
      const k = values.reduce((a, b) => a + b, 0);
      if (node.spec.lowerNeeded) {
        const expected = hard ? clopperPearsonLower(k, values.length, node.spec.deltaLower!) : bettingLower(values, node.spec.deltaLower!);
        expect(node.bound.lower).toBeCloseTo(expected, 14);
      } else expect(node.bound.lower).toBe(-Infinity);
      if (node.spec.upperNeeded) {
        const expected = hard ? clopperPearsonUpper(k, values.length, node.spec.deltaUpper!) : bettingUpper(values, node.spec.deltaUpper!);
        expect(node.bound.upper).toBeCloseTo(expected, 14);
      } else expect(node.bound.upper).toBe(Infinity);
    }
  });

  it("propagates the nodes' intervals through the constraint's interval arithmetic", () => {
    const up = result.upperStatement.nodes;
    expect(result.gUpper).toBe(propagateInterval(result.constraint.root, up.map((n) => n.bound.lower), up.map((n) => n.bound.upper)).upper);
    const low = result.lowerStatement.nodes;
    expect(result.gLower).toBe(propagateInterval(forLowerBound(result.constraint).root, low.map((n) => n.bound.lower), low.map((n) => n.bound.upper)).lower);
    expect(result.verdict).toBe(result.gUpper <= 0 ? 'holds' : result.gLower > 0 ? 'violated' : 'inconclusive');
  });
});

describe('the group table with the exact bound', () => {
  it('gives each rate its two-sided exact interval at α/2 per side', () => {
    const decisions = hardDecisions(probs, 1, 0.5);
    const [, m] = groupTable({ data, probs: decisions, nOutputs: 1, rows: all, alpha: 0.1, method: 'exact', exactKind: 'binomial' });
    const values = accValues('M', true);
    const k = values.reduce((a, b) => a + b, 0);
    expect(m.rates.ACC).toMatchObject({ n: values.length });
    expect(m.rates.ACC!.lower).toBeCloseTo(clopperPearsonLower(k, values.length, 0.05), 14);
    expect(m.rates.ACC!.upper).toBeCloseTo(clopperPearsonUpper(k, values.length, 0.05), 14);
  });
});
