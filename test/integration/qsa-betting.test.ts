// `--bound exact` (the betting bound) end to end: `fairbound qsa` on a fixtures case, and a head run
// requested through the runs contract, which stores the method and states the exact guarantee in
// `run show`, the report and the run page's verdict — with fixed seeds, fixed verdicts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/deep/backends';
import { runReportHtml } from '../../src-main/report/report';
import { escapeHtml } from '../../src-main/report/html';
import { executeRun } from '../../src-main/runs/pipeline';
import { prepareRun } from '../../src-main/runs/prepare';
import { storedRunDetail } from '../../src-main/services/runs';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { getRun, insertRun } from '../../src-main/store/runs';
import { runVerdict } from '../../src-renderer/src/lib/run-verdict';
import { runInput } from '../../src-shared/contract/run-input';
import { runRequest } from '../../src-shared/contract/schemas';
import { qsaBoundLabel } from '../../src-shared/domain/qsa';
import { qsaPassedSentence, RUN_ESTIMATES } from '../../src-shared/domain/guarantee-wording';
import { cli } from '../support/cli';
import { FIXTURES_DIR } from '../support/fixtures';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';

const RATIO_CASE = join(FIXTURES_DIR, 'small_s0', 'ratio_0.8', 'spec.json');

interface NodeReport {
  readonly lower: number;
  readonly upper: number;
  readonly mean: number;
  readonly n_samples: number;
  readonly delta_lower: number | null;
}

async function qsaJson(bound: string): Promise<{ bound_method: string; passed_safety: boolean; safety_test: { base_node_bounds: Record<string, Record<string, NodeReport>> } }> {
  const r = await cli('qsa', '--spec', RATIO_CASE, '--json', '--iterations', '200', '--bound', bound);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('fairbound qsa --bound exact', () => {
  it('runs the safety test with the betting bound and states the method', async () => {
    const exact = await qsaJson('exact');
    const hoeffding = await qsaJson('hoeffding');
    expect(exact.bound_method).toBe('exact');
    expect(hoeffding.bound_method).toBe('hoeffding');
    // The fixed case and θ₀ give one verdict.
    expect(exact.passed_safety).toBe(true);
    const nodes = Object.values(Object.values(exact.safety_test.base_node_bounds)[0]);
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) {
      // An exact bound of a mean in [0, 1], a real interval around the node's mean, other than Hoeffding's.
      expect(node.lower).toBeGreaterThanOrEqual(0);
      expect(node.lower).toBeLessThan(node.mean);
      const half = Math.sqrt(Math.log(1 / (node.delta_lower ?? 0.05)) / (2 * node.n_samples));
      expect(Math.abs(node.lower - Math.max(0, node.mean - half))).toBeGreaterThan(1e-6);
    }
    const text = await cli('qsa', '--spec', RATIO_CASE, '--iterations', '200', '--bound', 'exact');
    expect(text.stdout).toContain(`bound: ${qsaBoundLabel('exact')}\n`);
    expect(text.stdout).toContain('verdict: PASSED');
  });

  it('refuses an unknown bound, naming the choices', async () => {
    const r = await cli('qsa', '--spec', RATIO_CASE, '--bound', 'betting');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--bound must be student-t, hoeffding, exact, got 'betting'");
  });
});

describe('a head run with bound exact', () => {
  const SOURCE = 'ACC >= 0.3';
  let dir: string, dbPath: string, db: WritableDB, runId: number;
  beforeAll(async () => {
    await selectBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'fairbound-qsa-betting-'));
    dbPath = join(dir, 'w.db');
    db = openWorkspace(dbPath);
    insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 16, numClasses: 2, seed: 1 });
    // Parsed by the contract's runs.start input, as the app's route and `fairbound train` parse it.
    const request = runInput.parse({
      dataset: 'bands', constraints: [{ source: SOURCE, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-g-cnn',
      epochs: 1, batchSize: 20, learningRate: 0.005, iterations: 60, seed: 7, shuffleSeed: 11, backend: 'wasm', bound: 'exact',
    });
    runId = insertRun(db, prepareRun(db, request).run);
    const outcome = await executeRun(db, runId);
    if (outcome.error !== null) throw new Error(`the run failed: ${outcome.error}`);
  }, 60_000);
  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sentence = (): string => qsaPassedSentence({ source: SOURCE, delta: 0.05, bound: 'betting', estimates: RUN_ESTIMATES });

  it('passes, and stores the method', () => {
    const run = getRun(db, runId);
    expect(run?.status).toBe('passed');
    expect(run?.settings.qsa.bound).toBe('exact');
    expect(storedRunDetail(db, run!).bound).toBe('exact');
    expect(runRequest.safeParse({ dataset: 1, constraints: [{ source: SOURCE, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-g-cnn', bound: 'betting' }).success).toBe(false);
  });

  it('states the exact guarantee in `run show`, the report and the run page', async () => {
    expect(sentence()).toContain('exactly (the betting bound, valid for any distribution on [0, 1])');
    const shown = await cli('run', 'show', String(runId), '--db', dbPath);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`guarantee: ${sentence()}\n`);
    expect(shown.stdout).toContain(`QSA bound: ${qsaBoundLabel('exact')}\n`);
    expect(shown.stdout).not.toContain('approximately');
    const html = runReportHtml(db, runId);
    expect(html).toContain(`<p>${escapeHtml(sentence())}</p>`);
    expect(html).toContain(escapeHtml(qsaBoundLabel('exact')));
    expect(runVerdict(storedRunDetail(db, getRun(db, runId)!)).lines.join('\n')).toContain(sentence());
  });

  it('`fairbound train` refuses an unknown --bound, naming the flag', async () => {
    const r = await cli('train', '--dataset', 'bands', '--constraint', SOURCE, '--pipeline', 'head', '--model', 'tutorial-g-cnn', '--bound', 'betting', '--db', dbPath);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --bound: Invalid option: .*"exact"/m);
  });

  it('is quoted in the README as the wording module writes it', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(`> ${qsaPassedSentence({ source: 'ACC >= 0.6', delta: 0.05, bound: 'betting', estimates: RUN_ESTIMATES })}\n`);
  });
});
