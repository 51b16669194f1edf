/**
 * The pretrained pipeline's edges, on a real workspace and a real ONNX file: bad input is refused when the
 * run is prepared (nothing stored), a model file changed after the run was queued fails the run naming the
 * file, and a cancel during the latents leaves the run cancelled with its settings and no results.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pretrainedBodyPort } from '../../src-main/audit/pretrained-body';
import { preparePretrainedRun } from '../../src-main/audit/pretrained-run';
import { executeRun } from '../../src-main/runs/pipeline';
import { openWorkspace } from '../../src-main/store/database';
import { getRunConstraints, getRunRows } from '../../src-main/store/run-results';
import { getRun, insertRun, listRuns } from '../../src-main/store/runs';
import { useTempDir } from '../support/images';
import { hiddenModel } from '../support/onnx-hidden-model';
import { bandsWorkspace } from '../support/services';

const tempDir = useTempDir('fairbound-pretrained-pipeline-');
const ACC = [{ source: 'ACC >= 0.7', delta: 0.05 }];

function workspace(): { db: ReturnType<typeof openWorkspace>; model: string; datasetId: number } {
  const dir = tempDir();
  const { dbPath, datasetId } = bandsWorkspace(dir, { n: 120, seed: 5 });
  const model = join(dir, 'hidden.onnx');
  writeFileSync(model, hiddenModel(16));
  return { db: openWorkspace(dbPath), model, datasetId };
}

describe('the pretrained pipeline', () => {
  it('refuses bad input when the run is prepared', () => {
    const { db, model, datasetId } = workspace();
    try {
      expect(() => preparePretrainedRun(db, { dataset: datasetId, constraints: ACC, model: `${model}.missing.onnx` })).toThrow(/cannot read the model file \(no such file\)/);
      expect(() => preparePretrainedRun(db, { dataset: datasetId, constraints: ACC, model, latentOutput: 'nope' })).toThrow(/'nope' is no node output of the model/);
      expect(() => preparePretrainedRun(db, { dataset: datasetId, constraints: ACC, model, onnx: { layout: 'NHWC' } })).toThrow(/the model's input 'image' has shape \[N, 1, 16, 16\] \(NHWC: 1×16 images\) but dataset 'bands' gives 16×16 images/);
      expect(() => preparePretrainedRun(db, { dataset: datasetId, constraints: ACC, model, backend: 'wasm' })).toThrow(/an ONNX model runs on ONNX Runtime/);
      expect(() => preparePretrainedRun(db, { dataset: datasetId, constraints: [{ source: 'ACC | [C] >= 0.7', delta: 0.05 }], model })).toThrow(/--constraint 1: unknown attribute 'C' at column 8 \(known: A, B\)/);
      expect(listRuns(db)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('fails a run whose model file changed after it was queued, naming the file', async () => {
    const { db, model, datasetId } = workspace();
    try {
      const runId = insertRun(db, preparePretrainedRun(db, { dataset: datasetId, constraints: ACC, model }));
      const bytes = hiddenModel(16);
      bytes[bytes.length - 1] ^= 1;
      writeFileSync(model, bytes);
      const outcome = await executeRun(db, runId, { pretrainedBody: pretrainedBodyPort });
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/model changed after the run was queued \(hidden\.onnx no longer has the SHA-256 recorded\)/);
      expect(getRunRows(db, runId)).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('a cancel during the latents leaves the run cancelled with its settings and no results', async () => {
    const { db, model, datasetId } = workspace();
    try {
      const runId = insertRun(db, preparePretrainedRun(db, { dataset: datasetId, constraints: ACC, model }));
      const abort = new AbortController();
      const outcome = await executeRun(db, runId, {
        signal: abort.signal,
        pretrainedBody: pretrainedBodyPort,
        onEvent: (e) => {
          if (e.type === 'phase' && e.phase === 'latents') abort.abort('cancelled by the test');
        },
      });
      expect(outcome).toEqual({ runId, status: 'cancelled', error: 'cancelled by the test' });
      const run = getRun(db, runId)!;
      expect(run.settings.pretrained?.kind).toBe('onnx');
      expect(run.result).toBeNull();
      expect(getRunConstraints(db, runId).every((c) => c.upperBound === null)).toBe(true);
      expect(getRunRows(db, runId)).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('is refused by a process that cannot read the model', async () => {
    const { db, model, datasetId } = workspace();
    try {
      const runId = insertRun(db, preparePretrainedRun(db, { dataset: datasetId, constraints: ACC, model }));
      const outcome = await executeRun(db, runId);
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/is a pretrained run and this process cannot read its model/);
    } finally {
      db.close();
    }
  });
});
