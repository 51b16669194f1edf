/**
 * `fairbound audit` with a model instead of a predictions file (issue 8), on small synthetic image
 * datasets and the wasm backend:
 * - --model: a tiny CNN trained for a few steps and saved as a TF.js layers model gives exactly (1e-12)
 *   the bounds of auditing its own predictions written to a CSV with --predictions;
 * - a model whose input shape or class count does not fit the dataset is bad input (exit 2) naming both
 *   shapes; --resize fixes the size;
 * - --run: a stored head run's model, on the run's own safety rows, reproduces the run's safety-test
 *   bound (the run's head in float64, the exported model in float32: within 1e-4);
 * - --retrain-head: the imported model's head is cut and a fresh head trained by the QSA on the new
 *   dataset, candidate and safety rows both from it, split as the engine splits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import type { CliOutput } from '../../src-main/cli/output';
import { buildModel } from '../../src-main/deep/architectures';
import { selectBackend } from '../../src-main/deep/backends';
import { saveModel } from '../../src-main/deep/export';
import { predictProbabilities } from '../../src-main/deep/inference';
import { bandImages } from '../support/band-images';
import { trainClassifier } from '../../src-main/deep/train';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { getRunConstraints, getRunRows } from '../../src-main/store/run-results';
import { getRun } from '../../src-main/store/runs';
import { BANDS_RATIO, runTinyHeadRun, TINY_AUDIT_CNN as TINY } from '../support/tiny-run';

const RATIO = BANDS_RATIO;

let dir: string, dbPath: string, modelDir: string, predictionsCsv: string, runId: number;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const out: CliOutput = { stdout: (t) => void (stdout += `${t}\n`), stderr: (t) => void (stderr += `${t}\n`) };
  const code = await runCli([...args, '--db', dbPath], out);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'fairbound-audit-model-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  try {
    insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 16, numClasses: 2, seed: 3 });
    insertSyntheticImageDataset(db, { name: 'bands12', n: 60, size: 12, numClasses: 2, seed: 4 });
    insertSyntheticImageDataset(db, { name: 'bands3', n: 150, size: 16, numClasses: 3, seed: 5 });

    // A tiny model trained for a few steps on other band images, saved as a TF.js layers model.
    const model = buildModel(TINY, { numClasses: 2, seed: 1, inputShape: [16, 16, 1] });
    const train = bandImages({ n: 200, height: 16, width: 16, numClasses: 2, seed: 99 });
    await trainClassifier(model, train.images, train.labels, { start: 0, end: 200 }, { epochs: 1, batchSize: 50, learningRate: 0.01, seed: 0, shuffle: false });
    modelDir = join(dir, 'model');
    await saveModel(model, modelDir);

    // Its predictions on the audited dataset, as a CSV (String(x) reads back as the same double).
    const data = loadDatasetForTraining(db, 1);
    const images = { pixels: data.images!.pixels, n: data.nRows, height: 16, width: 16, channels: 1 };
    // On TF.js, as the audit runs a TF.js model (ONNX Runtime's float32 differs from it at ~1e-9).
    const probs = await predictProbabilities(model, images, { engine: 'tfjs' });
    predictionsCsv = join(dir, 'predictions.csv');
    writeFileSync(predictionsCsv, `p\n${Array.from({ length: data.nRows }, (_, i) => String(probs[i * 2 + 1])).join('\n')}\n`);
    model.dispose();

    // A head run with tiny settings.
    const tiny = await runTinyHeadRun(db);
    runId = tiny.runId;
    expect(tiny.status).toBe('passed');
  } finally {
    db.close();
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Node { name: string; n: number; mean: number; lower: number; upper: number }
interface AuditJson {
  rows: Record<string, unknown>;
  constraints: Array<{ gUpper: number; gLower: number; gPoint: number; verdict: string; baseNodes: Node[]; lowerBoundBaseNodes: Node[] }>;
  groups: Array<{ group: string; n: number; rates: Record<string, { n: number; mean: number; lower: number; upper: number }> }>;
}

function closeTo(a: number, b: number, tolerance: number, what: string): void {
  if (!Number.isFinite(b)) expect(a, what).toBe(b);
  else expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(tolerance);
}

function sameAudit(a: AuditJson, b: AuditJson, tolerance: number): void {
  expect(a.constraints).toHaveLength(b.constraints.length);
  a.constraints.forEach((c, i) => {
    const d = b.constraints[i];
    expect(c.verdict).toBe(d.verdict);
    for (const key of ['gUpper', 'gLower', 'gPoint'] as const) closeTo(c[key], d[key], tolerance, key);
    for (const list of ['baseNodes', 'lowerBoundBaseNodes'] as const) {
      c[list].forEach((n, j) => {
        expect(n.n).toBe(d[list][j].n);
        for (const key of ['mean', 'lower', 'upper'] as const) closeTo(n[key], d[list][j][key], tolerance, `${n.name}.${key}`);
      });
    }
  });
  a.groups.forEach((g, i) => {
    for (const [measure, rate] of Object.entries(g.rates)) closeTo(rate.upper, b.groups[i].rates[measure].upper, tolerance, `${g.group} ${measure}`);
  });
}

describe('fairbound audit --model / --run / --retrain-head', () => {
  it('--model gives the bounds of its own predictions audited with --predictions (1e-12)', async () => {
    for (const estimator of [['--soft'], ['--threshold', '0.5']]) {
      for (const rows of ['all', 'safety']) {
        const common = ['--dataset', 'bands', '--constraint', RATIO, '--constraint', 'ACC >= 0.6', '--delta', '0.05', '--rows', rows, '--json', ...estimator];
        const fromModel = await cli('audit', '--model', join(modelDir, 'model.json'), '--backend', 'wasm', ...common);
        expect(fromModel.code, fromModel.stderr).toBe(0);
        const fromCsv = await cli('audit', '--predictions', predictionsCsv, '--by-order', ...common);
        expect(fromCsv.code, fromCsv.stderr).toBe(0);
        const a = JSON.parse(fromModel.stdout) as AuditJson, b = JSON.parse(fromCsv.stdout) as AuditJson;
        expect(a.rows).toMatchObject({ start: b.rows.start, end: b.rows.end });
        sameAudit(a, b, 1e-12);
      }
    }
    // The folder works as well as its model.json, and the text output names the source.
    const text = await cli('audit', '--model', modelDir, '--backend', 'wasm', '--dataset', 'bands', '--constraint', 'ACC >= 0.6');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/audit of model .*model on 'bands'/);
    expect(text.stdout).toMatch(/(HOLDS|VIOLATED|INCONCLUSIVE)/);
    expect(tf.memory().numTensors).toBeLessThan(10_000);
  });

  it('an input shape or class count that does not fit is exit 2 naming both shapes; --resize fixes the size', async () => {
    const size = await cli('audit', '--model', modelDir, '--backend', 'wasm', '--dataset', 'bands12', '--constraint', 'ACC >= 0.6');
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/expects input shape 16×16×1 .* gives 12×12×1/);
    expect(size.stderr).toMatch(/--resize 16/);
    const resized = await cli('audit', '--model', modelDir, '--backend', 'wasm', '--dataset', 'bands12', '--resize', '16', '--constraint', 'ACC >= 0.6', '--json');
    expect(resized.code, resized.stderr).toBe(0);
    const wrongResize = await cli('audit', '--model', modelDir, '--backend', 'wasm', '--dataset', 'bands', '--resize', '20', '--constraint', 'ACC >= 0.6');
    expect(wrongResize.code).toBe(2);
    expect(wrongResize.stderr).toMatch(/expects input shape 16×16×1 .* gives 20×20×1 \(its 16×16×1 images resized with --resize 20\)/);
    const classes = await cli('audit', '--model', modelDir, '--backend', 'wasm', '--dataset', 'bands3', '--constraint', 'ACC >= 0.5');
    expect(classes.code).toBe(2);
    expect(classes.stderr).toMatch(/outputs shape \[null, 2\] \(2 classes\) but dataset 'bands3' has 3 classes/);
  });

  it('takes exactly one model source and refuses flags that do not apply to it', async () => {
    const none = await cli('audit', '--dataset', 'bands', '--constraint', 'ACC >= 0.6');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/one of --predictions <csv>, --model <model.json> or --run <id>/);
    const two = await cli('audit', '--dataset', 'bands', '--model', modelDir, '--run', String(runId), '--constraint', 'ACC >= 0.6');
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/exactly one of --predictions, --model or --run, got --model and --run/);
    const key = await cli('audit', '--dataset', 'bands', '--model', modelDir, '--by-order', '--constraint', 'ACC >= 0.6');
    expect(key.code).toBe(2);
    const missing = await cli('audit', '--dataset', 'bands', '--model', join(dir, 'nope'), '--constraint', 'ACC >= 0.6');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such model/);
    const noRun = await cli('audit', '--run', '999', '--constraint', 'ACC >= 0.6');
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/no run 999/);
  });

  it("--run: the run's candidate on its own safety rows reproduces the run's safety-test bound", async () => {
    const db = openWorkspace(dbPath);
    const stored = getRunConstraints(db, runId);
    db.close();
    expect(stored[0].upperBound).not.toBeNull();
    const r = await cli('audit', '--run', String(runId), '--which', 'candidate', '--backend', 'wasm', '--rows', 'safety', '--soft', '--bound', 'student-t', '--constraint', RATIO, '--delta', '0.1', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as AuditJson;
    expect(out.rows).toMatchObject({ which: 'safety', ofRun: runId, start: 0, end: 100 });
    closeTo(out.constraints[0].gUpper, stored[0].upperBound!, 1e-4, 'gUpper');
    out.constraints[0].baseNodes.forEach((n, i) => {
      expect(n.n).toBe(stored[0].nodes[i].nSamples);
      closeTo(n.upper, stored[0].nodes[i].upper, 1e-4, n.name);
    });
    // Without --which: the Seldonian model if the run passed, else a clear InputError.
    const seldonian = await cli('audit', '--run', String(runId), '--backend', 'wasm', '--constraint', 'ACC >= 0.6');
    expect([0, 2]).toContain(seldonian.code);
    if (seldonian.code === 2) expect(seldonian.stderr).toMatch(/No Solution Found/);
    const trained = await cli('audit', '--run', String(runId), '--which', 'trained', '--backend', 'wasm', '--dataset', 'bands', '--rows', 'safety', '--frac-safety', '0.3', '--constraint', 'ACC >= 0.6');
    expect(trained.code).toBe(2);
    expect(trained.stderr).toMatch(/drop --frac-safety/);
  });

  it('--retrain-head: a fresh head on the new data, candidate and safety rows split as the engine splits', async () => {
    const r = await cli('audit', '--retrain-head', '--model', modelDir, '--backend', 'wasm', '--dataset', 'bands', '--constraint', 'ACC >= 0.6', '--delta', '0.05', '--frac-safety', '0.4', '--iterations', '40', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      verdict: string; n_candidate: number; n_safety: number; latent_dim: number; replaced_head: { inputDim: number; units: number };
      settings: { kernel: string; kernel_threads: number };
      candidate_selection: { iterations_run: number }; safety_test: { base_node_bounds: Record<string, Record<string, { n_samples: number }>> } | null;
    };
    expect(out.verdict).toBe('nsf');
    // 200 × 8 latents are far below the SIMD kernel's 2^20 values: the head QSA runs the JS kernel, and says so.
    expect(out).toMatchObject({ n_candidate: 120, n_safety: 80, latent_dim: 8, replaced_head: { inputDim: 8, units: 2 }, settings: { kernel: 'js', kernel_threads: 1 } });
    expect(out.candidate_selection.iterations_run).toBe(40);
    if (out.safety_test) expect(Object.values(out.safety_test.base_node_bounds)[0].ACC.n_samples).toBe(80);

    // A 3-class dataset: the 2-class model's head is replaced by a 3-class softmax head.
    const multi = await cli('audit', '--retrain-head', '--model', modelDir, '--backend', 'wasm', '--dataset', 'bands3', '--constraint', 'ACC >= 0.4', '--iterations', '30');
    expect(multi.code, multi.stderr).toBe(0);
    expect(multi.stdout).toMatch(/retrained head on 'bands3': (PASSED|No Solution Found)/);
    expect(multi.stdout).toMatch(/head \(8 → 2\) cut, a fresh softmax \(3 classes\) head on its 8-d latent features; 150 rows \(75 candidate \/ 75 safety/);
    expect(multi.stdout).toMatch(/head QSA on the JS kernel/);
    expect(multi.stdout).toMatch(/constraint ACC >= 0.4 \(δ 0.05\)/);

    const bad = await cli('audit', '--retrain-head', '--predictions', predictionsCsv, '--by-order', '--dataset', 'bands', '--constraint', 'ACC >= 0.6');
    expect(bad.code).toBe(2);
    const notAudit = await cli('audit', '--retrain-head', '--model', modelDir, '--dataset', 'bands', '--soft', '--constraint', 'ACC >= 0.6');
    expect(notAudit.code).toBe(2);
  });

  it("--run on its own dataset: by default the run's own safety rows, whose verdict repeats the safety test; --rows all says it is no guarantee", async () => {
    const db = openWorkspace(dbPath);
    const run = getRun(db, runId)!;
    const stored = getRunRows(db, runId)!;
    db.close();
    const byDefault = await cli('audit', '--run', String(runId), '--which', 'candidate', '--backend', 'wasm', '--constraint', 'ACC >= 0.3', '--json');
    expect(byDefault.code, byDefault.stderr).toBe(0);
    const json = JSON.parse(byDefault.stdout) as { rows: unknown; guarantee: string; bound: string };
    expect(json).toMatchObject({ rows: { which: 'safety', ofRun: runId, start: 0, end: stored.rowOrder.length - run.nCandidate }, guarantee: 'repeats-safety-test', bound: 'exact' });
    const text = await cli('audit', '--run', String(runId), '--which', 'candidate', '--backend', 'wasm', '--constraint', 'ACC >= 0.3');
    expect(text.stdout).toMatch(/the \d+ safety rows of run \d+/);
    expect(text.stdout).toMatch(/(HOLDS|VIOLATED) with confidence 0\.95 — this repeats the run's safety test on its own safety rows: not an independent confirmation|INCONCLUSIVE at confidence 0\.95 — this repeats/);

    // Every row, asked for on purpose: they include the rows that trained the model.
    const all = await cli('audit', '--run', String(runId), '--which', 'candidate', '--backend', 'wasm', '--rows', 'all', '--constraint', 'ACC >= 0.3', '--json');
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ rows: { which: 'all', start: 0, end: 200 }, guarantee: 'none-trained-rows' });
    const allText = await cli('audit', '--run', String(runId), '--which', 'candidate', '--backend', 'wasm', '--rows', 'all', '--constraint', 'ACC >= 0.3');
    expect(allText.stdout).toMatch(/(HOLDS|VIOLATED|INCONCLUSIVE) on these rows — NOT a guarantee: the audited rows include rows that trained the model/);
    expect(allText.stdout).not.toMatch(/HOLDS with confidence/);
    // On another dataset the run's rows are not involved.
    const other = await cli('audit', '--run', String(runId), '--which', 'candidate', '--backend', 'wasm', '--dataset', 'bands12', '--resize', '16', '--constraint', 'ACC >= 0.3', '--json');
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout)).toMatchObject({ guarantee: 'independent', rows: { which: 'all' } });
    // The run's 'trained' CNN learnt from the candidate rows only and no safety test chose it: independent on
    // the run's safety rows, no guarantee on every row; its 'initial' model learnt from no rows at all.
    const trained = await cli('audit', '--run', String(runId), '--which', 'trained', '--backend', 'wasm', '--constraint', 'ACC >= 0.3', '--json');
    expect(JSON.parse(trained.stdout)).toMatchObject({ guarantee: 'independent', rows: { ofRun: runId } });
    const trainedAll = await cli('audit', '--run', String(runId), '--which', 'trained', '--backend', 'wasm', '--rows', 'all', '--constraint', 'ACC >= 0.3', '--json');
    expect(JSON.parse(trainedAll.stdout)).toMatchObject({ guarantee: 'none-trained-rows' });
    const initialAll = await cli('audit', '--run', String(runId), '--which', 'initial', '--backend', 'wasm', '--rows', 'all', '--constraint', 'ACC >= 0.3', '--json');
    expect(JSON.parse(initialAll.stdout)).toMatchObject({ guarantee: 'independent' });
  });

  it("--retrain-head --run on its own dataset: the run's own split, so no row that trained the body is a safety row", async () => {
    const db = openWorkspace(dbPath);
    const run = getRun(db, runId)!;
    const stored = getRunRows(db, runId)!;
    db.close();
    // The run's body trained on shuffled candidate rows (shuffleSeed 5): not the stored order's first rows.
    expect(run.settings.shuffleSeed).not.toBeNull();
    expect(stored.bodyRows.length).toBe(run.nCandidate);
    const r = await cli('audit', '--retrain-head', '--run', String(runId), '--which', 'trained', '--backend', 'wasm', '--constraint', 'ACC >= 0.5', '--iterations', '20', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { n_candidate: number; n_safety: number; rows: { split: string; of_run: number; candidate_rows: number[]; safety_rows: number[] } };
    expect(out.rows).toMatchObject({ split: 'run', of_run: runId });
    const body = new Set(stored.bodyRows);
    expect(out.rows.safety_rows.filter((row) => body.has(row))).toEqual([]);
    expect(out.rows.safety_rows).toEqual(Array.from(stored.rowOrder.subarray(run.nCandidate)));
    expect(out).toMatchObject({ n_candidate: run.nCandidate, n_safety: stored.rowOrder.length - run.nCandidate });
    // The split is the run's: --frac-safety is refused with the reason.
    const frac = await cli('audit', '--retrain-head', '--run', String(runId), '--backend', 'wasm', '--constraint', 'ACC >= 0.5', '--frac-safety', '0.3');
    expect(frac.code).toBe(2);
    expect(frac.stderr).toMatch(/uses the run's own split .*drop --frac-safety/);
  });
});
