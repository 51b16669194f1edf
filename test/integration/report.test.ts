// The audit report: a self-contained HTML file for a stored training run and for a stored
// experiment, with the verdict, the constraints, the group counts and inline SVG charts, no external
// reference; the PDF and a PNG preview through Chromium when it is installed.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { selectBackend } from '../../src-main/deep/backends';
import { registerDeepExperimentModels } from '../../src-main/experiments/models/deep';
import { createExperiment, runExperiment } from '../../src-main/experiments/runner';
import { infeasibleRanges } from '../../src-main/report/charts';
import { escapeHtml } from '../../src-main/report/html';
import { parseReportTarget, runReportHtml, experimentReportHtml } from '../../src-main/report/report';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { getRun } from '../../src-main/store/runs';
import { chromiumAvailable } from '../support/chromium';
import { runStoredBandsRun } from '../support/tiny-run';

const RUN_CONSTRAINT = 'ACC >= 0.6';
const EXP_CONSTRAINT = 'abs((PR | [A]) - (PR | [B])) <= 0.2';

let dir: string, dbPath: string, db: WritableDB, runId: number, experimentId: number;
beforeAll(async () => {
  await selectBackend('wasm');
  registerDeepExperimentModels();
  dir = mkdtempSync(join(tmpdir(), 'fairbound-report-'));
  dbPath = join(dir, 'w.db');
  db = openWorkspace(dbPath);
  runId = await runStoredBandsRun(db, RUN_CONSTRAINT, 120);
  experimentId = createExperiment(db, {
    datasetId: 1, constraints: [{ source: EXP_CONSTRAINT, delta: 0.1 }], fractions: [0.5, 1], nTrials: 3,
    models: [
      { name: 'qsa-head', type: 'qsa-head', params: { batchEpochs: { '0.5': { batchSize: 50, epochs: 1 }, '1': { batchSize: 50, epochs: 1 } } } },
      { name: 'weighted-random', type: 'weighted-random', params: { p: 0.7 } },
    ],
    seed: 5,
    qsa: { iterations: 60 },
  });
  const summary = await runExperiment(db, experimentId, { workers: 1 });
  expect(summary.status).toBe('completed');
}, 60_000);
afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** src/href attributes and url() values pointing anywhere outside the file. */
function externalReferences(html: string): string[] {
  const refs = [...html.matchAll(/\s(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]);
  const urls = [...html.matchAll(/url\(\s*["']?([^"')]+)/gi)].map((m) => m[1]);
  return [...refs, ...urls].filter((r) => !r.startsWith('#') && !r.startsWith('data:'));
}

describe('report targets', () => {
  it('keeps run and experiment ids apart', () => {
    expect(parseReportTarget('run:3')).toEqual({ kind: 'run', id: 3 });
    expect(parseReportTarget('4', 'experiment')).toEqual({ kind: 'experiment', id: 4 });
    expect(() => parseReportTarget('4')).toThrow(/run:4 or experiment:4/);
    expect(() => parseReportTarget('run:4', 'experiment')).toThrow(/--kind says experiment/);
  });

  it('shades infeasible iterations as merged ranges', () => {
    const it = (iteration: number, g: number) => ({ iteration, f: 0, g: [g], lambda: [0], lagrangian: 0 });
    expect(infeasibleRanges([it(0, 1), it(1, 1), it(2, -1), it(3, 2)])).toEqual([[0, 2], [3, 4]]);
  });
});

describe('run report', () => {
  it('has the verdict, the constraint with its base-node intervals, the group counts and the curves', () => {
    const run = getRun(db, runId)!;
    const html = runReportHtml(db, runId);
    expect(html).toContain(run.status === 'passed' ? 'PASSED' : 'NO SOLUTION FOUND');
    expect(html).toContain(`<code>${escapeHtml(RUN_CONSTRAINT)}</code>`);
    expect(html).toContain('<code>ACC</code>'); // the base node, with its interval
    expect(html).toMatch(/<tr><td>A<\/td><td>A<\/td><td>\d+<\/td><td>\d+<\/td><td>\d+<\/td><\/tr>/);
    expect(html).toContain('<td><b>all</b></td><td></td><td><span class="num">200</span></td>');
    expect(html).toContain('<svg');
    expect(html).toContain('chosen (');
    expect(html).toContain('TensorFlow.js');
    expect(html).toContain(`v${process.versions.node}`.slice(1));
    expect(externalReferences(html)).toEqual([]);
    expect(html).not.toMatch(/(?:src|href)\s*=\s*["']?https?:/i);
  });
});

describe('experiment report', () => {
  it('has the verdict, the constraint, the group counts and the three plots', () => {
    const html = experimentReportHtml(db, experimentId);
    // 3 trials per fraction cannot show P(violation) ≤ δ = 0.1 (that takes 29 without a violation): the exact bounds say so.
    expect(html).not.toMatch(/SAFE — /);
    expect(html).toContain('TOO FEW TRIALS TO TELL whether P(violation) ≤ δ');
    expect(html).toContain('each fraction needs at least 29 trials for δ = 0.1');
    expect(html).toMatch(/<tr><td>qsa-head<\/td><td>#1<\/td><td>0\.1<\/td><td>0\.5<\/td><td>\d \/ 3 = [\d.]+<\/td>/);
    expect(html).toContain(escapeHtml(EXP_CONSTRAINT));
    expect(html).toContain('<span class="num">200</span>');
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(1);
    expect(html).toContain('weighted-random');
    expect(externalReferences(html)).toEqual([]);
  });
});

describe('fairbound report', () => {
  it('writes the HTML for run:<id> and experiment:<id>, and refuses a bare id', async () => {
    const out = join(dir, 'run.html');
    const ok = await cli('report', `run:${runId}`, '--out', out, '--db', dbPath);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<svg');
    const exp = await cli('report', String(experimentId), '--kind', 'experiment', '--out', join(dir, 'exp.html'), '--db', dbPath);
    expect(exp.code, exp.stderr).toBe(0);
    const bare = await cli('report', String(runId), '--out', join(dir, 'x.html'), '--db', dbPath);
    expect(bare.code).toBe(2);
    const missing = await cli('report', 'run:99', '--out', join(dir, 'y.html'), '--db', dbPath);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no run with id 99/);
  });

  it('exits 1 with a clear message for --pdf without Chromium', async () => {
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = join(dir, 'no-such-chromium');
    try {
      const r = await cli('report', `run:${runId}`, '--out', join(dir, 'r.html'), '--pdf', join(dir, 'r.pdf'), '--db', dbPath);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Chromium was not found/);
      expect(existsSync(join(dir, 'r.html'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });

  it.skipIf(!chromiumAvailable())('prints a PDF and a PNG through Chromium', async () => {
    const pdf = join(dir, 'report.pdf'), png = join(dir, 'report.png');
    const r = await cli('report', `run:${runId}`, '--out', join(dir, 'p.html'), '--pdf', pdf, '--png', png, '--db', dbPath);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    expect(statSync(png).size).toBeGreaterThan(10_000);
    if (process.env.FAIRBOUND_REPORT_PREVIEW) {
      await cli('report', `run:${runId}`, '--png', join(process.env.FAIRBOUND_REPORT_PREVIEW, 'run.png'), '--db', dbPath);
      await cli('report', `experiment:${experimentId}`, '--png', join(process.env.FAIRBOUND_REPORT_PREVIEW, 'experiment.png'), '--db', dbPath);
    }
  }, 60_000);
});
