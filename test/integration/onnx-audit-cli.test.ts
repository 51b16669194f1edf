/**
 * `fairbound audit --model m.onnx` end to end on a stored image dataset (the band images, two groups):
 * a model with set weights that tells the bands apart gets fixed verdicts; the result records its
 * pre-processing and the execution provider that ran it; the CLI's JSON is what the app's audit.start
 * job (inference in the training worker, progress per batch) gives; a cancel stops the job between
 * batches; pre-processing flags without an ONNX model are bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { bandOnnxModel } from '../support/onnx-band-model';
import { buildOnnxCnn } from '../support/onnx-models';
import { bandsWorkspace, progressMessages, terminal, until, value, withServices } from '../support/services';
import { BANDS_RATIO } from '../support/tiny-run';

const tempDir = useTempDir('fairbound-onnx-audit-cli-');

const CONSTRAINTS = [BANDS_RATIO, 'ACC >= 0.9', 'ACC <= 0.5'];

describe('fairbound audit --model <file.onnx>', () => {
  it('audits the dataset with fixed verdicts; the CLI’s JSON is the audit.start job’s result', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 600, seed: 3 });
    const model = join(dir, 'bands.onnx');
    writeFileSync(model, bandOnnxModel(16, 2));
    const flags = ['audit', '--db', dbPath, '--dataset', 'bands', '--model', model, ...CONSTRAINTS.flatMap((c) => ['--constraint', c]), '--delta', '0.05'];
    const text = await cli(...flags);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/pre-processing: input image \[batch, 1, 16, 16\], NCHW \(from the input shape\), 16×16×1, pixels in \[0, 1\]; output logits \(read from the model's last operator\) over 2 outputs/);
    expect(text.stderr).toMatch(/^backend: onnxruntime (cpu|cuda) \(onnxruntime-node /m);
    // The HTML report records the pre-processing and what ran the model too.
    const report = join(dir, 'report.html');
    const reported = await cli(...flags, '--report', report, '--quiet');
    expect(reported.code, reported.stderr).toBe(0);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/Pre-processing<\/td><td><code>input image \[batch, 1, 16, 16\], NCHW \(from the input shape\), 16×16×1, pixels in \[0, 1\]; output logits/);
    expect(html).toMatch(/Inference<\/td><td><code>onnxruntime (cpu|cuda) /);
    const json = await cli(...flags, '--json');
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as { constraints: { verdict: string; gPoint: number }[]; preprocessing: unknown; backend: string; guarantee: string; rows: unknown };
    expect(result.constraints.map((c) => c.verdict)).toEqual(['holds', 'holds', 'violated']);
    // Every row right: the accuracy's point estimate is 1, so ACC >= 0.9's g is −0.1.
    expect(result.constraints[1].gPoint).toBeCloseTo(-0.1, 12);
    expect(result.guarantee).toBe('unknown-training-rows');
    expect(result.preprocessing).toEqual({
      input: 'image [batch, 1, 16, 16]', layout: 'NCHW', layoutFrom: 'input shape', height: 16, width: 16, channels: 1, resize: null,
      channelConversion: 'none', normalize: null, output: 'logits', outputFrom: 'graph', outputs: 2, positiveClass: null,
    });

    await withServices({ dbPath, jobs: { progressIntervalMs: 0 } }, async (services, seen) => {
      const input = { datasetId, source: { kind: 'model', path: model }, constraints: CONSTRAINTS.map((source) => ({ source, delta: 0.05 })), mode: { kind: 'hard', threshold: 0.5 } };
      const { jobId } = (await value(services, 'audit.start', input)) as { jobId: string };
      const end = await until(terminal(seen, jobId), 90_000);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');
      expect(progressMessages(seen, jobId).filter((m) => m.startsWith('predicting batch'))).toContainEqual(expect.stringMatching(/^predicting batch 3 of 3 /));
      expect((end.payload as { result: { result: unknown } }).result.result).toEqual(result);
      const pid = services.context.deepWorker().workerPid;
      expect(pid).not.toBeNull();
      expect(pid).not.toBe(process.pid);
    });
  }, 120_000);

  it('a cancel stops the job between batches', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 20_000, seed: 4 });
    // Heavy enough per batch (32 3×3 filters at 16×16) that the cancel arrives long before the last of 79 batches.
    const model = join(dir, 'heavy.onnx');
    writeFileSync(model, buildOnnxCnn({ image: [1, 16, 16], layers: [{ kind: 'conv', filters: 32, kernel: 3, pad: 1 }, { kind: 'relu' }, { kind: 'conv', filters: 32, kernel: 3, pad: 1 }, { kind: 'relu' }, { kind: 'flatten' }, { kind: 'gemm', units: 2 }], seed: 1 }).encode());
    await withServices({ dbPath, jobs: { progressIntervalMs: 0 } }, async (services, seen) => {
      const input = { datasetId, source: { kind: 'model', path: model }, constraints: [{ source: 'ACC >= 0.5', delta: 0.05 }], mode: { kind: 'hard', threshold: 0.5 } };
      const { jobId } = (await value(services, 'audit.start', input)) as { jobId: string };
      await until(() => progressMessages(seen, jobId).find((m) => m.startsWith('predicting batch')), 60_000);
      await value(services, 'jobs.cancel', { jobId });
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.event).toBe('job.cancelled');
      const batches = progressMessages(seen, jobId).filter((m) => m.startsWith('predicting batch'));
      expect(batches.some((m) => m.startsWith('predicting batch 79 of 79'))).toBe(false);
    });
  }, 120_000);

  it('pre-processing flags need an ONNX model; --backend does not apply to one', async () => {
    const dir = tempDir();
    const { dbPath } = bandsWorkspace(dir, { n: 20 });
    const model = join(dir, 'bands.onnx');
    writeFileSync(model, bandOnnxModel(16, 2));
    const layout = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--model', join(dir, 'model.json'), '--layout', 'NCHW', '--constraint', 'ACC >= 0.5');
    expect(layout.code).toBe(2);
    expect(layout.stderr).toMatch(/--layout applies to an ONNX model/);
    const backend = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--model', model, '--backend', 'wasm', '--constraint', 'ACC >= 0.5');
    expect(backend.code).toBe(2);
    expect(backend.stderr).toMatch(/--backend picks the TF\.js backend/);
    const normalize = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--model', model, '--normalize', '0.5', '--constraint', 'ACC >= 0.5');
    expect(normalize.code).toBe(2);
    expect(normalize.stderr).toMatch(/--normalize: mean,std pairs \(one, or one per channel\) are expected/);
    const shape = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--model', model, '--resize', '12', '--constraint', 'ACC >= 0.5');
    expect(shape.code).toBe(2);
    expect(shape.stderr).toMatch(/bands\.onnx: the model's input 'image' has shape \[batch, 1, 16, 16\] .* gives 12×12 images \(after --resize 12\): give --resize 16/);
  });
});
