/**
 * Invariants of `fairbound train`, `runs` and `run …` as a user meets them, from the esbuild CLI bundle
 * (built here with the build:cli flags): the bundle forks itself as the training worker (hidden
 * `train __worker`), prints progress on stderr and the result on stdout, exits 0 for any verdict and 2
 * for bad input; `run export-latents` writes a case that `fairbound qsa` reproduces (same verdict, same
 * chosen iterate, bounds within 1e-9); `run export-model` writes a TF.js model whose predictions are the
 * run's Seldonian head on the run's latent features.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/deep/backends';
import { loadModel } from '../../src-main/deep/export';
import { predictProbabilities } from '../../src-main/deep/inference';
import { resizeImages } from '../../src-main/deep/resize';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { getRunConstraints, getRunLatents, getRunRows, getRunWeights } from '../../src-main/store/run-results';
import { getRun } from '../../src-main/store/runs';
import { bundleCliForTest } from '../support/cli';

let dir: string;
let bundle: string;
let dbPath: string;

function fairbound(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bundle, ...args, '--db', dbPath], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-train-cli-'));
  bundle = await bundleCliForTest('test-cli');
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 12, numClasses: 2, seed: 21 });
  db.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(bundle, '..'), { recursive: true, force: true });
});

const RATIO = 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8';

describe('fairbound train (head pipeline) from the CLI bundle', () => {
  let runId: number;

  beforeAll(() => {
    const r = fairbound('train', '--dataset', 'bands', '--constraint', RATIO, '--delta', '0.05', '--pipeline', 'head', '--model', 'tutorial-j-cnn', '--resize', '48', '--epochs', '2', '--batch-size', '25', '--iterations', '400', '--seed', '5', '--backend', 'wasm', '--json');
    expect(r.stderr).toMatch(/run \d+ queued/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    runId = out.run.id;
    expect(out.verdict).toBe('passed');
    expect(out).toMatchObject({ run: { pipeline: 'head', architecture: 'tutorial-j-cnn', nRows: 200, nCandidate: 100, nSafety: 100 }, backend: { name: 'wasm' } });
    // On a CPU backend the CNN itself trained on ONNX Runtime, and the stored report says so.
    expect(out.backend.cpuEngine).toMatch(/^onnxruntime-node \d+\.\d+\.\d+ \(CPU, \d+ threads\)$/);
    // … listed as the chain's link in front of wasm.
    expect(out.backend.attempts.map((a: { candidate: string; ok: boolean }) => [a.candidate, a.ok])).toEqual([['onnxruntime', true], ['wasm', true]]);
    const nodes = Object.fromEntries(out.constraints[0].nodes.map((n: { name: string; nSamples: number }) => [n.name, n]));
    expect(nodes['ACC | [A]'].nSamples + nodes['ACC | [B]'].nSamples).toBe(100);
    expect(out.groupAccuracy.groups.map((g: { group: string }) => g.group)).toEqual(['all', 'A', 'B']);
    expect(Object.keys(out.timings)).toEqual(expect.arrayContaining(['training', 'latents', 'candidate_selection', 'safety_test', 'total']));
  });

  it('prints progress on stderr: phases, batches with loss and accuracy, iterations', () => {
    const r = fairbound('train', '--dataset', 'bands', '--constraint', RATIO, '--pipeline', 'head', '--model', 'tutorial-j-cnn', '--resize', '48', '--epochs', '1', '--iterations', '10', '--rows', '120');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/: training\n/);
    expect(r.stderr).toMatch(/epoch 1\/1 batch 1\/1: loss \d\.\d+, accuracy \d\.\d+/);
    expect(r.stderr).toMatch(/iteration 10\/10: f /);
    expect(r.stdout).toMatch(/^run \d+: (PASSED|No Solution Found)/);
    expect(r.stdout).toMatch(/dataset 'bands', 120 rows \(60 candidate \/ 60 safety\)/);
  });

  it('lists and shows runs, with the iteration log', () => {
    const list = fairbound('runs', '--json');
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).runs.map((r: { id: number }) => r.id)).toContain(runId);
    const show = fairbound('run', 'show', String(runId), '--json');
    expect(show.status).toBe(0);
    const out = JSON.parse(show.stdout);
    expect(out.iterations).toHaveLength(out.candidateSelection.iterationsRun);
    expect(out.iterations[0]).toMatchObject({ iteration: 0, lambda: [0.5] });
    expect(out.weights).toEqual(expect.arrayContaining(['cnn_initial', 'cnn_trained', 'head_initial']));
    expect(out.rows).toEqual({ runRows: 200, bodyRows: 100 });
    const text = fairbound('run', 'show', String(runId));
    expect(text.stdout).toMatch(/^backend: wasm \(.*\); the CNN trained and ran on onnxruntime-node /m);
    expect(text.stdout).toMatch(/iteration log \(400 iterations, \d+ shown; \* = chosen\)/);
  });

  it('export-latents writes a case that `fairbound qsa` reproduces: same verdict, chosen iterate and bounds', () => {
    const out = join(dir, 'case');
    const exported = fairbound('run', 'export-latents', String(runId), '--out', out);
    expect(exported.status).toBe(0);
    const r = spawnSync(process.execPath, [bundle, 'qsa', '--spec', join(out, 'spec.json'), '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const qsa = JSON.parse(r.stdout);
    const db = openWorkspace(dbPath);
    try {
      const run = getRun(db, runId)!;
      const [c] = getRunConstraints(db, runId);
      expect(qsa.passed_safety).toBe(run.status === 'passed');
      expect(qsa.candidate_selection.chosen_index).toBe(run.result!.candidateSelection.chosenIndex);
      expect(qsa.n_candidate).toBe(run.nCandidate);
      expect(Math.abs(qsa.safety_test.upper_bounds[0] - c.upperBound!)).toBeLessThanOrEqual(1e-9);
      for (const node of c.nodes) {
        const theirs = qsa.safety_test.base_node_bounds[c.parsed][node.name];
        expect(Math.abs(theirs.lower - node.lower)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(theirs.upper - node.upper)).toBeLessThanOrEqual(1e-9);
        expect(theirs.n_samples).toBe(node.nSamples);
      }
    } finally {
      db.close();
    }
    // A second export into the same folder replaces nothing without --force (exit 2), and everything with it.
    const spec = readFileSync(join(out, 'spec.json'), 'utf8');
    writeFileSync(join(out, 'spec.json'), 'mine');
    const again = fairbound('run', 'export-latents', String(runId), '--out', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists; use --force to overwrite/);
    expect(readFileSync(join(out, 'spec.json'), 'utf8')).toBe('mine');
    expect(fairbound('run', 'export-latents', String(runId), '--out', out, '--force').status).toBe(0);
    expect(readFileSync(join(out, 'spec.json'), 'utf8')).toBe(spec);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('export-model writes the Seldonian CNN: its P(y=1) is the QSA head on the run’s latent features', async () => {
    const out = join(dir, 'model');
    const db = openWorkspace(dbPath);
    try {
      const run = getRun(db, runId)!;
      const which = run.status === 'passed' ? 'seldonian' : 'candidate';
      const r = fairbound('run', 'export-model', String(runId), '--out', out, '--which', which);
      expect(r.status).toBe(0);
      await selectBackend('wasm');
      const model = await loadModel(out);
      const theta = getRunWeights(db, runId, which === 'seldonian' ? 'head_solution' : 'head_candidate')!.data;
      const latents = getRunLatents(db, runId)!;
      const rows = getRunRows(db, runId)!;
      const data = loadDatasetForTraining(db, run.datasetId!);
      const images = resizeImages({ ...data.images!, n: data.nRows }, 48, 48, rows.rowOrder.subarray(0, 20));
      const probs = await predictProbabilities(model, images);
      for (let i = 0; i < 20; i++) {
        let z = theta[0];
        for (let j = 0; j < latents.dim; j++) z += theta[1 + j] * latents.data[i * latents.dim + j];
        expect(probs[2 * i + 1]).toBeCloseTo(1 / (1 + Math.exp(-z)), 4);
      }
      model.dispose();
    } finally {
      db.close();
    }
  });
});

describe('fairbound train: full pipeline and bad input', () => {
  it('runs the whole CNN as the Seldonian model', () => {
    const r = fairbound('train', '--dataset', 'bands', '--constraint', 'ACC >= 0.6', '--pipeline', 'full', '--model', 'tutorial-g-cnn', '--epochs', '1', '--batch-size', '50', '--backend', 'wasm', '--quiet', '--json');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.candidateSelection.iterationsPlanned).toBe(2);
    // On a CPU backend ONNX Runtime computed the QSA's predictions and gradients, and the stored report says so.
    expect(out.backend.attempts.map((a: { candidate: string; ok: boolean }) => [a.candidate, a.ok])).toEqual([['onnxruntime', true], ['wasm', true]]);
    expect(out.backend.attempts[0].reason).toMatch(/the full-model QSA's gradients/);
    expect(out.settings.qsa).toMatchObject({ batchSize: 50, nEpochs: 1, alphaTheta: 0.001, alphaLambda: 0.01 });
  });

  it('exits 2 with a precise message for bad input, and stores nothing', () => {
    const before = JSON.parse(fairbound('runs', '--json').stdout).runs.length;
    const tooSmall = fairbound('train', '--dataset', 'bands', '--constraint', RATIO, '--pipeline', 'head', '--model', 'tutorial-j-cnn');
    expect(tooSmall.status).toBe(2);
    expect(tooSmall.stderr).toMatch(/^error: tutorial-j-cnn: input 12×12×1 is too small.*resize them, e.g. to 48/);
    const badConstraint = fairbound('train', '--dataset', 'bands', '--constraint', 'ACC | [X] >= 0.5', '--pipeline', 'full', '--model', 'tutorial-g-cnn');
    expect(badConstraint.status).toBe(2);
    expect(badConstraint.stderr).toMatch(/--constraint 1: .*'X'/);
    const noDataset = fairbound('train', '--dataset', 'nope', '--constraint', 'ACC >= 0.5', '--pipeline', 'full', '--model', 'tutorial-g-cnn');
    expect(noDataset.status).toBe(2);
    expect(noDataset.stderr).toMatch(/no dataset 'nope'/);
    expect(fairbound('train', '--dataset', 'bands', '--constraint', 'ACC >= 0.5', '--pipeline', 'both', '--model', 'tutorial-g-cnn').status).toBe(2);
    expect(JSON.parse(fairbound('runs', '--json').stdout).runs.length).toBe(before);
    expect(fairbound('run', 'show', '999').status).toBe(2);
  });
});
