// Invariant: `fairbound run export-model <id> --format onnx` writes the run's model (the trained body
// with the QSA's head) as one ONNX file that ONNX Runtime runs on the run's own images to the run's own
// probabilities (its stored latent features through its stored head θ) within 1e-5; the file says what it
// is; a bad --format and an existing file are refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/deep/backends';
import { createCpuSession, mapRowsOnnx } from '../../src-main/deep/onnx/session';
import { headThetaAsDense } from '../../src-main/runs/export';
import { loadRunData } from '../../src-main/runs/run-data';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { getRunLatents, getRunWeights } from '../../src-main/store/run-results';
import { getRun } from '../../src-main/store/runs';
import { cli } from '../support/cli';
import { BANDS_RATIO, runStoredBandsRun } from '../support/tiny-run';

let dir: string;
let dbPath: string;
let db: WritableDB;
let runId: number;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'fairbound-onnx-export-'));
  dbPath = join(dir, 'w.db');
  db = openWorkspace(dbPath);
  runId = await runStoredBandsRun(db, BANDS_RATIO, 150);
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fairbound run export-model --format onnx', () => {
  it("writes one ONNX file whose probabilities on the run's images are the run's own to 1e-5", async () => {
    const run = getRun(db, runId)!;
    expect(['passed', 'nsf']).toContain(run.status);
    const which = run.status === 'passed' ? 'seldonian' : 'candidate';
    const file = join(dir, 'model.onnx');
    const r = await cli('run', 'export-model', String(runId), '--format', 'onnx', '--which', which, '--out', file, '--db', dbPath, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ run: runId, which, format: 'onnx', path: file, input: ['batch', 1, 16, 16], output: ['batch', 2] });

    const bytes = readFileSync(file);
    const decoded = onnx.ModelProto.decode(bytes);
    expect(decoded.producerName).toBe('fairbound');
    expect(decoded.graph?.input?.map((i) => i.name)).toEqual(['image']);
    expect(decoded.graph?.output?.map((o) => o.name)).toEqual(['probabilities']);
    expect(JSON.parse(decoded.metadataProps.find((p) => p.key === 'fairbound_run')?.value ?? '{}')).toMatchObject({ id: runId, weights: which, pipeline: 'head' });

    // The run's own probabilities: its stored latents through its stored head θ (binary: σ(b + x·w)).
    const latents = getRunLatents(db, runId)!;
    const theta = getRunWeights(db, runId, which === 'seldonian' ? 'head_solution' : 'head_candidate')!.data as Float64Array;
    const dense = headThetaAsDense(theta, latents.dim, 2);
    const data = loadRunData(db, run);
    const session = await createCpuSession(new Uint8Array(bytes), { threads: 1 });
    let got: Float32Array;
    try {
      got = await mapRowsOnnx(session, data.images, 2, { batchSize: 64 }, 'exported model');
    } finally {
      await session.release();
    }
    expect(got.length).toBe(latents.nRows * 2);
    let worst = 0;
    for (let i = 0; i < latents.nRows; i++) {
      let z = dense.bias[1];
      for (let j = 0; j < latents.dim; j++) z += latents.data[i * latents.dim + j] * dense.kernel[j * 2 + 1];
      const p1 = 1 / (1 + Math.exp(-z));
      worst = Math.max(worst, Math.abs(got[i * 2 + 1] - p1), Math.abs(got[i * 2] - (1 - p1)));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('refuses an unknown format and an existing file (without --force)', async () => {
    const bad = await cli('run', 'export-model', String(runId), '--format', 'pt', '--out', join(dir, 'x.pt'), '--db', dbPath);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be tfjs or onnx, got 'pt'/);
    const taken = join(dir, 'taken.onnx');
    writeFileSync(taken, 'keep me');
    const again = await cli('run', 'export-model', String(runId), '--format', 'onnx', '--which', 'trained', '--out', taken, '--db', dbPath);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/taken\.onnx exists; use --force to overwrite/);
    expect(readFileSync(taken, 'utf8')).toBe('keep me');
    const forced = await cli('run', 'export-model', String(runId), '--format', 'onnx', '--which', 'trained', '--out', taken, '--force', '--db', dbPath);
    expect(forced.code).toBe(0);
    expect(onnx.ModelProto.decode(readFileSync(taken)).graph?.node?.length).toBeGreaterThan(5);
  });
});
