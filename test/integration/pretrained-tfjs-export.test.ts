/**
 * A pretrained run on a TF.js layers model (`audit --retrain-head --model model.json`) has a TF.js export:
 * the user's model cut before its last dense layer plus a softmax Dense with the run's head θ. TF.js runs
 * it to the run's own probabilities (its stored latents × θ) within 1e-5, for a binary and a multiclass
 * run; `audit --run` and `run certificate` run that export, `verify --model <export>/model.json` checks it
 * and names a tampered weight file; a moved or changed source model is refused with the file and why.
 */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { pretrainedBodySentence } from '../../src-shared/domain/guarantee-wording';
import { predictAuditRows } from '../../src-main/audit/model-audit';
import { selectBackend } from '../../src-main/deep/backends';
import { openWorkspace } from '../../src-main/store/database';
import { getRunLatents, getRunRows, getRunWeights } from '../../src-main/store/run-results';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { bandsWorkspace } from '../support/services';
import { saveUserTfjsModel } from '../support/tfjs-user-model';

const tempDir = useTempDir('fairbound-pretrained-tfjs-');

/** The run's own probabilities: its stored latents × its head θ (logistic P(y=1), or softmax per class). */
function runProbabilities(dbPath: string, runId: number, kind: 'head_solution' | 'head_candidate', classes: number): { probs: Float64Array; rows: Int32Array; nOutputs: number } {
  const db = openWorkspace(dbPath);
  try {
    const z = getRunLatents(db, runId)!;
    const theta = getRunWeights(db, runId, kind)!.data as Float64Array;
    const rows = getRunRows(db, runId)!.rowOrder;
    const d = z.dim;
    const nOutputs = classes === 2 ? 1 : classes;
    const probs = new Float64Array(z.nRows * nOutputs);
    for (let i = 0; i < z.nRows; i++) {
      const x = z.data.subarray(i * d, (i + 1) * d);
      if (classes === 2) {
        let s = theta[0];
        for (let j = 0; j < d; j++) s += theta[1 + j] * x[j];
        probs[i] = 1 / (1 + Math.exp(-s));
      } else {
        const logits = Array.from({ length: classes }, (_, k) => theta[k] + x.reduce((acc, v, j) => acc + v * theta[(1 + j) * classes + k], 0));
        const max = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - max));
        const sum = e.reduce((a, b) => a + b, 0);
        e.forEach((v, k) => (probs[i * classes + k] = v / sum));
      }
    }
    return { probs, rows: Int32Array.from(rows), nOutputs };
  } finally {
    db.close();
  }
}

/** The export's probabilities on `rows`, as `audit --model <export>/model.json` computes them (TF.js). */
async function exportProbabilities(dbPath: string, datasetId: number, modelJson: string, rows: Int32Array): Promise<Float64Array> {
  const db = openWorkspace(dbPath);
  try {
    return (await predictAuditRows(db, { datasetId, source: { kind: 'model', path: modelJson }, resize: null, backend: 'wasm', selection: rows })).probs;
  } finally {
    db.close();
  }
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('a pretrained run on a TF.js model: export, audit, certificate', () => {
  it('exports the source body with the run’s head; audits, certifies and verifies through it; refuses a moved or changed source', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 240, seed: 9 });
    const source = await saveUserTfjsModel(join(dir, 'net'), 2);
    const trained = await cli('audit', '--retrain-head', '--db', dbPath, '--dataset', 'bands', '--model', source, '--backend', 'wasm', '--constraint', 'ACC >= 0.5', '--iterations', '300', '--alpha-theta', '0.2', '--seed', '4', '--json');
    expect(trained.code, trained.stderr).toBe(0);
    const run = JSON.parse(trained.stdout) as { verdict: string; run_id: number };
    expect(run.verdict, trained.stdout.slice(0, 1500)).toBe('passed');
    const id = String(run.run_id);

    const out = join(dir, 'export');
    const ex = await cli('run', 'export-model', id, '--out', out, '--db', dbPath);
    expect(ex.code, ex.stderr).toBe(0);
    const topology = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { name: string; config: { activation?: string; units?: number } }[] } } };
    const layers = topology.modelTopology.config.layers;
    expect(layers.map((l) => l.name)).not.toContain('old_head');
    expect(layers[layers.length - 1]).toMatchObject({ name: 'fairbound_head', config: { activation: 'softmax', units: 2 } });
    // Deterministic: the certificate hashes an export written on its own, the user verifies another.
    const again = join(dir, 'export-again');
    expect((await cli('run', 'export-model', id, '--out', again, '--db', dbPath)).code).toBe(0);
    expect([sha(join(again, 'model.json')), sha(join(again, 'weights.bin'))]).toEqual([sha(join(out, 'model.json')), sha(join(out, 'weights.bin'))]);

    const own = runProbabilities(dbPath, run.run_id, 'head_solution', 2);
    expect(maxDiff(await exportProbabilities(dbPath, datasetId, join(out, 'model.json'), own.rows), own.probs)).toBeLessThan(1e-5);

    const onnxFormat = await cli('run', 'export-model', id, '--format', 'onnx', '--out', join(dir, 'm.onnx'), '--db', dbPath);
    expect(onnxFormat.code).toBe(2);
    expect(onnxFormat.stderr).toContain(`run ${id} is a pretrained run on the TF.js model ${source}: it has no ONNX export`);

    const audit = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--run', id, '--soft', '--bound', 'student-t', '--constraint', 'ACC >= 0.5', '--json');
    expect(audit.code, audit.stderr).toBe(0);
    const result = JSON.parse(audit.stdout) as { guarantee: string; source: string; rows: { ofRun: number; end: number } };
    expect(result.guarantee).toBe('repeats-safety-test');
    expect(result.rows).toMatchObject({ ofRun: run.run_id, end: 120 });
    expect(result.source).toContain("the TF.js export of");
    expect(result.source).toContain("the source model's training rows are unknown to Fairbound");
    const text = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--run', id, '--soft', '--bound', 'student-t', '--constraint', 'ACC >= 0.5');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`guarantee: ${pretrainedBodySentence()}`);
    // The audit's own certificate hashes the same export, and verifies against it.
    const auditCert = join(dir, 'audit-cert.json');
    const certified = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--run', id, '--soft', '--bound', 'student-t', '--constraint', 'ACC >= 0.5', '--certificate', auditCert);
    expect(certified.code, certified.stderr).toBe(0);
    const auditVerified = await cli('verify', auditCert, '--model', join(out, 'model.json'), '--dataset', 'bands', '--db', dbPath);
    expect(auditVerified.code, auditVerified.stdout + auditVerified.stderr).toBe(0);

    const certFile = join(dir, 'cert.json');
    const made = await cli('run', 'certificate', id, '--out', certFile, '--db', dbPath);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(`fairbound run export-model ${id} --out <dir> && fairbound verify`);
    const cert = JSON.parse(readFileSync(certFile, 'utf8')) as { model: { format: string; files: { name: string; sha256: string }[] }; settings: { onnx?: unknown }; safetyTest: { passed: boolean; storedUpperBounds: number[] }; constraints: { gUpper: number }[] };
    expect(cert.model.format).toBe('tfjs-layers');
    expect(cert.model.files.map((f) => [f.name, f.sha256])).toEqual([['model.json', sha(join(out, 'model.json'))], ['weights.bin', sha(join(out, 'weights.bin'))]]);
    expect(cert.settings.onnx).toBeUndefined();
    expect(cert.safetyTest.passed).toBe(true);
    expect(Math.abs(cert.constraints[0].gUpper - cert.safetyTest.storedUpperBounds[0])).toBeLessThan(1e-4);
    const ok = await cli('verify', certFile, '--model', join(out, 'model.json'), '--dataset', 'bands', '--db', dbPath);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);

    const tampered = join(dir, 'tampered');
    cpSync(out, tampered, { recursive: true });
    const weights = readFileSync(join(tampered, 'weights.bin'));
    weights[weights.length - 1] ^= 1;
    writeFileSync(join(tampered, 'weights.bin'), weights);
    const bad = await cli('verify', certFile, '--model', join(tampered, 'model.json'), '--dataset', 'bands', '--db', dbPath);
    expect(bad.code, bad.stdout).toBe(1);
    expect(bad.stdout).toContain('model file 2 (weights.bin): SHA-256: certificate');

    // The source moved: nothing is exported, audited or certified, and the file is named.
    renameSync(join(dir, 'net'), join(dir, 'net-moved'));
    for (const args of [['run', 'export-model', id, '--out', join(dir, 'e2')], ['audit', '--dataset', 'bands', '--run', id, '--constraint', 'ACC >= 0.5'], ['run', 'certificate', id, '--out', join(dir, 'c2.json')]]) {
      const moved = await cli(...args, '--db', dbPath);
      expect(moved.code, args.join(' ')).toBe(2);
      expect(moved.stderr).toBe(`error: ${source}: run ${id}'s source model cannot be read (ENOENT): the export is the source model's body plus the run's head\n`);
    }
    // Back in place with other weights: the hash the run recorded no longer matches.
    renameSync(join(dir, 'net-moved'), join(dir, 'net'));
    const changed = readFileSync(join(dir, 'net', 'weights.bin'));
    changed[0] ^= 1;
    writeFileSync(join(dir, 'net', 'weights.bin'), changed);
    const edited = await cli('run', 'export-model', id, '--out', join(dir, 'e3'), '--db', dbPath);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toMatch(new RegExp(`run ${id}'s source model has changed since the run \\(weights\\.bin: SHA-256 [0-9a-f]{64}, the run used [0-9a-f]{64}\\): refusing to put the run's head on another body`));
  }, 120_000);

  it('exports a multiclass run’s head as a softmax over its classes (the model given as its folder)', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'w.db');
    const db = openWorkspace(dbPath);
    const datasetId = insertSyntheticImageDataset(db, { name: 'bands3', n: 180, size: 16, numClasses: 3, seed: 5 }).id;
    db.close();
    await saveUserTfjsModel(join(dir, 'net3'), 3);
    // The model given as its folder: the export finds the recorded files in it.
    const trained = await cli('audit', '--retrain-head', '--db', dbPath, '--dataset', 'bands3', '--model', join(dir, 'net3'), '--backend', 'wasm', '--constraint', 'ACC >= 0.2', '--iterations', '60', '--seed', '2', '--json');
    expect(trained.code, trained.stderr).toBe(0);
    const id = (JSON.parse(trained.stdout) as { run_id: number }).run_id;
    const out = join(dir, 'export');
    const tensors = tf.memory().numTensors;
    const ex = await cli('run', 'export-model', String(id), '--which', 'candidate', '--out', out, '--db', dbPath);
    expect(ex.code, ex.stderr).toBe(0);
    // The source model, its cut and the new head are all freed.
    expect(tf.memory().numTensors).toBe(tensors);
    const own = runProbabilities(dbPath, id, 'head_candidate', 3);
    expect(own.nOutputs).toBe(3);
    expect(maxDiff(await exportProbabilities(dbPath, datasetId, join(out, 'model.json'), own.rows), own.probs)).toBeLessThan(1e-5);
  }, 60_000);
});
