/**
 * Invariant under test (issue 7: every long operation shows progress and can be cancelled): audit.start
 * runs a model audit as a job. The inference in the training worker reports job.progress per batch
 * ("predicting batch k of n (… images/s)", then "bounds"), job.done carries exactly the result audit.run
 * gives for the same input, and jobs.cancel mid-way ends the job job.cancelled between batches — with the
 * same worker process then serving the next audit. An unknown dataset is the reply's error; a bad model
 * is job.failed with the same input error data audit.run replies with.
 *
 * Called through `createServices` on a temporary database with the real training worker.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src-shared/contract';
import type { Services } from '../../src-main/services';
import { writeDenseModel } from '../support/dense-model';
import { useTempDir } from '../support/images';
import { bandsWorkspace, progressMessages, terminal, until, value, withServices } from '../support/services';
import { BANDS_RATIO } from '../support/tiny-run';

const tempDir = useTempDir('fairbound-audit-job-');

const AUDIT = {
  constraints: [
    { source: BANDS_RATIO, delta: 0.05 },
    { source: 'ACC >= 0.6', delta: 0.05 },
  ],
  mode: { kind: 'hard', threshold: 0.5 },
  bound: 'student-t',
  rows: { kind: 'all' },
} as const;

async function startAudit(services: Services, input: unknown): Promise<string> {
  return ((await value(services, 'audit.start', input)) as { jobId: string }).jobId;
}

async function ending(seen: EventMessage[], jobId: string): Promise<EventMessage> {
  return until(terminal(seen, jobId), 90_000);
}

describe('audit.start runs a model audit as a job', () => {
  it('reports per-batch progress, then bounds, and ends with audit.run’s result', async () => {
    const dir = tempDir();
    // 2000 rows: 8 batches of 256.
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 2000, seed: 5 });
    const modelJson = writeDenseModel(join(dir, 'model'), [16, 16, 1], 2);
    await withServices({ dbPath, jobs: { progressIntervalMs: 0 } }, async (services, seen) => {
      const input = { ...AUDIT, datasetId, source: { kind: 'model', path: modelJson, backend: 'wasm' } };
      const jobId = await startAudit(services, input);
      const end = await ending(seen, jobId);
      expect(end.event, JSON.stringify(end.payload)).toBe('job.done');
      const messages = progressMessages(seen, jobId);
      const batches = messages.filter((m) => m.startsWith('predicting batch'));
      // The first batch says how long the loading took; the others the speed, measured from the first on.
      expect(batches[0]).toMatch(/^predicting batch 1 of 8 \(model and images loaded in \d+\.\d s\)$/);
      expect(batches.slice(1).length, messages.join('\n')).toBeGreaterThanOrEqual(1);
      for (const m of batches.slice(1)) expect(m).toMatch(/^predicting batch [2-8] of 8 \([\d,]+ images\/s\)$/);
      expect(batches.at(-1)).toMatch(/^predicting batch 8 of 8 /);
      // "bounds" comes after the last batch.
      const bounds = messages.findIndex((m) => m.startsWith('bounds'));
      expect(bounds).toBeGreaterThan(messages.lastIndexOf(batches.at(-1)!));
      expect(seen.filter((m) => m.event === 'job.progress' && (m.payload as { jobId: string }).jobId === jobId).every((m) => (m.payload as { kind: string }).kind === 'audit')).toBe(true);

      const done = end.payload as { kind: string; result: { kind: string; result: { backend?: string } } };
      expect(done.kind).toBe('audit');
      expect(done.result.kind).toBe('audit');
      expect(done.result.result.backend).toMatch(/^wasm \(@tensorflow\/tfjs-backend-wasm /);
      // Both are wire form (non-finite numbers encoded the same way): the job's result is audit.run's.
      const direct = await value(services, 'audit.run', input);
      expect(done.result.result).toEqual(direct);
    });
  }, 120_000);

  it('cancels mid-way between batches; the same worker then serves the next audit', async () => {
    const dir = tempDir();
    // 40,000 rows: 157 batches, so a cancel sent on the first batch's progress arrives long before the end.
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 40_000, seed: 7 });
    const modelJson = writeDenseModel(join(dir, 'model'), [16, 16, 1], 2);
    await withServices({ dbPath, jobs: { progressIntervalMs: 0 } }, async (services, seen) => {
      const input = { ...AUDIT, datasetId, source: { kind: 'model', path: modelJson, backend: 'wasm' } };
      let cancelReply: Promise<unknown> | null = null;
      let jobId = '';
      const off = services.subscribe((m) => {
        const p = m.payload as { jobId?: string; message?: string };
        if (cancelReply === null && m.event === 'job.progress' && p.jobId === jobId && p.message?.startsWith('predicting batch')) {
          cancelReply = value(services, 'jobs.cancel', { jobId });
        }
      });
      jobId = await startAudit(services, input);
      const end = await ending(seen, jobId);
      off();
      expect(await cancelReply).toEqual({ cancelled: true });
      expect(end.event, JSON.stringify(end.payload)).toBe('job.cancelled');
      expect((end.payload as { kind: string; reason: string })).toMatchObject({ kind: 'audit', reason: 'cancelled by the user' });
      const batches = progressMessages(seen, jobId).filter((m) => m.startsWith('predicting batch'));
      const last = /^predicting batch (\d+) of (\d+) /.exec(batches.at(-1)!)!;
      expect(Number(last[2])).toBe(157);
      // Stopped well before the end: the cancel was heard between batches.
      expect(Number(last[1])).toBeLessThan(150);
      expect(progressMessages(seen, jobId).some((m) => m.startsWith('bounds'))).toBe(false);
      const pid = services.context.deepWorker().workerPid;
      expect(pid).not.toBeNull();

      // The next audit (the safety half, so it is shorter) runs to its end on the same worker process.
      const next = { ...input, rows: { kind: 'safety', fracSafety: 0.1 } };
      const nextId = await startAudit(services, next);
      const nextEnd = await ending(seen, nextId);
      expect(nextEnd.event, JSON.stringify(nextEnd.payload)).toBe('job.done');
      expect(services.context.deepWorker().workerPid).toBe(pid);
      expect((nextEnd.payload as { result: { result: unknown } }).result.result).toEqual(await value(services, 'audit.run', next));
    });
  }, 180_000);

  it('refuses an unknown dataset in the reply; a bad model is job.failed with audit.run’s error', async () => {
    const dir = tempDir();
    const { dbPath, datasetId } = bandsWorkspace(dir, { n: 100, seed: 3 });
    await withServices({ dbPath }, async (services, seen) => {
      const unknown = await services.invoke('audit.start', { ...AUDIT, datasetId: 999, source: { kind: 'model', path: join(dir, 'x', 'model.json') } });
      expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
      const missing = { ...AUDIT, datasetId, source: { kind: 'model', path: join(dir, 'no-model', 'model.json'), backend: 'wasm' } };
      const jobId = await startAudit(services, missing);
      const end = await ending(seen, jobId);
      expect(end.event).toBe('job.failed');
      const direct = await services.invoke('audit.run', missing);
      expect(direct.ok).toBe(false);
      expect((end.payload as { error: unknown }).error).toEqual((direct as { error: unknown }).error);
      expect((end.payload as { error: { code: string; file: string } }).error).toMatchObject({ code: 'input', file: join(dir, 'no-model', 'model.json') });
    });
  }, 120_000);
});
