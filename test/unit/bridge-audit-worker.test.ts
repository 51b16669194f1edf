/**
 * Invariant under test (issue 7: long work never runs on the app's main thread): audit.run with a TF.js
 * model source runs the model in the deep worker queue's worker process, never in the process that serves
 * the routes — no TensorFlow.js backend is selected and no tensor is made here, and the audit service's
 * module graph reaches no @tensorflow/* module, not even through a dynamic import. The result equals the
 * CLI's in-process audit of the same model and rows; a bad model (no model.json, an input shape that
 * does not fit the dataset's images, the wrong number of classes) is an input error naming the file; the
 * inference reports progress per batch and stops between batches when cancelled, leaving the worker up.
 *
 * The models are written by hand (topology JSON + weights.bin) so that this process never builds one.
 * Called through `createServices` on a temporary database with the real training worker.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { AuditPredictProgress } from '../../src-main/audit/predict-types';
import { CancelledError } from '../../src-main/deep/cancel';
import { cliAudit, sameAudit, type ServiceAudit } from '../support/audit-compare';
import { writeDenseModel } from '../support/dense-model';
import { useTempDir } from '../support/images';
import { bandsWorkspace, withServices } from '../support/services';
import { BANDS_RATIO } from '../support/tiny-run';

const tempDir = useTempDir('fairbound-audit-worker-');

/** This process's TensorFlow.js engine has done nothing: no backend was chosen and no tensor made. */
function tfIdleHere(): { backend: string | null; tensors: number } {
  return { backend: tf.getBackend() ?? null, tensors: tf.engine().state.numTensors };
}

const AUDIT = {
  constraints: [
    { source: BANDS_RATIO, delta: 0.05 },
    { source: 'ACC >= 0.6', delta: 0.05 },
  ],
  mode: { kind: 'hard', threshold: 0.5 },
  bound: 'student-t',
} as const;

describe('audit.run of a TF.js model runs the model in the training worker', () => {
  it('keeps TensorFlow.js out of the audit service’s module graph, dynamic imports included', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const result = await build({
      entryPoints: [join(root, 'src-main/services/audit.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      outdir: join(root, 'out/tmp-graph-check'),
      logLevel: 'silent',
    });
    const inputs = Object.entries(result.metafile.inputs);
    const tfImports = inputs.flatMap(([file, input]) => input.imports.filter((i) => i.path.startsWith('@tensorflow/')).map((i) => `${file} → ${i.path} (${i.kind})`));
    expect(tfImports).toEqual([]);
    // The check sees the graph: the tfjs-free row selection the service uses (the worker describes the backend).
    expect(Object.keys(result.metafile.inputs)).toEqual(expect.arrayContaining(['src-main/audit/select-rows.ts']));
  }, 30_000);

  // Before the test that runs the CLI here (which loads tfjs in this process): tests run in order.
  it('reports progress per batch and stops between batches when cancelled; the worker stays up', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 2000, seed: 5 });
    const modelJson = writeDenseModel(join(dir, 'model'), [16, 16, 1], 2);
    await withServices({ dbPath }, async (services) => {
      const host = services.context.deepWorker();
      const request = { datasetId, source: { kind: 'model', path: modelJson }, resize: null, backend: 'wasm', selection: null, batchSize: 1 } as const;
      const abort = new AbortController();
      const progress: AuditPredictProgress[] = [];
      const cancelled = host.predictAudit(dbPath, request, {
        signal: abort.signal,
        onProgress: (p) => {
          progress.push(p);
          if (p.done === 5) abort.abort();
        },
      });
      await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
      const seen = progress.length;
      expect(seen).toBeGreaterThanOrEqual(5);
      // Stopped well before the end (2000 batches of one image): the cancel was heard between batches.
      expect(progress[seen - 1].done).toBeLessThan(2000);
      const pid = host.workerPid;
      expect(pid).not.toBeNull();

      // The same worker then runs the whole inference, one progress event per batch.
      const all: AuditPredictProgress[] = [];
      const reply = await host.predictAudit(dbPath, { ...request, batchSize: 500 }, { onProgress: (p) => all.push(p) });
      expect(all).toEqual([500, 1000, 1500, 2000].map((done) => ({ done, total: 2000 })));
      expect(reply).toMatchObject({ nRows: 2000, nOutputs: 1, pid, sourceText: `model ${modelJson}` });
      expect(reply.probs).toBeInstanceOf(Float64Array);
      expect(reply.probs.every((p) => p > 0 && p < 1)).toBe(true);
      expect(host.workerPid).toBe(pid);

      // Aborted before it starts: rejected at once, nothing sent.
      const early = new AbortController();
      early.abort();
      await expect(host.predictAudit(dbPath, request, { signal: early.signal })).rejects.toBeInstanceOf(CancelledError);
    });
    expect(tfIdleHere()).toEqual({ backend: null, tensors: 0 });
  }, 120_000);
  it('gives the CLI’s result without tfjs here; bad models fail naming the file', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 200, seed: 3 });
    const modelJson = writeDenseModel(join(dir, 'model'), [16, 16, 1], 2);
    const replies: Record<string, ServiceAudit> = {};
    await withServices({ dbPath }, async (services) => {
      for (const rows of ['all', 'safety'] as const) {
        const reply = await services.invoke('audit.run', {
          ...AUDIT,
          datasetId,
          source: { kind: 'model', path: modelJson, backend: 'wasm' },
          rows: rows === 'all' ? { kind: 'all' } : { kind: 'safety', fracSafety: 0.5 },
        });
        expect(reply.ok, JSON.stringify(reply)).toBe(true);
        replies[rows] = (reply as { value: ServiceAudit }).value;
        expect(replies[rows].source).toBe(`model ${modelJson}`);
        expect(replies[rows].backend).toMatch(/^wasm \(@tensorflow\/tfjs-backend-wasm /);
      }
      const workerPid = services.context.deepWorker().workerPid;
      expect(workerPid).not.toBeNull();
      expect(workerPid).not.toBe(process.pid);

      const noModelJson = join(dir, 'empty-model');
      mkdirSync(noModelJson);
      const wrongInput = writeDenseModel(join(dir, 'model-8x8'), [8, 8, 1], 2);
      const wrongOutput = writeDenseModel(join(dir, 'model-3-classes'), [16, 16, 1], 3);
      const bad = async (path: string, resize?: number) =>
        services.invoke('audit.run', { ...AUDIT, datasetId, source: { kind: 'model', path, backend: 'wasm', ...(resize !== undefined ? { resize } : {}) }, rows: { kind: 'all' } });

      const missing = await bad(noModelJson);
      expect(missing).toMatchObject({ ok: false, error: { code: 'input', file: join(noModelJson, 'model.json') } });
      expect((missing as { error: { message: string } }).error.message).toBe(`${join(noModelJson, 'model.json')}: no model.json in this folder: a TF.js layers model folder holds model.json and its weights`);

      const corrupt = join(dir, 'corrupt-model');
      mkdirSync(corrupt);
      writeFileSync(join(corrupt, 'model.json'), '{ not json');
      const unreadable = await bad(corrupt);
      expect(unreadable).toMatchObject({ ok: false, error: { code: 'input', file: corrupt } });
      expect((unreadable as { error: { message: string } }).error.message).toContain(`cannot load the model: loadModel: cannot read ${join(corrupt, 'model.json')}`);

      const shape = await bad(wrongInput);
      expect(shape).toMatchObject({ ok: false, error: { code: 'input' } });
      expect((shape as { error: { message: string } }).error.message).toMatch(new RegExp(`model ${wrongInput} expects input shape 8×8×1 .*gives 16×16×1.*--resize 8`));
      // The hint is right: resized to the model's input it audits.
      expect(await bad(wrongInput, 8)).toMatchObject({ ok: true });

      const classes = await bad(wrongOutput);
      expect(classes).toMatchObject({ ok: false, error: { code: 'input' } });
      expect((classes as { error: { message: string } }).error.message).toContain(`model ${wrongOutput} outputs shape [null, 3] (3 classes) but dataset 'bands' has 2 classes`);

      // The worker survived every failure: the same process audited the resized model above.
      expect(services.context.deepWorker().workerPid).toBe(workerPid);
    });
    // Nothing of TensorFlow.js ran in this process during the services' audits.
    expect(tfIdleHere()).toEqual({ backend: null, tensors: 0 });

    // The same model and rows, audited by the CLI in this process.
    const cliArgs = ['--dataset', 'bands', '--constraint', BANDS_RATIO, '--constraint', 'ACC >= 0.6', '--delta', '0.05', '--backend', 'wasm', '--bound', 'student-t', '--model', modelJson, '--db', dbPath];
    sameAudit(replies.all, await cliAudit([...cliArgs, '--rows', 'all']));
    sameAudit(replies.safety, await cliAudit([...cliArgs, '--rows', 'safety']));
    expect(tf.getBackend()).toBe('wasm');
  }, 120_000);

});
