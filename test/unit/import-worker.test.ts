/**
 * Invariant under test: an import runs in a worker thread, not on the main thread, through
 * the services exactly as before — one job with progress and exactly one terminal event, the import's
 * single transaction atomic (see import-atomicity.test.ts for the importer itself), errors with their
 * file/row/column (bridge-server.test.ts), cancel rolling back — and a worker that crashes or stops
 * without answering fails its job while the services keep working.
 *
 * Off the main thread, proved without timing thresholds: once the worker reports reading, the test
 * BLOCKS the main thread synchronously (no event-loop turn at all) and polls the database file through a
 * connection of its own until the dataset is committed. Only a thread other than this one can commit it
 * meanwhile; the generous deadlock guard only stops a wrong implementation from hanging the suite.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src-shared/contract';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { createServices, type Services } from '../../src-main/services';
import { CLI_IMPORT_WORKER_ARGV } from '../../src-main/jobs/import-thread/start';
import { useTempDir } from '../support/images';
import { missing } from '../support/prerequisites';

const tempDir = useTempDir('fairbound-import-worker-');

function seldonianFiles(dir: string, nRows: number): { csv: string; metadata: string } {
  const files = twoGroupSeldonianFiles(twoGroupData({ nRows, seed: 5 }));
  const csv = join(dir, 'data.csv');
  const metadata = join(dir, 'meta.json');
  writeFileSync(csv, files.csv);
  writeFileSync(metadata, files.metadata);
  return { csv, metadata };
}

async function until<T>(find: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const endOf = (seen: EventMessage[], jobId: string) => () =>
  seen.find((m) => m.event !== 'job.progress' && (m.payload as { jobId?: string }).jobId === jobId);

async function startImport(services: Services, request: object): Promise<string> {
  const reply = await services.invoke('datasets.import', request);
  if (!reply.ok) throw new Error(reply.error.message);
  return (reply.value as { jobId: string }).jobId;
}

/** Sleeps the calling thread without turning its event loop. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('imports in a worker thread', () => {
  it('commits a sizeable import while the main thread is blocked, and the main loop keeps ticking around it', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'w.db');
    const files = seldonianFiles(dir, 60_000);
    const services = createServices({ dbPath, runtime: 'browser', log: () => undefined });
    const seen: EventMessage[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const reader = new Database(dbPath, { readonly: true });
    const committed = (): boolean => (reader.prepare(`SELECT count(*) AS n FROM dataset WHERE name = 'big'`).get() as { n: number }).n === 1;
    let committedBeforeBlocking: boolean | undefined;
    let committedWhileBlocked = false;
    let ticksAtReading = -1;
    services.subscribe((m) => {
      seen.push(m);
      const p = m.payload as { phase?: string };
      if (m.event !== 'job.progress' || p.phase !== 'reading' || committedBeforeBlocking !== undefined) return;
      // The worker is reading. Block this thread (no event-loop turn) until the dataset is committed.
      ticksAtReading = ticks;
      committedBeforeBlocking = committed();
      const guard = Date.now() + 120_000;
      while (!committedWhileBlocked && Date.now() < guard) {
        committedWhileBlocked = committed();
        if (!committedWhileBlocked) blockFor(5);
      }
    });
    try {
      const jobId = await startImport(services, { format: 'seldonian', name: 'big', csv: files.csv, metadata: files.metadata });
      const end = await until(endOf(seen, jobId));
      expect(end.event).toBe('job.done');
      expect(committedBeforeBlocking).toBe(false);
      expect(committedWhileBlocked).toBe(true);
      // The main loop turned before the worker's first report and after it (the timer kept firing).
      expect(ticksAtReading).toBeGreaterThan(0);
      await until(() => (ticks > ticksAtReading ? true : undefined));
      const listed = await services.invoke('datasets.list', {});
      expect(listed.ok && (listed.value as { name: string; nRows: number }[]).map((d) => [d.name, d.nRows])).toEqual([['big', 60_000]]);
      const progress = seen.filter((m) => m.event === 'job.progress' && (m.payload as { jobId: string }).jobId === jobId);
      expect(progress.length).toBeGreaterThan(1);
    } finally {
      clearInterval(timer);
      reader.close();
      await services.close();
    }
  }, 150_000);

  it('cancels in the worker: the job ends cancelled and nothing is imported', async () => {
    const dir = tempDir();
    const files = seldonianFiles(dir, 60_000);
    const services = createServices({ dbPath: join(dir, 'w.db'), runtime: 'browser', log: () => undefined });
    const seen: EventMessage[] = [];
    services.subscribe((m) => seen.push(m));
    try {
      const jobId = await startImport(services, { format: 'seldonian', name: 'big', csv: files.csv, metadata: files.metadata });
      await until(() => seen.find((m) => m.event === 'job.progress' && (m.payload as { phase: string }).phase === 'reading'));
      expect(await services.invoke('jobs.cancel', { jobId })).toEqual({ ok: true, value: { cancelled: true } });
      const end = await until(endOf(seen, jobId));
      expect(end.event).toBe('job.cancelled');
      expect(await services.invoke('datasets.list', {})).toEqual({ ok: true, value: [] });
    } finally {
      await services.close();
    }
  }, 60_000);

  it.each([
    ['crashes', "throw new Error('boom at start');", /the import worker crashed: boom at start/],
    ['stops without answering', 'process.exit(3);', /stopped before the import ended \(exit code 3\)/],
  ])('fails the job when the worker %s, and the services keep working', async (_what, code, message) => {
    const dir = tempDir();
    const files = seldonianFiles(dir, 200);
    const broken = join(dir, 'broken-worker.mjs');
    writeFileSync(broken, `${code}\n`);
    const services = createServices({ dbPath: join(dir, 'w.db'), runtime: 'browser', log: () => undefined, importWorkerEntry: { filename: broken } });
    const seen: EventMessage[] = [];
    services.subscribe((m) => seen.push(m));
    try {
      const jobId = await startImport(services, { format: 'seldonian', name: 'small', csv: files.csv, metadata: files.metadata });
      const end = await until(endOf(seen, jobId));
      expect(end.event).toBe('job.failed');
      expect((end.payload as { error: { message: string } }).error.message).toMatch(message);
      expect(await services.invoke('datasets.list', {})).toEqual({ ok: true, value: [] });
    } finally {
      await services.close();
    }
  }, 60_000);
});

/** The CLI bundle (`npm run build:cli`): `fairbound serve` starts import workers from it with `import __worker`. */
const CLI_BUNDLE = fileURLToPath(new URL('../../out/cli/fairbound.mjs', import.meta.url));

describe.skipIf(missing(`the CLI bundle ${CLI_BUNDLE} (npm run build:cli)`, existsSync(CLI_BUNDLE)))("the CLI bundle's import worker", () => {
  it('imports when started as `fairbound import __worker` in a worker thread', async () => {
    const dir = tempDir();
    const files = seldonianFiles(dir, 500);
    const services = createServices({ dbPath: join(dir, 'w.db'), runtime: 'browser', log: () => undefined, importWorkerEntry: { filename: CLI_BUNDLE, argv: CLI_IMPORT_WORKER_ARGV } });
    const seen: EventMessage[] = [];
    services.subscribe((m) => seen.push(m));
    try {
      const jobId = await startImport(services, { format: 'seldonian', name: 'small', csv: files.csv, metadata: files.metadata });
      const end = await until(endOf(seen, jobId));
      expect(end.payload).toMatchObject({ result: { kind: 'import', datasetName: 'small', nRows: 500 } });
    } finally {
      await services.close();
    }
  }, 60_000);
});

describe('datasets.import on an in-memory workspace', () => {
  it('is refused at once (the worker would import into a throw-away database of its own), and nothing is started', async () => {
    for (const dbPath of [':memory:', '']) {
      const services = createServices({ dbPath, runtime: 'browser', log: () => undefined });
      const seen: EventMessage[] = [];
      services.subscribe((m) => seen.push(m));
      try {
        const reply = await services.invoke('datasets.import', { format: 'seldonian', name: 'two', csv: '/nowhere/data.csv', metadata: '/nowhere/meta.json' });
        expect(reply).toMatchObject({ ok: false, error: { code: 'input', message: expect.stringMatching(/needs a workspace file/) as unknown } });
        await new Promise((r) => setTimeout(r, 50));
        expect(seen.filter((m) => m.event.startsWith('job.'))).toEqual([]);
        expect(services.context.jobs.running).toEqual([]);
      } finally {
        await services.close();
      }
    }
  });
});
