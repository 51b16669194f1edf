/**
 * Tutorial J's pretrained-network path as a stored run: `fairbound audit --retrain-head --model m.onnx`
 * and the app's `runs.startPretrained` (through the deep worker process) store a run of pipeline
 * 'pretrained' — its source file hashed, the cut recorded, no row recorded as training the body, the
 * engine's split of the stored order — with the same verdict and head from either face; `run show` and the
 * report carry the pretrained sentence; `run export-model --format onnx` writes the user's graph cut at the
 * latent tensor plus the run's head, which ONNX Runtime runs to the run's own probabilities within 1e-5;
 * `--format tfjs` is refused with the reason.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pretrainedBodySentence } from '../../src-shared/domain/guarantee-wording';
import { onnx } from '../../src-main/deep/onnx/proto';
import { createCpuSession, mapRowsOnnx } from '../../src-main/deep/onnx/session';
import { headThetaAsDense } from '../../src-main/runs/export';
import { loadRunData } from '../../src-main/runs/run-data';
import { openWorkspace } from '../../src-main/store/database';
import { getRunLatents, getRunRows, getRunWeights } from '../../src-main/store/run-results';
import { getRun } from '../../src-main/store/runs';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { HIDDEN_UNITS, hiddenModel } from '../support/onnx-hidden-model';
import { bandsWorkspace, terminal, until, value, withServices } from '../support/services';

const tempDir = useTempDir('fairbound-pretrained-run-');
const SIZE = 16;
const HIDDEN = HIDDEN_UNITS;

describe('a pretrained run on an ONNX model', () => {
  it('is stored by the CLI and by the app alike; run show, the report and the ONNX export work on it', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 240, seed: 9 });
    const bytes = hiddenModel(SIZE);
    const model = join(dir, 'hidden.onnx');
    writeFileSync(model, bytes);
    const args = ['audit', '--retrain-head', '--db', dbPath, '--dataset', 'bands', '--model', model, '--constraint', 'ACC >= 0.7', '--iterations', '300', '--alpha-theta', '0.2', '--seed', '4'];

    const r = await cli(...args, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { verdict: string; run_id: number; latent_dim: number; guarantee_note: string; rows: { safety_rows: number[] } };
    expect(out.verdict, r.stdout.slice(0, 2000)).toBe('passed');
    expect(out.latent_dim).toBe(HIDDEN);
    expect(out.guarantee_note).toBe(pretrainedBodySentence());
    const runId = out.run_id;

    const db = openWorkspace(dbPath);
    try {
      const run = getRun(db, runId)!;
      expect(run).toMatchObject({ status: 'passed', pipeline: 'pretrained', architecture: 'ONNX model hidden.onnx', nRows: 240, nCandidate: 120, nSafety: 120, seed: 4 });
      expect(run.settings).toMatchObject({ pipeline: 'pretrained', architecture: 'pretrained', body: null, fracSafety: 0.5, qsa: { numIters: 300, alphaTheta: 0.2, bound: 'student-t' } });
      expect(run.settings.pretrained).toEqual({
        kind: 'onnx',
        path: model,
        files: [{ name: 'hidden.onnx', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }],
        latentOutput: null,
        preprocessing: {},
      });
      expect(run.result?.pretrainedBody).toMatchObject({ cutAt: 'latent', replacedHead: { inputDim: HIDDEN, units: 2 }, kernel: { name: 'js', threads: 1 } });
      expect(run.result?.pretrainedBody?.computedBy).toMatch(/^onnxruntime /);
      expect(run.result?.bodyTraining).toBeNull();
      // Nothing was trained here on any row; the safety rows are the stored order's second half.
      const rows = getRunRows(db, runId)!;
      expect(Array.from(rows.bodyRows)).toEqual([]);
      expect(Array.from(rows.rowOrder)).toEqual(Array.from({ length: 240 }, (_, i) => i));
      expect(out.rows.safety_rows).toEqual(Array.from({ length: 120 }, (_, i) => 120 + i));
      expect(getRunWeights(db, runId, 'cnn_initial')).toBeUndefined();

      // The export: the source graph cut at 'latent' plus the run's head, on the run's own images.
      const file = join(dir, 'pretrained.onnx');
      const ex = await cli('run', 'export-model', String(runId), '--format', 'onnx', '--out', file, '--db', dbPath, '--json');
      expect(ex.code, ex.stderr).toBe(0);
      expect(JSON.parse(ex.stdout)).toMatchObject({ run: runId, format: 'onnx', input: ['N', 1, SIZE, SIZE], output: ['batch', 2] });
      const exported = onnx.ModelProto.decode(readFileSync(file));
      expect(exported.graph?.node?.map((n) => n.opType)).toEqual(['Flatten', 'Gemm', 'Relu', 'Flatten', 'Gemm', 'Softmax']);
      const latents = getRunLatents(db, runId)!;
      const dense = headThetaAsDense(getRunWeights(db, runId, 'head_solution')!.data as Float64Array, latents.dim, 2);
      const data = loadRunData(db, run);
      const session = await createCpuSession(new Uint8Array(readFileSync(file)), { threads: 1 });
      let got: Float32Array;
      try {
        got = await mapRowsOnnx(session, data.images, 2, { batchSize: 64 }, 'exported model');
      } finally {
        await session.release();
      }
      let worst = 0;
      for (let i = 0; i < latents.nRows; i++) {
        let z = dense.bias[1];
        for (let j = 0; j < latents.dim; j++) z += latents.data[i * latents.dim + j] * dense.kernel[j * 2 + 1];
        const p1 = 1 / (1 + Math.exp(-z));
        worst = Math.max(worst, Math.abs(got[i * 2 + 1] - p1), Math.abs(got[i * 2] - (1 - p1)));
      }
      expect(worst).toBeLessThan(1e-5);

      const tfjs = await cli('run', 'export-model', String(runId), '--out', join(dir, 'tfjs'), '--db', dbPath);
      expect(tfjs.code).toBe(2);
      expect(tfjs.stderr).toMatch(/is a pretrained run on the ONNX model .*hidden\.onnx: it has no TF\.js model \(export it with --format onnx/);
      const trained = await cli('run', 'export-model', String(runId), '--format', 'onnx', '--which', 'trained', '--out', join(dir, 't.onnx'), '--db', dbPath);
      expect(trained.code).toBe(2);
      expect(trained.stderr).toMatch(/its body was not trained here, so there is no 'trained' model/);

      const show = await cli('run', 'show', String(runId), '--db', dbPath);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toContain(`guarantee: ${pretrainedBodySentence()}`);
      expect(show.stdout).toMatch(/pretrained ONNX model .*hidden\.onnx \(SHA-256 [0-9a-f]{64}\), cut at 'latent' \(head 6 → 2 replaced\)/);
      // The images as stored; no resize was asked for.
      expect(show.stdout).toContain(`on ${SIZE}×${SIZE}×1 images, 2 classes`);
      const latentsCase = await cli('run', 'export-latents', String(runId), '--out', join(dir, 'case'), '--db', dbPath);
      expect(latentsCase.code, latentsCase.stderr).toBe(0);
      expect(latentsCase.stdout).toMatch(/wrote 240 rows × 6 latent features/);
      const report = await cli('report', `run:${runId}`, '--out', join(dir, 'report.html'), '--db', dbPath);
      expect(report.code, report.stderr).toBe(0);
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      expect(html).toContain('the safety rows must be data the model never saw');
      expect(html).toContain('Pretrained model');

      // The app's route, through the deep worker process: the same run, the same head.
      await withServices({ dbPath }, async (services, seen) => {
        const bad = value(services, 'runs.startPretrained', { dataset: datasetId, constraints: [{ source: 'ACC >= 0.7', delta: 0.05 }], model, latentOutput: 'nope' });
        await expect(bad).rejects.toThrow(/'nope' is no node output of the model/);
        const { jobId, runId: appRunId } = (await value(services, 'runs.startPretrained', {
          dataset: datasetId,
          constraints: [{ source: 'ACC >= 0.7', delta: 0.05 }],
          model,
          iterations: 300,
          alphaTheta: 0.2,
          seed: 4,
        })) as { jobId: string; runId: number };
        expect((await until(terminal(seen, jobId), 100_000)).event).toBe('job.done');
        const phases = seen.filter((e) => e.event === 'run.event').map((e) => (e.payload as { event: { type: string; phase?: string } }).event).filter((e) => e.type === 'phase').map((e) => e.phase);
        expect(phases).toEqual(expect.arrayContaining(['latents', 'candidate_selection', 'safety_test']));
        const detail = (await value(services, 'runs.get', { runId: appRunId })) as { verdict: string; pretrainedBody: { cutAt: string } };
        expect(detail.verdict).toBe('passed');
        expect(detail.pretrainedBody.cutAt).toBe('latent');
        expect(Array.from(getRunWeights(db, appRunId, 'head_solution')!.data)).toEqual(Array.from(getRunWeights(db, runId, 'head_solution')!.data));
      });
    } finally {
      db.close();
    }
  }, 120_000);
});
