// The audit as a user runs it: bounds_cases.json's rows imported as a dataset and its predictions written
// as a file; `fairbound audit --soft --bound student-t --rows all` reproduces every safety_test block.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { FIXTURES_DIR, fixtureNumber } from '../support/fixtures';

interface Block { root_upper: unknown; base_nodes: Record<string, { lower: unknown; upper: unknown; n_samples: number }> }
const cases = JSON.parse(readFileSync(join(FIXTURES_DIR, 'bounds_cases.json'), 'utf8')) as {
  p: number[]; y: number[]; sensitive: number[][]; accepted: Array<{ constraint: string; ok: boolean; safety_test?: Block; g_point_value?: unknown }>;
};
const COLUMNS = ['M', 'F', 'Y', 'O', 'T'];

let dir: string, db: string, predictions: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-audit-'));
  db = join(dir, 'workspace.db');
  // The Seldonian format needs a feature column; `x` is unused by the audit.
  writeFileSync(join(dir, 'rows.csv'), cases.y.map((y, i) => [0, ...cases.sensitive[i], y].join(',')).join('\n'));
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ regime: 'supervised_learning', sub_regime: 'classification', all_col_names: ['x', ...COLUMNS, 'label'], label_col_names: ['label'], sensitive_col_names: COLUMNS }));
  predictions = join(dir, 'predictions.csv');
  writeFileSync(predictions, `row,p\n${cases.p.map((p, i) => `${i},${p}`).reverse().join('\n')}\n`);
  const imported = await cli('import', 'seldonian', '--csv', join(dir, 'rows.csv'), '--metadata', join(dir, 'metadata.json'), '--name', 'bounds', '--db', db, '--quiet');
  expect(imported.code, imported.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function close(actual: unknown, expected: unknown): void {
  const a = fixtureNumber(actual), e = fixtureNumber(expected);
  if (!Number.isFinite(e)) expect(a).toBe(e);
  else expect(Math.abs(a - e), `${a} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
}

describe('fairbound audit', () => {
  it('reproduces the safety_test blocks of bounds_cases.json (rows matched by key)', async () => {
    const accepted = cases.accepted.filter((c) => c.ok);
    const args = accepted.map((c) => `--constraint=${c.constraint}`);
    const r = await cli('audit', '--dataset', 'bounds', '--predictions', predictions, '--key', 'row', '--soft', '--bound', 'student-t', '--rows', 'all', '--db', db, '--json', ...args);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { constraints: Array<{ parsed: string; gUpper: unknown; gPoint: unknown; verdict: string; baseNodes: Array<{ name: string; n: number; lower: unknown; upper: unknown }> }> };
    expect(out.constraints).toHaveLength(accepted.length);
    out.constraints.forEach((c, i) => {
      const block = accepted[i].safety_test!;
      close(c.gUpper, block.root_upper);
      close(c.gPoint, accepted[i].g_point_value);
      expect(c.verdict, accepted[i].constraint).toBe(i === 30 ? 'violated' : [0, 7, 8, 9, 15, 27, 28, 29].includes(i) ? 'inconclusive' : 'holds');
      for (const node of c.baseNodes) {
        expect(node.n).toBe(block.base_nodes[node.name].n_samples);
        close(node.lower, block.base_nodes[node.name].lower);
        close(node.upper, block.base_nodes[node.name].upper);
      }
    });
  });

  it('prints a readable verdict and group table', async () => {
    const r = await cli('audit', '--dataset', 'bounds', '--predictions', predictions, '--key', 'row', '--constraint', 'ACC >= 0.5', '--intersection', 'F,Y', '--db', db);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/HOLDS with confidence 0\.95/);
    expect(r.stdout).toMatch(/hard decisions at p ≥ 0\.5/);
    expect(r.stdout).toMatch(/^F&Y\s+\d+/m);
  });

  it('exits 2 with a caret for an unknown attribute and with the row for a bad predictions file', async () => {
    const bad = await cli('audit', '--dataset', 'bounds', '--predictions', predictions, '--by-order', '--constraint', '(ACC | [Q]) >= 0.5', '--db', db);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--constraint 1: unknown attribute 'Q' at column 9[\s\S]*\^/);
    const short = join(dir, 'short.csv');
    writeFileSync(short, 'p\n0.5\n2\n');
    const wrong = await cli('audit', '--dataset', 'bounds', '--predictions', short, '--by-order', '--constraint', 'ACC >= 0.5', '--db', db);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/short\.csv row 3, column 'p'/);
  });
});
