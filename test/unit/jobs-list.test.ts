/**
 * Invariant under test: jobs.list shows every job in flight with its id, kind, subject, state, latest
 * progress and start time, so a page can find a running job and follow it by its events; a job that
 * has ended is no longer listed. Through `createServices` on a temporary database: a job of the runner
 * with controlled progress, and real training runs in the deep worker (one running, one queued behind).
 */
import { describe, expect, it } from 'vitest';
import type { JobInFlight } from '../../src-shared/contract/jobs';
import { useTempDir } from '../support/images';
import { bandsWorkspace, terminal, until, value, withServices } from '../support/services';

const tempDir = useTempDir('fairbound-jobs-list-');
const CONSTRAINT = 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8';

describe('jobs.list', () => {
  it('lists a running job with its latest progress, and not once it has ended', async () => {
    const { dbPath } = bandsWorkspace(tempDir(), { n: 40 });
    await withServices({ dbPath }, async (services, seen) => {
      expect(await value(services, 'jobs.list', {})).toEqual([]);
      let finish!: () => void;
      const released = new Promise<void>((resolve) => (finish = resolve));
      const before = Date.now();
      const jobId = services.context.jobs.start('import', async ({ progress }) => {
        progress({ fraction: 0.5, phase: 'rows', message: 'row 20 of 40', rowsDone: 20 });
        await released;
        return { kind: 'import', datasetId: 1, datasetName: 'x', importJobId: 1, nRows: 40 };
      });
      await until(() => seen.find((m) => m.event === 'job.progress' && (m.payload as { jobId: string }).jobId === jobId), 5000);
      const listed = (await value(services, 'jobs.list', {})) as JobInFlight[];
      expect(listed).toEqual([
        { jobId, kind: 'import', subjectId: null, state: 'running', progress: { fraction: 0.5, phase: 'rows', message: 'row 20 of 40', rowsDone: 20 }, startedAt: expect.any(String) },
      ]);
      expect(Date.parse(listed[0]!.startedAt)).toBeGreaterThanOrEqual(before - 1000);
      finish();
      const end = await until(terminal(seen, jobId), 5000);
      expect(end.event).toBe('job.done');
      expect(await value(services, 'jobs.list', {})).toEqual([]);
    });
  });

  it('lists training runs with their run ids: the one in the worker running with its progress, the next one queued', async () => {
    const { dbPath, datasetId } = bandsWorkspace(tempDir(), { n: 160, seed: 4 });
    await withServices({ dbPath }, async (services, seen) => {
      const request = { dataset: datasetId, constraints: [{ source: CONSTRAINT, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-j-cnn', epochs: 50, batchSize: 20, resize: 48, backend: 'wasm' };
      const first = (await value(services, 'runs.start', request)) as { jobId: string; runId: number };
      const second = (await value(services, 'runs.start', request)) as { jobId: string; runId: number };
      await until(() => seen.find((m) => m.event === 'run.event' && (m.payload as { runId: number; event: { type: string } }).runId === first.runId && (m.payload as { event: { type: string } }).event.type === 'batch'), 60_000);
      const listed = (await value(services, 'jobs.list', {})) as JobInFlight[];
      expect(listed.map((j) => [j.jobId, j.kind, j.subjectId])).toEqual([
        [first.jobId, 'run', first.runId],
        [second.jobId, 'run', second.runId],
      ]);
      const [running, queued] = listed as [JobInFlight, JobInFlight];
      expect(running.state).toBe('running');
      expect(running.progress).not.toBeNull();
      expect(queued.state).toBe('queued');
      expect(queued.progress).toBeNull();

      expect(await value(services, 'runs.cancel', { runId: first.runId })).toEqual({ cancelled: true });
      expect(await value(services, 'runs.cancel', { runId: second.runId })).toEqual({ cancelled: true });
      await until(terminal(seen, first.jobId), 30_000);
      await until(terminal(seen, second.jobId), 30_000);
      expect(await value(services, 'jobs.list', {})).toEqual([]);
    });
  }, 120_000);
});
