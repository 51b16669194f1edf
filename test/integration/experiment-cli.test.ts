// A Seldonian experiment as a user runs it, on a generated two-group dataset where unconstrained logistic
// regression violates demographic parity: the QSA's probability of violation stays at or below δ at
// every amount of data while the baseline's is far above it, and the QSA returns solutions more often
// with more data. Then show / export / plot / experiments, and the bundled CLI
// (esbuild, packages external, as `npm run build:cli` builds it): its worker threads start from the
// bundle itself, and Ctrl-C cancels a run, keeping its finished trials.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSTRAINT = 'abs((PR | [M]) - (PR | [F])) <= 0.15';
const DELTA = 0.05;

interface Point {
  fraction: number;
  amount: number;
  trials: number;
  performance: { mean: number; ste: number } | null;
  probabilityOfSolution: { mean: number; ste: number | string };
  probabilityOfViolation: { mean: number; ste: number | string }[];
}
interface Results {
  experiment: { id: number; status: string; nRows: number };
  aggregates: { models: { name: string; kind: string; nTrials: number; fractions: Point[] }[] };
}

const ste = (v: number | string): number => (typeof v === 'number' ? v : 0); // "nan" when all trials agree on a single value

let dir: string, db: string, results: Results;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-experiment-'));
  db = join(dir, 'workspace.db');
  const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 5000, seed: 1 }));
  writeFileSync(join(dir, 'data.csv'), files.csv);
  writeFileSync(join(dir, 'metadata.json'), files.metadata);
  const imported = await cli('import', 'seldonian', '--csv', join(dir, 'data.csv'), '--metadata', join(dir, 'metadata.json'), '--name', 'two-groups', '--db', db, '--quiet');
  expect(imported.code, imported.stderr).toBe(0);
  const run = await cli(
    'experiment', 'run', '--dataset', 'two-groups', '--constraint', CONSTRAINT, '--delta', String(DELTA),
    '--fractions', '0.005,0.05,0.2,1', '--trials', '20', '--models', 'qsa-features,logistic,uniform-random',
    '--iterations', '300', '--alpha-theta', '0.05', '--alpha-lambda', '0.05', '--theta-init', 'logistic',
    '--seed', '7', '--workers', '2', '--name', 'validity', '--db', db, '--json',
  );
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toMatch(/^experiment 1: 240 trials to run on 2 threads$/m);
  expect(run.stderr).toMatch(/^\[240\/240\] .* ETA 0:00$/m);
  results = JSON.parse(run.stdout) as Results;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('experiment validity (generated two-group data)', () => {
  it('keeps the QSA at or below δ at every fraction while the unconstrained baseline violates', () => {
    const [qsa, logistic, uniform] = results.aggregates.models;
    expect([qsa.name, logistic.name, uniform.name]).toEqual(['qsa-features', 'logistic', 'uniform-random']);
    expect(qsa.fractions.map((f) => f.amount)).toEqual([25, 250, 1000, 5000]);
    for (const f of qsa.fractions) {
      expect(f.trials).toBe(20);
      const v = f.probabilityOfViolation[0];
      expect(v.mean - ste(v.ste), `φ = ${f.fraction}`).toBeLessThanOrEqual(DELTA);
    }
    for (const f of logistic.fractions) {
      const v = f.probabilityOfViolation[0];
      expect(v.mean - ste(v.ste), `φ = ${f.fraction}`).toBeGreaterThan(0.5);
      expect(f.probabilityOfSolution.mean).toBe(1);
    }
    for (const f of uniform.fractions) expect(f.probabilityOfViolation[0].mean).toBe(0);
  });

  it("gives the QSA more solutions with more data, and useful ones at the largest amount", () => {
    const [qsa, logistic] = results.aggregates.models;
    const p = qsa.fractions.map((f) => f.probabilityOfSolution.mean);
    expect(p[0]).toBeLessThanOrEqual(0.3);
    expect(p[3]).toBeGreaterThanOrEqual(0.9);
    expect(p[2] + p[3]).toBeGreaterThan(p[0] + p[1]);
    const last = qsa.fractions[3].performance!;
    expect(last.mean).toBeGreaterThan(0.65); // better than chance (0.5), below the unfair baseline
    expect(last.mean).toBeLessThan(logistic.fractions[3].performance!.mean);
  });
});

describe('experiment show / export / plot / experiments', () => {
  it('shows per model and fraction: trials, performance ± s.e., P(solution), P(violation)', async () => {
    const r = await cli('experiment', 'show', '1', '--db', db);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^experiment 1 'validity': completed, dataset 'two-groups' \(id 1\), N = 5000, seed 7$/m);
    expect(r.stdout).toMatch(/model\s+φ\s+φ·N\s+trials\s+accuracy ± s\.e\.\s+P\(solution\)\s+P\(violation 1\)/);
    expect(r.stdout).toMatch(/^\s+logistic\s+1\s+5000\s+20\s+0\.8\d\d ± 0\.\d{3}\s+1\.000 ± 0\.000\s+1\.000 ± 0\.000$/m);
    // The safety conclusion from exact bounds over the 20 trials: 20 cannot show P(violation) ≤ δ = 0.05 (that takes 59).
    expect(r.stdout).toMatch(/^safety: Too few trials to tell: .*exact \(Clopper–Pearson\) one-sided 95% bounds.*each fraction needs at least 59 trials for δ = 0\.05\.$/m);
    expect(r.stdout).toMatch(/^  qsa-features, constraint 1 \(δ = 0\.05\): too few trials to tell$/m);
    expect(r.stdout).toMatch(/^    φ=1: violations \d+\/20 = [\d.]+ \[[\d.]+, [\d.]+\] \(exact 95% bounds\) → too few trials to tell$/m);
    expect(r.stdout).not.toMatch(/failed trials/);
    const json = JSON.parse((await cli('experiment', 'show', '1', '--db', db, '--json')).stdout) as Results & {
      safety: { confidence: number; conclusion: string; rows: { model: string; fractions: { trials: number }[] }[] };
      failedTrials: unknown[];
    };
    expect(json.aggregates).toEqual(results.aggregates);
    expect(json.safety).toMatchObject({ confidence: 0.95, conclusion: 'too-few' });
    expect(json.safety.rows.map((row) => [row.model, row.fractions.map((f) => f.trials)])).toEqual([['qsa-features', [20, 20, 20, 20]]]);
    expect(json.failedTrials).toEqual([]);
    const list = await cli('experiments', '--db', db, '--json');
    expect(JSON.parse(list.stdout).experiments).toMatchObject([{ id: 1, name: 'validity', status: 'completed', trialsStored: 240, trialsPlanned: 240 }]);
  });

  it('exports the Seldonian Experiments layout', async () => {
    const out = join(dir, 'export');
    const r = await cli('experiment', 'export', '1', '--out', out, '--db', db);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['logistic_results', 'qsa_features_results', 'uniform_random_results']);
    expect(readdirSync(join(out, 'qsa_features_results', 'trial_data'))).toHaveLength(80);
    const one = readFileSync(join(out, 'qsa_features_results', 'trial_data', 'data_frac_0.0050_trial_0.csv'), 'utf8');
    expect(one).toMatch(/^data_frac,trial_i,performance,passed_safety,gvec\n0\.005,0,(,False,\[-inf\]|0\.\d+,True,\[-?\d\.\d+\])\n$/);
    const all = readFileSync(join(out, 'logistic_results', 'logistic_results.csv'), 'utf8').trimEnd().split('\n');
    expect(all[0]).toBe('data_frac,trial_i,performance,gvec');
    expect(all).toHaveLength(81);
    expect(all[1]).toMatch(/^0\.005,0,0\.\d+,\[0\.\d+\]$/);
    expect(all[80]).toMatch(/^1\.0,19,0\.\d+,\[0\.\d+\]$/);
  });

  it('plots one SVG per constraint with the three panels', async () => {
    const out = join(dir, 'plots');
    const r = await cli('experiment', 'plot', '1', '--out', out, '--db', db);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(out, 'experiment-1-constraint-1.svg'));
    const svg = readFileSync(join(out, 'experiment-1-constraint-1.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['Performance', 'Probability of solution', 'Probability of violation', 'Amount of data', 'δ = 0.05', 'qsa-features', 'logistic']) expect(svg).toContain(text);
  });

  it('exits 2 with a precise message for bad input', async () => {
    const bad = await cli('experiment', 'run', '--dataset', 'two-groups', '--constraint', '(PR | [Q]) >= 0.1', '--fractions', '1', '--trials', '1', '--db', db);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/constraint 1: unknown attribute 'Q' at column 8[\s\S]*\^/);
    const resume = await cli('experiment', 'run', '--resume', '1', '--trials', '3', '--db', db);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/--trials cannot change a resumed experiment/);
    expect((await cli('experiment', 'show', '99', '--db', db)).stderr).toMatch(/no experiment with id 99/);
    expect((await cli('experiment', 'run', '--dataset', 'two-groups', '--constraint', 'ACC >= 0.5', '--fractions', '0.0001', '--trials', '1', '--db', db)).code).toBe(2);
    expect((await cli('experiment', 'run', '--dataset', 'two-groups', '--constraint', 'ACC >= 0.5', '--fractions', '1', '--trials', '1', '--models', 'qsa-nope', '--db', db)).stderr).toMatch(
      /--models: unknown model 'qsa-nope'/,
    );
    const cnn = await cli('experiment', 'run', '--dataset', 'two-groups', '--constraint', 'ACC >= 0.5', '--fractions', '1', '--trials', '1', '--models', 'cnn', '--db', db);
    expect(cnn.code).toBe(2);
    expect(cnn.stderr).toMatch(/cnn: cnn needs images \(an image dataset\); this dataset has numeric features only/);
    const backend = await cli('experiment', 'run', '--dataset', 'two-groups', '--constraint', 'ACC >= 0.5', '--fractions', '1', '--trials', '1', '--backend', 'gpu', '--db', db);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/--backend must be one of auto, tensorflow, webgpu, onnxruntime, wasm, cpu, got 'gpu'/);
  });
});

describe('the bundled CLI', () => {
  const bundleDir = join(ROOT, 'out', 'test-experiment-cli');
  const bundle = join(bundleDir, 'fairbound.mjs');
  beforeAll(() => {
    mkdirSync(bundleDir, { recursive: true });
    const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild');
    const r = spawnSync(esbuild, [join(ROOT, 'src-main/cli/index.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external', '--target=node20', '--log-level=warning', `--outfile=${bundle}`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(bundleDir, 'trial-worker.mjs'))).toBe(false); // the workers start from the bundle itself
  });
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

  it('runs trials in worker threads started from the bundle', () => {
    const r = spawnSync(
      process.execPath,
      [bundle, 'experiment', 'run', '--dataset', 'two-groups', '--constraint', CONSTRAINT, '--fractions', '0.05,0.2', '--trials', '3',
        '--models', 'qsa-features,logistic,weighted-random:0.7', '--iterations', '50', '--workers', '2', '--seed', '3', '--db', db, '--json'],
      { encoding: 'utf8', cwd: dir },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/18 trials to run on 2 threads/);
    expect(r.stderr.match(/^\[\d+\/18\]/gm)).toHaveLength(18);
    const out = JSON.parse(r.stdout) as Results & { run: { status: string; workers: number } };
    expect(out.run).toMatchObject({ status: 'completed', workers: 2 });
    expect(out.aggregates.models.map((m) => m.name)).toEqual(['qsa-features', 'logistic', 'weighted-random-0.70']);
  });

  it('cancels on Ctrl-C and keeps the finished trials', async () => {
    const child = spawn(
      process.execPath,
      [bundle, 'experiment', 'run', '--dataset', 'two-groups', '--constraint', CONSTRAINT, '--fractions', '0.2,0.5,1', '--trials', '30',
        '--models', 'qsa-features', '--iterations', '2000', '--workers', '2', '--seed', '5', '--name', 'to-cancel', '--db', db],
      { cwd: dir },
    );
    let stderr = '', stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/^\[2\/90\]/m.test(stderr)) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stdout).toMatch(/cancelled after \d+ trials; resume with: fairbound experiment run --resume 3/);
    const listed = JSON.parse((await cli('experiments', '--db', db, '--json')).stdout) as { experiments: { id: number; status: string; trialsStored: number }[] };
    const cancelled = listed.experiments.find((e) => e.id === 3)!;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.trialsStored).toBeGreaterThanOrEqual(2);
    expect(cancelled.trialsStored).toBeLessThan(90);
  }, 120_000);
});
