/**
 * Invariant under test: training runs and experiments go through the contract like every other route —
 * a bad request is the reply's error (nothing queued), a good one returns ids at once, every `run.event`
 * carries the job and run ids and passes the contract, the job ends with exactly one terminal event, and
 * the stored results (verdict, bounds, iterations, aggregates, CSV export) come back through the reads.
 * Called through `createServices` on a temporary database with the real training worker.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src-shared/contract';
import { events as eventCatalog } from '../../src-shared/contract';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import type { Services } from '../../src-main/services';
import { useTempDir } from '../support/images';
import { bandsWorkspace, terminal, until, value, withServices } from '../support/services';
import { missing } from '../support/prerequisites';

const tempDir = useTempDir('fairbound-bridge-runs-');
const CONSTRAINT = 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8';

/** Imports a two-group Seldonian dataset of `nRows` rows through datasets.import; returns its id. */
async function importTwoGroups(services: Services, seen: EventMessage[], dir: string, nRows: number): Promise<number> {
  const files = twoGroupSeldonianFiles(twoGroupData({ nRows, seed: 3 }));
  writeFileSync(join(dir, 'data.csv'), files.csv);
  writeFileSync(join(dir, 'meta.json'), files.metadata);
  const imported = await value(services, 'datasets.import', { format: 'seldonian', name: 'two', csv: join(dir, 'data.csv'), metadata: join(dir, 'meta.json') });
  const importEnd = await until(terminal(seen, (imported as { jobId: string }).jobId), 20_000);
  return (importEnd.payload as { result: { datasetId: number } }).result.datasetId;
}

describe('runs through the services', () => {
  it('starts a head run, streams its events with ids, and stores a verdict the reads return', async () => {
    const { dbPath, datasetId } = bandsWorkspace(tempDir(), { n: 160, seed: 4 });
    await withServices({ dbPath }, async (services, seen) => {
      const bad = await services.invoke('runs.start', { dataset: datasetId, constraints: [{ source: 'ACC | [Z] >= 0.5', delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-j-cnn' });
      expect(bad.ok).toBe(false);
      expect((await value(services, 'runs.list', {}))).toEqual([]);

      const reply = await services.invoke('runs.start', {
        dataset: datasetId,
        constraints: [{ source: CONSTRAINT, delta: 0.05 }],
        pipeline: 'head',
        architecture: 'tutorial-j-cnn',
        epochs: 1,
        batchSize: 20,
        iterations: 50,
        resize: 48,
        backend: 'wasm',
      });
      if (!reply.ok) throw new Error(reply.error.message);
      const { jobId, runId } = reply.value as { jobId: string; runId: number };
      const end = await until(terminal(seen, jobId), 80_000);
      expect(end.event).toBe('job.done');
      const runEvents = seen.filter((m) => m.event === 'run.event').map((m) => m.payload as { jobId: string; runId: number; event: { type: string } });
      expect(runEvents.every((e) => e.jobId === jobId && e.runId === runId)).toBe(true);
      for (const m of seen) expect(eventCatalog[m.event as 'run.event'].payload.safeParse(m.payload).success, m.event).toBe(true);
      const types = new Set(runEvents.map((e) => e.event.type));
      for (const t of ['status', 'phase', 'batch', 'iteration', 'finished']) expect(types.has(t), t).toBe(true);

      const d = (await value(services, 'runs.get', { runId })) as { verdict: string; constraints: { nodes: unknown[] }[]; groupAccuracy: { groups: unknown[] }; backend: { name: string } };
      expect(['passed', 'nsf']).toContain(d.verdict);
      expect(d.backend.name).toBe('wasm');
      expect(d.groupAccuracy.groups.length).toBeGreaterThan(0);
      const its = (await value(services, 'runs.iterations', { runId })) as { iterations: unknown[] };
      expect(its.iterations).toHaveLength(50);
      const report = (await value(services, 'backends.report', {})) as { latest: { runId: number } };
      expect(report.latest.runId).toBe(runId);
      expect((await value(services, 'runs.cancel', { runId }))).toEqual({ cancelled: false });
    });
  }, 90_000);

  it('cancels a run: job.cancelled, and the run is recorded as cancelled', async () => {
    const { dbPath, datasetId } = bandsWorkspace(tempDir(), { n: 160, seed: 4 });
    await withServices({ dbPath }, async (services, seen) => {
      const { jobId, runId } = (await value(services, 'runs.start', { dataset: datasetId, constraints: [{ source: CONSTRAINT, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-j-cnn', epochs: 50, batchSize: 20, resize: 48, backend: 'wasm' })) as { jobId: string; runId: number };
      await until(() => seen.find((m) => m.event === 'run.event' && (m.payload as { event: { type: string } }).event.type === 'phase'), 30_000);
      expect((await value(services, 'runs.cancel', { runId }))).toEqual({ cancelled: true });
      const end = await until(terminal(seen, jobId), 30_000);
      expect(end.event).toBe('job.cancelled');
      expect(((await value(services, 'runs.get', { runId })) as { run: { status: string } }).run.status).toBe('cancelled');
    });
  }, 60_000);
});

/** What `npx electron-vite build` puts next to the Electron main bundle (src-main/shell/main.ts forks it). */
const BUILT_TRAIN_WORKER = fileURLToPath(new URL('../../out/main/train-worker.mjs', import.meta.url));

describe.skipIf(missing(`the Electron main bundle's ${BUILT_TRAIN_WORKER} (npm run build:app)`, existsSync(BUILT_TRAIN_WORKER)))("the Electron main bundle's training worker", () => {
  it('serves a run when given as the training entry', async () => {
    const { dbPath, datasetId } = bandsWorkspace(tempDir(), { n: 80, seed: 4 });
    await withServices({ dbPath, runtime: 'electron', training: { entry: { modulePath: BUILT_TRAIN_WORKER } } }, async (services, seen) => {
      const { jobId, runId } = (await value(services, 'runs.start', { dataset: datasetId, constraints: [{ source: CONSTRAINT, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-j-cnn', epochs: 1, batchSize: 20, iterations: 10, resize: 48, backend: 'wasm' })) as { jobId: string; runId: number };
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.payload).toMatchObject({ result: { kind: 'run', runId } });
    });
  }, 70_000);
});

describe('experiments through the services', () => {
  it('cancels an experiment between trials: job.cancelled, experiment cancelled', async () => {
    const dir = tempDir();
    await withServices({ dbPath: join(dir, 'w.db') }, async (services, seen) => {
      const datasetId = await importTwoGroups(services, seen, dir, 2000);
      const { jobId, experimentId } = (await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.2', delta: 0.1 }],
        fractions: [0.5, 1],
        nTrials: 500,
        models: ['qsa-features'],
        iterations: 500,
        workers: 1,
      })) as { jobId: string; experimentId: number };
      await until(() => seen.find((m) => m.event === 'job.progress' && (m.payload as { jobId: string; phase: string }).phase === 'trials'), 30_000);
      expect(await value(services, 'experiments.cancel', { experimentId })).toEqual({ cancelled: true });
      const end = await until(terminal(seen, jobId), 30_000);
      expect(end.event).toBe('job.cancelled');
      const listed = (await value(services, 'experiments.list', {})) as { status: string; trialsStored: number }[];
      expect(listed[0].status).toBe('cancelled');
      expect(listed[0].trialsStored).toBeLessThan(1000);
    });
  }, 70_000);

  it('runs 2 trials × 2 fractions, returns aggregates per model and exports the CSVs', async () => {
    const dir = tempDir();
    await withServices({ dbPath: join(dir, 'w.db') }, async (services, seen) => {
      const datasetId = await importTwoGroups(services, seen, dir, 400);
      const models = (await value(services, 'experiments.models', {})) as { type: string }[];
      expect(models.map((m) => m.type)).toEqual(expect.arrayContaining(['qsa-features', 'logistic', 'uniform-random', 'weighted-random']));

      const bad = await services.invoke('experiments.start', { datasetId, constraints: [{ source: 'ACC | [M] >= 0.5', delta: 0.1 }], fractions: [0.5], nTrials: 1, models: ['nope'] });
      expect(bad).toMatchObject({ ok: false });

      const started = await value(services, 'experiments.start', {
        datasetId,
        constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.2', delta: 0.1 }],
        fractions: [0.3, 1],
        nTrials: 2,
        models: ['qsa-features', 'logistic'],
        iterations: 50,
        seed: 1,
        workers: 1,
      });
      const { jobId, experimentId } = started as { jobId: string; experimentId: number };
      const end = await until(terminal(seen, jobId), 60_000);
      expect(end.event).toBe('job.done');
      expect(seen.filter((m) => m.event === 'job.progress' && (m.payload as { jobId: string }).jobId === jobId).length).toBeGreaterThan(0);
      const detail = (await value(services, 'experiments.get', { experimentId })) as { experiment: { trialsStored: number }; aggregates: { models: { fractions: unknown[] }[] } };
      expect(detail.experiment.trialsStored).toBe(8);
      expect(detail.aggregates.models).toHaveLength(2);
      expect(detail.aggregates.models[0].fractions).toHaveLength(2);
      const out = join(dir, 'export');
      const exported = (await value(services, 'experiments.exportCsv', { experimentId, folder: out })) as { files: string[] };
      expect(exported.files.length).toBeGreaterThan(0);
      expect(existsSync(join(out, exported.files[0]))).toBe(true);
      expect(((await value(services, 'experiments.list', {})) as unknown[]).length).toBe(1);
    });
  }, 90_000);
});
