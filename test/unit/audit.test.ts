// Invariants of auditing existing predictions: soft Student-t audits reproduce the engine's safety-test
// bounds (bounds_cases.json, a fixture case's solution); Hoeffding and hard-threshold modes match values
// computed by hand; the verdict is three-way; the predictions file is checked row by row.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hoeffdingHalfWidth } from '../../src-shared/bounds/hoeffding';
import { compileConstraint } from '../../src-shared/constraint';
import type { CompiledConstraint } from '../../src-shared/constraint/ast';
import { auditConstraints, type EstimatorMode } from '../../src-main/audit/audit';
import { groupTable } from '../../src-main/audit/group-table';
import { readPredictions } from '../../src-main/audit/predictions';
import { readMetadata, readSeldonianCsv } from '../../src-main/data/seldonian-format';
import type { BoundMethod } from '../../src-main/engine/constraint-bounds';
import type { LabelledRows } from '../../src-main/engine/data';
import { BinaryLogisticModel } from '../../src-main/engine/models/logistic';
import { predictRange } from '../../src-main/engine/safety-test';
import { FIXTURES_DIR, fixtureNumber } from '../support/fixtures';

const COLUMNS = ['M', 'F', 'Y', 'O', 'T'];
interface Block { root_lower: unknown; root_upper: unknown; base_nodes: Record<string, { lower: unknown; upper: unknown; n_samples: number; mean: unknown }> }
const cases = JSON.parse(readFileSync(join(FIXTURES_DIR, 'bounds_cases.json'), 'utf8')) as {
  p: number[]; y: number[]; sensitive: number[][];
  accepted: Array<{ constraint: string; ok: boolean; safety_test?: Block; g_point_value?: unknown }>;
};
const data: LabelledRows = { nRows: 400, labels: Float64Array.from(cases.y), nClasses: 2, sensitiveColumns: COLUMNS, sensitive: Uint8Array.from(cases.sensitive.flat()) };
const probs = Float64Array.from(cases.p);
const all = { start: 0, end: 400 };

function compile(source: string, columns = COLUMNS, delta = 0.05): CompiledConstraint {
  const r = compileConstraint(source, { columns, subRegime: 'classification', delta });
  if (!r.ok) throw new Error(r.error.message);
  return r.constraint;
}

function audit(sources: string[], mode: EstimatorMode = { kind: 'soft' }, method: BoundMethod = 'student-t') {
  return auditConstraints({ data, probs, nOutputs: 1, rows: all, constraints: sources.map((s) => compile(s)), mode, method });
}

function close(actual: number, expected: unknown, tolerance = 1e-9): void {
  const e = fixtureNumber(expected);
  if (!Number.isFinite(e)) expect(actual).toBe(e);
  else expect(Math.abs(actual - e)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e)));
}

describe('soft Student-t audit = the engine safety test', () => {
  it('reproduces every safety_test block of bounds_cases.json', () => {
    const accepted = cases.accepted.filter((c) => c.ok);
    const results = audit(accepted.map((c) => c.constraint));
    results.forEach((r, i) => {
      const block = accepted[i].safety_test!;
      close(r.gUpper, block.root_upper);
      close(r.upperStatement.lower, block.root_lower);
      close(r.gPoint, accepted[i].g_point_value);
      for (const node of r.upperStatement.nodes) {
        const expected = block.base_nodes[node.spec.name];
        expect(node.bound.nSamples).toBe(expected.n_samples);
        close(node.bound.lower, expected.lower);
        close(node.bound.upper, expected.upper);
      }
    });
  });

  it("reproduces a fixture case's safety-test bounds from its solution", () => {
    const dir = join(FIXTURES_DIR, 'small_s0');
    const expected = JSON.parse(readFileSync(join(dir, 'ratio_0.8', 'expected.json'), 'utf8'));
    const dataset = readSeldonianCsv(join(dir, 'data.csv'), readMetadata(join(dir, 'metadata.json')));
    const model = new BinaryLogisticModel(dataset.features, dataset.nFeatures);
    const safety = { start: expected.n_candidate, end: dataset.nRows };
    const [result] = auditConstraints({
      data: dataset,
      probs: predictRange(model, Float64Array.from(expected.solution), safety),
      nOutputs: 1,
      rows: safety,
      constraints: [compileConstraint(expected.constraint_strs_in[0], { columns: ['M', 'F'], subRegime: 'classification', delta: 0.05 }) as { ok: true; constraint: CompiledConstraint }].map((r) => r.constraint),
      mode: { kind: 'soft' },
      method: 'student-t',
    });
    close(result.gUpper, expected.safety_test.upper_bounds[0], 1e-9);
    const nodes = expected.safety_test.base_node_bounds[expected.constraint_strs_parsed[0]];
    for (const node of result.upperStatement.nodes) {
      close(node.bound.lower, nodes[node.spec.name].lower, 1e-9);
      close(node.bound.upper, nodes[node.spec.name].upper, 1e-9);
    }
    expect(result.verdict).toBe('holds');
  });
});

describe('Hoeffding bounds', () => {
  it('has the hand-computed half-width √(ln(1/δ)/(2n))', () => {
    expect(hoeffdingHalfWidth(100, 0.05)).toBeCloseTo(0.12238734153404082, 15); // sqrt(ln(20)/200)
    expect(hoeffdingHalfWidth(400, 0.0125)).toBeCloseTo(Math.sqrt(Math.log(80) / 800), 15);
  });
  it('bounds a node by mean ± half-width, clipped to [0, 1]', () => {
    const [r] = audit(['PR >= 0.3'], { kind: 'soft' }, 'hoeffding');
    const pr = r.upperStatement.nodes[0].bound;
    const mean = cases.p.reduce((a, b) => a + b, 0) / 400;
    expect(pr.mean).toBeCloseTo(mean, 12);
    expect(pr.lower).toBeCloseTo(mean - Math.sqrt(Math.log(20) / 800), 12);
    expect(r.gUpper).toBeCloseTo(0.3 - (mean - Math.sqrt(Math.log(20) / 800)), 12);
  });
  it('gives wider intervals than Student-t here', () => {
    const [t] = audit(['ACC >= 0.5']);
    const [h] = audit(['ACC >= 0.5'], { kind: 'soft' }, 'hoeffding');
    expect(h.gUpper).toBeGreaterThan(t.gUpper);
  });
});

describe('hard-threshold mode', () => {
  it('counts p ≥ t as a positive', () => {
    const t = 0.6;
    const [r] = audit(['(TPR | [F]) >= 0.1'], { kind: 'hard', threshold: t });
    const rows = cases.y.map((y, i) => i).filter((i) => cases.y[i] === 1 && cases.sensitive[i][1] === 1);
    const positives = rows.filter((i) => cases.p[i] >= t).length;
    const node = r.upperStatement.nodes[0].bound;
    expect(node.nSamples).toBe(rows.length);
    expect(node.mean).toBeCloseTo(positives / rows.length, 14);
  });
});

describe('verdicts', () => {
  it('holds, violated or inconclusive with the data that would decide', () => {
    const [holds, violated, inconclusive] = audit(['ACC >= 0.5', 'ACC >= 0.95', '(ACC | [Y]) >= 0.75']);
    expect(holds.verdict).toBe('holds');
    expect(holds.gUpper).toBeLessThanOrEqual(0);
    expect(violated.verdict).toBe('violated');
    expect(violated.gLower).toBeGreaterThan(0);
    expect(inconclusive.verdict).toBe('inconclusive');
    expect(inconclusive.gLower).toBeLessThanOrEqual(0);
    expect(inconclusive.gUpper).toBeGreaterThan(0);
    expect(inconclusive.dataNeeded).not.toBeNull();
    expect(inconclusive.dataNeeded!.factor).toBeGreaterThan(1);
    expect(inconclusive.dataNeeded!.towards).toBe(inconclusive.gPoint < 0 ? 'holds' : 'violated');
  });
  it('bounds g from below with the lower statement’s own sides', () => {
    const [r] = audit(['PR >= 0.5']);
    // g = 0.5 − PR: its lower bound needs PR's upper bound, which the engine's statement leaves at +∞.
    expect(r.upperStatement.lower).toBe(-Infinity);
    expect(Number.isFinite(r.gLower)).toBe(true);
    expect(r.lowerStatement.nodes[0].spec.upperNeeded).toBe(true);
  });
});

describe('group table', () => {
  it('reports n and rates per group with intervals that contain the mean', () => {
    const table = groupTable({ data, probs, nOutputs: 1, rows: all, intersections: [['F', 'Y']], alpha: 0.05, method: 'student-t' });
    expect(table.map((g) => g.columns.join('&'))).toEqual(['', 'M', 'F', 'Y', 'O', 'T', 'F&Y']);
    const female = table[2];
    expect(female.nRows).toBe(cases.sensitive.filter((s) => s[1] === 1).length);
    for (const rate of Object.values(female.rates)) {
      expect(rate!.lower).toBeLessThanOrEqual(rate!.mean);
      expect(rate!.upper).toBeGreaterThanOrEqual(rate!.mean);
    }
    expect(table[5].rates.ACC!.lower).toBe(-Infinity); // group T has 4 rows
  });
});

describe('predictions file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fairbound-preds-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('matches rows by key in any order', async () => {
    const path = write('ok.csv', 'file,p\nb.png,0.25\na.png,0.75\n');
    const p = await readPredictions(path, 2, { kind: 'key', column: 'file', rowKeys: ['a.png', 'b.png'] });
    expect(Array.from(p.probs)).toEqual([0.75, 0.25]);
    expect(p.nOutputs).toBe(1);
  });
  it('reads multiclass rows by order', async () => {
    const p = await readPredictions(write('mc.csv', 'p_0,p_1,p_2\n0.2,0.3,0.5\n1,0,0\n'), 2, { kind: 'order' });
    expect(p.nOutputs).toBe(3);
    expect(Array.from(p.probs)).toEqual([0.2, 0.3, 0.5, 1, 0, 0]);
  });
  const bad: Array<[string, string, number, RegExp]> = [
    ['a value outside [0, 1]', 'p\n0.5\n1.5\n', 2, /row 3, column 'p'.*outside \[0, 1\]/],
    ['NaN', 'p\n0.5\nnan\n', 2, /row 3, column 'p'.*expected a probability/],
    ['an empty cell', 'id,p\na,0.5\nb,\n', 2, /row 3, column 'p'.*expected a probability, got ''/],
    ['missing rows', 'p\n0.5\n', 3, /2 of the dataset's 3 rows are missing/],
    ['too many rows', 'p\n0.5\n0.5\n0.5\n', 2, /row 4.*more prediction rows/],
    ['rows not summing to 1', 'p_0,p_1\n0.5,0.4\n', 1, /row 2.*sum to 0\.9/],
    ['no probability column', 'score\n0.5\n', 1, /no probability columns/],
  ];
  it.each(bad)('names the row and column for %s', async (_name, text, nRows, message) => {
    await expect(readPredictions(write(`bad${nRows}${text.length}.csv`, text), nRows, { kind: 'order' })).rejects.toThrow(message);
  });
  it('refuses duplicate and unknown keys', async () => {
    const keys = { kind: 'key' as const, column: 'file', rowKeys: ['a', 'b'] };
    await expect(readPredictions(write('dup.csv', 'file,p\na,0.1\na,0.2\n'), 2, keys)).rejects.toThrow(/row 3, column 'file'.*duplicate/);
    await expect(readPredictions(write('unk.csv', 'file,p\nz,0.1\n'), 2, keys)).rejects.toThrow(/row 2, column 'file'.*'z' matches no row/);
  });
});
