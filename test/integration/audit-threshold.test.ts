/**
 * The threshold explorer's cache (src-main/services/audit-threshold.ts): an audit started with
 * audit.start keeps its probabilities, and audit.atThreshold bounds them again at another threshold
 * without running the model: the numbers equal a fresh full audit at that threshold, and they still come
 * after the model file is gone (a full audit then fails: the model would have to run). In-process, a
 * counting predictor shows the model runs once for the audit and never for a threshold. The cache keeps
 * the most recently used audits only.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routes } from '../../src-shared/contract/routes';
import type { AuditResult } from '../../src-shared/contract';
import { predictAuditRows } from '../../src-main/audit/model-audit';
import { auditedRows, boundAudit, runAudit, type AuditedRows, type AuditEnvironment } from '../../src-main/services/audit';
import { AuditRowsCache } from '../../src-main/services/audit-threshold';
import { openWorkspace } from '../../src-main/store/database';
import { useTempDir } from '../support/images';
import { bandOnnxModel } from '../support/onnx-band-model';
import { bandsWorkspace, terminal, until, value, withServices } from '../support/services';
import { BANDS_RATIO } from '../support/tiny-run';

const tempDir = useTempDir('fairbound-audit-threshold-');

function workspaceWithModel(): { dbPath: string; datasetId: number; model: string } {
  const dir = tempDir();
  const { dbPath, datasetId } = bandsWorkspace(dir, { n: 200, seed: 3 });
  const model = join(dir, 'bands.onnx');
  writeFileSync(model, bandOnnxModel(16, 2));
  return { dbPath, datasetId, model };
}

const auditOf = (datasetId: number, model: string) =>
  routes['audit.run'].input.parse({
    datasetId,
    source: { kind: 'model', path: model },
    constraints: [{ source: BANDS_RATIO, delta: 0.05 }, { source: 'ACC >= 0.6', delta: 0.1 }],
    mode: { kind: 'hard', threshold: 0.5 },
    bound: 'student-t',
    intersections: [['A']],
  });

describe('audit.atThreshold', () => {
  it('bounds the kept probabilities at another threshold as a fresh audit does, without the model', async () => {
    const { dbPath, datasetId, model } = workspaceWithModel();
    const input = auditOf(datasetId, model);
    await withServices({ dbPath }, async (services, seen) => {
      const { jobId } = (await value(services, 'audit.start', input)) as { jobId: string };
      const done = await until(terminal(seen, jobId), 60_000);
      expect(done.event).toBe('job.done');
      const thresholdId = (done.payload as { result: { thresholdId?: string } }).result.thresholdId;
      expect(thresholdId).toEqual(expect.any(String));
      const fresh = new Map<number, unknown>();
      for (const t of [0.3, 0.7]) fresh.set(t, await value(services, 'audit.run', { ...input, mode: { kind: 'hard', threshold: t } }));
      // The thresholds give different numbers, so equal results below say the threshold was applied.
      expect(fresh.get(0.3)).not.toEqual(fresh.get(0.7));

      rmSync(model);
      const gone = await services.invoke('audit.run', { ...input, mode: { kind: 'hard', threshold: 0.3 } });
      expect(gone.ok).toBe(false);
      for (const t of [0.3, 0.7]) expect(await value(services, 'audit.atThreshold', { thresholdId, threshold: t })).toEqual(fresh.get(t));
      const unknown = await services.invoke('audit.atThreshold', { thresholdId: 'no-such-audit', threshold: 0.5 });
      expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    });
  }, 90_000);

  it('runs the model once for the audit and never for a threshold (in-process, counted)', async () => {
    const { dbPath, datasetId, model } = workspaceWithModel();
    const input = auditOf(datasetId, model);
    const db = openWorkspace(dbPath);
    try {
      let calls = 0;
      // No progress callback: this audit is not a job.
      const env: AuditEnvironment = { db, predict: (request, options) => (calls++, predictAuditRows(db, request, { ...(options.signal ? { signal: options.signal } : {}) })) };
      const rows = await auditedRows(input, env);
      expect(calls).toBe(1);
      const at: AuditResult[] = [0.2, 0.5, 0.8].map((t) => boundAudit(rows, { kind: 'hard', threshold: t }).result);
      expect(calls).toBe(1);
      for (const [i, t] of [0.2, 0.5, 0.8].entries()) {
        expect(at[i]).toEqual((await runAudit({ ...input, mode: { kind: 'hard', threshold: t } }, env)).result);
      }
      expect(calls).toBe(4);
    } finally {
      db.close();
    }
  }, 60_000);

  it('keeps the most recently used audits only', () => {
    const cache = new AuditRowsCache(2);
    const rows = (n: number) => ({ n }) as unknown as AuditedRows;
    const a = cache.keep(rows(1));
    const b = cache.keep(rows(2));
    expect(cache.get(a)).toEqual(rows(1)); // a is now the most recent
    const c = cache.keep(rows(3));
    expect(cache.size).toBe(2);
    expect(cache.get(b)).toBeUndefined();
    expect(cache.get(a)).toEqual(rows(1));
    expect(cache.get(c)).toEqual(rows(3));
  });
});
