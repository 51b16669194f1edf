/**
 * `fairbound audit --retrain-head --model m.onnx` (Tutorial J's pretrained-network path on an ONNX
 * model): the graph is cut at the input of its last Gemm (or at --latent-output), every row's latent
 * features are that tensor — checked against the same maths in TypeScript to 1e-5 — and the QSA trains
 * a fresh head on them with the engine's split of the stored order; the verdict says the pretrained
 * model's training rows are unknown.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pretrainedBodySentence } from '../../src-shared/domain/guarantee-wording';
import { onnxLatents } from '../../src-main/audit/onnx/latents';
import { onnx } from '../../src-main/deep/onnx/proto';
import { openWorkspace } from '../../src-main/store/database';
import { loadDatasetForTraining } from '../../src-main/store/datasets';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { encodeModel, floatTensor, floatValue } from '../support/onnx-models';
import { bandsWorkspace } from '../support/services';

const tempDir = useTempDir('fairbound-onnx-retrain-');
const SIZE = 16;
const HIDDEN = 8;

/** Flatten → Gemm (8 units: the two strips' mean brightness, then small fixed weights) → Relu → Gemm (2). */
function hiddenModel(): { bytes: Uint8Array; w1: Float32Array; b1: Float32Array } {
  const d = SIZE * SIZE;
  const w1 = new Float32Array(HIDDEN * d);
  for (let u = 0; u < HIDDEN; u++) {
    for (let p = 0; p < d; p++) {
      const row = Math.floor(p / SIZE);
      w1[u * d + p] = u < 2 ? ((u === 0) === row < SIZE / 2 ? 4 / d : 0) : (((u * 131 + p * 17) % 23) - 11) / (23 * d);
    }
  }
  const b1 = Float32Array.from({ length: HIDDEN }, (_, u) => (u - 3) / 10);
  const w2 = Float32Array.from({ length: 2 * HIDDEN }, (_, i) => (i % HIDDEN < 2 ? (Math.floor(i / HIDDEN) === i % HIDDEN ? 1 : -1) : 0.01));
  const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const bytes = encodeModel({
    name: 'hidden',
    node: [
      { opType: 'Flatten', input: ['image'], output: ['flat'], attribute: [int('axis', 1)] },
      { opType: 'Gemm', input: ['flat', 'w1', 'b1'], output: ['hidden'], attribute: [int('transB', 1)] },
      { opType: 'Relu', input: ['hidden'], output: ['latent'] },
      { opType: 'Gemm', input: ['latent', 'w2', 'b2'], output: ['logits'], attribute: [int('transB', 1)] },
    ],
    initializer: [floatTensor('w1', [HIDDEN, d], w1), floatTensor('b1', [HIDDEN], b1), floatTensor('w2', [2, HIDDEN], w2), floatTensor('b2', [2], new Float32Array(2))],
    input: [floatValue('image', ['N', 1, SIZE, SIZE])],
    output: [floatValue('logits', ['N', 2])],
  });
  return { bytes, w1, b1 };
}

describe('audit --retrain-head on an ONNX model', () => {
  it('cuts at the last Gemm’s input; latents match TypeScript; the QSA’s fresh head passes with the pretrained-rows sentence', async () => {
    const dir = tempDir();
    const { dbPath } = bandsWorkspace(dir, { n: 400, seed: 6 });
    const { bytes, w1, b1 } = hiddenModel();
    const model = join(dir, 'hidden.onnx');
    writeFileSync(model, bytes);

    const db = openWorkspace(dbPath);
    const data = loadDatasetForTraining(db, 1);
    db.close();
    const images = { pixels: data.images!.pixels, n: data.nRows, height: SIZE, width: SIZE, channels: 1 };
    const rows = Int32Array.from([5, 0, 399, 17]);
    const got = await onnxLatents(model, images, rows, 'bands', { preprocessing: {}, resize: null });
    expect(got).toMatchObject({ dim: HIDDEN, cutAt: 'latent', replacedHead: { inputDim: HIDDEN, units: 2 } });
    const d = SIZE * SIZE;
    rows.forEach((row, i) => {
      for (let u = 0; u < HIDDEN; u++) {
        let sum = b1[u];
        for (let p = 0; p < d; p++) sum += w1[u * d + p] * (images.pixels[row * d + p] / 255);
        expect(Math.abs(got.latents[i * HIDDEN + u] - Math.max(0, sum))).toBeLessThanOrEqual(1e-5);
      }
    });

    const args = ['audit', '--retrain-head', '--db', dbPath, '--dataset', 'bands', '--model', model, '--constraint', 'ACC >= 0.7', '--delta', '0.05', '--iterations', '400', '--alpha-theta', '0.2'];
    const json = await cli(...args, '--json');
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as { verdict: string; run_id: number; latent_dim: number; replaced_head: unknown; guarantee_note: string; rows: { split: string; candidate_rows: number[]; safety_rows: number[] }; model: string; backend: string };
    expect(r.verdict, json.stdout.slice(0, 3000)).toBe('passed');
    expect(r.latent_dim).toBe(HIDDEN);
    // A model file's retrained head is a stored run (test/integration/pretrained-run.test.ts checks it).
    expect(r.run_id).toBe(1);
    expect(r.replaced_head).toEqual({ inputDim: HIDDEN, units: 2 });
    expect(r.model).toBe(`model ${model} (cut at 'latent')`);
    expect(r.backend).toMatch(/^onnxruntime (cpu|cuda) /);
    expect(r.guarantee_note).toBe(pretrainedBodySentence());
    expect(r.rows.split).toBe('stored-order');
    expect(r.rows.candidate_rows).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(r.rows.safety_rows).toEqual(Array.from({ length: 200 }, (_, i) => 200 + i));
    const text = await cli(...args);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`guarantee: ${pretrainedBodySentence()}`);
    expect(text.stdout).toContain('stored as run 2 (`fairbound run show 2`');
    expect(text.stderr).toMatch(/latent features: 'latent' \(8-d\) on onnxruntime/);

    const flat = await cli(...args, '--latent-output', 'flat', '--json');
    expect(flat.code, flat.stderr).toBe(0);
    expect((JSON.parse(flat.stdout) as { latent_dim: number }).latent_dim).toBe(SIZE * SIZE);
    const unknown = await cli(...args, '--latent-output', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--latent-output 'nope' is no node output of the model \(its last ones: 'flat', 'hidden', 'latent', 'logits'\)/);
    const noRetrain = await cli('audit', '--db', dbPath, '--dataset', 'bands', '--model', model, '--latent-output', 'flat', '--constraint', 'ACC >= 0.7');
    expect(noRetrain.code).toBe(2);
    expect(noRetrain.stderr).toMatch(/--latent-output names where --retrain-head cuts an ONNX model/);
  }, 120_000);
});
