// `fairbound audit --report`: the bounds audit exported as the self-contained HTML report (and PDF through
// Chromium when installed), on bounds_cases.json's rows imported as a dataset with a predictions file.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { FIXTURES_DIR } from '../support/fixtures';
import { chromiumAvailable } from '../support/chromium';

const cases = JSON.parse(readFileSync(join(FIXTURES_DIR, 'bounds_cases.json'), 'utf8')) as { p: number[]; y: number[]; sensitive: number[][] };
const COLUMNS = ['M', 'F', 'Y', 'O', 'T'];

let dir: string, db: string, predictions: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-audit-report-'));
  db = join(dir, 'workspace.db');
  writeFileSync(join(dir, 'rows.csv'), cases.y.map((y, i) => [0, ...cases.sensitive[i], y].join(',')).join('\n'));
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ regime: 'supervised_learning', sub_regime: 'classification', all_col_names: ['x', ...COLUMNS, 'label'], label_col_names: ['label'], sensitive_col_names: COLUMNS }));
  predictions = join(dir, 'predictions.csv');
  writeFileSync(predictions, `row,p\n${cases.p.map((p, i) => `${i},${p}`).join('\n')}\n`);
  const imported = await cli('import', 'seldonian', '--csv', join(dir, 'rows.csv'), '--metadata', join(dir, 'metadata.json'), '--name', 'bounds', '--db', db, '--quiet');
  expect(imported.code, imported.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One constraint that holds, one violated, one inconclusive (fairness gap with a wide interval).
const CONSTRAINTS = ['ACC >= 0.05', 'ACC >= 0.99', 'abs((PR | [M]) - (PR | [F])) <= 0.1'];

function audit(...extra: string[]) {
  return cli('audit', '--dataset', 'bounds', '--predictions', predictions, '--key', 'row', '--db', db, ...CONSTRAINTS.map((c) => `--constraint=${c}`), '--intersection', 'F,Y', ...extra);
}

describe('fairbound audit --report', () => {
  it('writes a self-contained HTML report next to the normal output', async () => {
    const file = join(dir, 'out', 'audit.html');
    const json = await audit('--json', '--bound', 'student-t', '--report', file);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { constraints: Array<{ parsed: string; verdict: string }>; groups: Array<{ group: string; n: number }> };
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const c of parsed.constraints) {
      expect(html).toContain(c.verdict.toUpperCase());
      expect(html).toContain(c.parsed.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    }
    expect(new Set(parsed.constraints.map((c) => c.verdict)).size).toBeGreaterThan(1);
    expect(html).toMatch(/<svg[\s>]/);
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBeGreaterThanOrEqual(CONSTRAINTS.length);
    // Group counts of the per-group table and of the dataset summary.
    for (const g of parsed.groups) expect(html).toContain(`<td>${g.n}</td>`);
    expect(html).toContain('F ∧ Y');
    expect(html).toContain(`<td>${cases.y.length}</td>`);
    for (const word of ['predictions', 'hard decisions at threshold 0.5', 'student-t', 'Student-t bounds (approximate', 'TPR', 'FNR', 'TNR']) expect(html).toContain(word);
    // No external reference: no script, and no http(s) URL in src/href attributes.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\s(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('reports soft mode and Hoeffding bounds, and keeps the text output', async () => {
    const file = join(dir, 'soft.html');
    const r = await audit('--soft', '--bound', 'hoeffding', '--report', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/soft \(probabilistic\) estimators/);
    expect(r.stderr).toContain(file);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('soft (the engine');
    expect(html).toContain('hoeffding');
  });

  it("names the default exact bound, labels g's two ends truthfully and qualifies the verdicts", async () => {
    const file = join(dir, 'exact.html');
    const r = await audit('--report', file);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('exact: exact bounds (Clopper–Pearson, binomial)');
    expect(html).toContain('(each end holds with confidence 0.95; together 0.9)');
    expect(html).toContain('each end 1 − δ; together 1 − 2δ');
    // A predictions file: the audit cannot know which rows trained its model.
    expect(html).toContain('valid only if none of the audited rows trained the model');
    expect(html).not.toContain('1000×');
  });

  it('refuses --report with --retrain-head (exit 2)', async () => {
    const r = await cli('audit', '--retrain-head', '--model', join(dir, 'none', 'model.json'), '--dataset', 'bounds', '--constraint', 'ACC >= 0.5', '--report', join(dir, 'x.html'), '--db', db);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--report .*--retrain-head/);
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });

  it.skipIf(!chromiumAvailable())('prints the report to PDF through Chromium', async () => {
    const html = join(dir, 'p.html'), pdf = join(dir, 'p.pdf');
    const r = await audit('--report', html, '--pdf', pdf);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    expect(statSync(pdf).size).toBeGreaterThan(5000);
  }, 60_000);
});
