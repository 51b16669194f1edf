/**
 * Invariants of training runs on real data, Debian's Fashion-MNIST (dataset-fashion-mnist; skipped when
 * it is not installed), through the CLI in this process (runs execute in the training worker):
 * - Tutorial J's pipeline on 3,000 rows resized to 48×48, one epoch, the brightness accuracy-ratio
 *   constraint: finishes well under two minutes on two cores, stores the run, trains the body on
 *   candidate rows only, and its verdict and bounds are those `fairbound qsa` computes on the exported
 *   latent features (same verdict and chosen iterate, bounds within 1e-9);
 * - the Tutorial G/H setting (10 classes, the whole CNN under QSA, δ 0.05, batches of 150, α_θ 0.001,
 *   α_λ 0.01) with `ACC >= 0.8` runs end to end on a few thousand rows for one epoch.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { openWorkspace } from '../../src-main/store/database';
import { getRunConstraints, getRunRows } from '../../src-main/store/run-results';
import { getRun } from '../../src-main/store/runs';
import { missing } from '../support/prerequisites';

const DIR = '/usr/share/datasets/fashion-mnist';
const IMAGES = join(DIR, 't10k-images-idx3-ubyte.gz');
const LABELS = join(DIR, 't10k-labels-idx1-ubyte.gz');
const RATIO = 'min((ACC | [light])/(ACC | [dark]),(ACC | [dark])/(ACC | [light])) >= 0.8';

let dir: string;
let dbPath: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli([...args, '--db', dbPath], { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t) });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe.skipIf(missing('Debian dataset-fashion-mnist (apt-get install dataset-fashion-mnist)', existsSync(IMAGES) && existsSync(LABELS)))('training on Fashion-MNIST (dataset-fashion-mnist)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fairbound-fm-train-'));
    dbPath = join(dir, 'fm.db');
    const binary = await cli('import', 'idx', '--images', IMAGES, '--labels', LABELS, '--brightness', '--binary-classes', '0,2,4,6', '--name', 'fm', '--quiet');
    expect(binary.code).toBe(0);
    const tenClasses = await cli('import', 'idx', '--images', IMAGES, '--labels', LABELS, '--brightness', '--name', 'fm10', '--quiet');
    expect(tenClasses.code).toBe(0);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('head pipeline (Tutorial J at 48×48): a stored verdict that `fairbound qsa` reproduces from the exported latents', async () => {
    const started = performance.now();
    const r = await cli('train', '--dataset', 'fm', '--constraint', RATIO, '--delta', '0.05', '--pipeline', 'head', '--model', 'tutorial-j-cnn', '--rows', '3000', '--resize', '48', '--epochs', '1', '--json');
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    console.log(`Fashion-MNIST head run: ${out.verdict} in ${seconds.toFixed(1)} s wall; timings ${JSON.stringify(out.timings)}; accuracy ${JSON.stringify(out.groupAccuracy)}`);
    expect(seconds).toBeLessThan(120);
    expect(out.verdict).toBe('passed');
    expect(out.run).toMatchObject({ nRows: 3000, nCandidate: 1500, nSafety: 1500 });
    expect(r.stderr).toMatch(/epoch 1\/1 batch 15\/15/);

    const db = openWorkspace(dbPath);
    let run, constraint, rows;
    try {
      run = getRun(db, out.run.id)!;
      [constraint] = getRunConstraints(db, out.run.id);
      rows = getRunRows(db, out.run.id)!;
    } finally {
      db.close();
    }
    const safety = new Set(rows.rowOrder.subarray(run.nCandidate));
    expect(rows.bodyRows).toHaveLength(1500);
    expect([...rows.bodyRows].some((row) => safety.has(row))).toBe(false);

    const caseDir = join(dir, 'case');
    expect((await cli('run', 'export-latents', String(out.run.id), '--out', caseDir)).code).toBe(0);
    const stdout: string[] = [];
    expect(await runCli(['qsa', '--spec', join(caseDir, 'spec.json'), '--json'], { stdout: (t) => stdout.push(t), stderr: () => undefined })).toBe(0);
    const qsa = JSON.parse(stdout.join(''));
    expect(qsa.passed_safety).toBe(run.status === 'passed');
    expect(qsa.candidate_selection.chosen_index).toBe(run.result!.candidateSelection.chosenIndex);
    expect(Math.abs(qsa.safety_test.upper_bounds[0] - constraint.upperBound!)).toBeLessThanOrEqual(1e-9);
    for (const node of constraint.nodes) {
      const theirs = qsa.safety_test.base_node_bounds[constraint.parsed][node.name];
      expect(Math.abs(theirs.lower - node.lower)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(theirs.upper - node.upper)).toBeLessThanOrEqual(1e-9);
    }
  });

  it('full pipeline (Tutorial G/H setting, 10 classes, ACC >= 0.8) runs end to end', async () => {
    const started = performance.now();
    const r = await cli('train', '--dataset', 'fm10', '--constraint', 'ACC >= 0.8', '--delta', '0.05', '--pipeline', 'full', '--model', 'tutorial-g-cnn', '--rows', '3000', '--epochs', '1', '--batch-size', '150', '--learning-rate', '0.001', '--alpha-lambda', '0.01', '--json', '--quiet');
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    console.log(`Fashion-MNIST full run: ${out.verdict} in ${seconds.toFixed(1)} s wall; timings ${JSON.stringify(out.timings)}; outcome ${JSON.stringify(out.outcome)}`);
    expect(seconds).toBeLessThan(60);
    expect(out.verdict).toBe('nsf');
    expect(out.settings).toMatchObject({ numClasses: 10, qsaModel: 'multiclass_logistic', qsa: { batchSize: 150, nEpochs: 1, alphaTheta: 0.001, alphaLambda: 0.01 } });
    expect(out.candidateSelection).toMatchObject({ iterationsPlanned: 10, iterationsRun: 10 });
    expect(out.constraints[0]).toMatchObject({ parsed: '0.8-(ACC)', delta: 0.05 });
    expect(out.constraints[0].nodes.find((n: { name: string }) => n.name === 'ACC').nSamples).toBe(1500);
  });
});
