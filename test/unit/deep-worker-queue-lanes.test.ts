/**
 * The deep worker queue with several lanes (`workers: 2`): two runs run at the same time in two worker
 * processes, and cancelling one leaves the other to finish normally (real workers); a lane's worker
 * that is killed fails only its own job and its lane gets a fresh worker for the next one; a cancel's
 * grace-period kill hits only the cancelled job's worker; a trial session's trials run on both lanes and
 * closing the session releases it in each worker that loaded it, and only there; close() cancels
 * everything and stops every worker (stand-in workers that speak the protocol).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TrialTask } from '../../src-main/experiments/types';
import type { WorkerEntry } from '../../src-main/jobs/worker-process';
import { DeepWorkerQueue } from '../../src-main/jobs/worker-queue/deep-worker-queue';
import type { RunEvent, RunRequest } from '../../src-main/runs/types';
import { openWorkspace } from '../../src-main/store/database';
import { getRun } from '../../src-main/store/runs';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';

let dir: string;
let dbPath: string;
let hosts: DeepWorkerQueue[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-lanes-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  insertSyntheticImageDataset(db, { name: 'bands', n: 160, size: 12, numClasses: 2, seed: 4 });
  db.close();
});

afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function queue(options: ConstructorParameters<typeof DeepWorkerQueue>[0]): DeepWorkerQueue {
  const h = new DeepWorkerQueue(options);
  hosts.push(h);
  return h;
}

const REQUEST: RunRequest = {
  dataset: 'bands',
  constraints: [{ source: 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8', delta: 0.05 }],
  pipeline: 'head',
  architecture: 'tutorial-j-cnn',
  resize: 48,
  epochs: 1,
  batchSize: 20,
  iterations: 50,
  backend: 'wasm',
};

/** A fresh folder for one test's stand-in files. */
function folder(): string {
  return mkdtempSync(join(dir, 't-'));
}

/**
 * A stand-in run worker: on `start` it writes `started-<runId>` (its pid) into `files`, reports
 * `running`, and ends the run `passed` once the test writes `finish-<runId>`; a cancel ends it
 * `cancelled`, unless `stubborn` (then only the kill after the grace period stops it).
 */
function runEntry(files: string, stubborn = false): WorkerEntry {
  const file = join(files, 'run-worker.mjs');
  writeFileSync(
    file,
    `import { existsSync, writeFileSync } from 'node:fs';
     import { join } from 'node:path';
     const [files, mode] = process.argv.slice(2);
     const timers = new Map();
     const end = (runId, status, error) => {
       clearInterval(timers.get(runId));
       timers.delete(runId);
       process.send({ type: 'done', runId, status, error });
     };
     process.on('message', (m) => {
       if (m.type === 'start') {
         writeFileSync(join(files, 'started-' + m.runId), String(process.pid));
         process.send({ type: 'progress', runId: m.runId, event: { type: 'status', runId: m.runId, status: 'running' } });
         timers.set(m.runId, setInterval(() => { if (existsSync(join(files, 'finish-' + m.runId))) end(m.runId, 'passed', null); }, 10));
       }
       if (m.type === 'cancel' && mode !== 'stubborn' && timers.has(m.runId)) end(m.runId, 'cancelled', m.reason ?? 'cancelled');
       if (m.type === 'shutdown') process.exit(0);
     });
     process.send({ type: 'ready', pid: process.pid });`,
  );
  return { modulePath: file, args: [files, stubborn ? 'stubborn' : 'normal'] };
}

/** The pid of the stand-in worker that started `runId`, once it has. */
async function startedBy(files: string, runId: number): Promise<number> {
  const marker = join(files, `started-${runId}`);
  await vi.waitFor(() => expect(existsSync(marker)).toBe(true), { timeout: 30_000 });
  return Number(readFileSync(marker, 'utf8'));
}

function finish(files: string, runId: number): void {
  writeFileSync(join(files, `finish-${runId}`), '');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function storedStatus(runId: number): string | undefined {
  const db = openWorkspace(dbPath);
  try {
    return getRun(db, runId)?.status;
  } finally {
    db.close();
  }
}

describe('a deep worker queue with two lanes', () => {
  it('refuses a number of workers that is not a whole number of at least 1', () => {
    expect(() => new DeepWorkerQueue({ workers: 0 })).toThrow(RangeError);
    expect(() => new DeepWorkerQueue({ workers: 1.5 })).toThrow(RangeError);
  });

  it('runs two training runs at the same time in two worker processes; cancelling one leaves the other to finish normally', async () => {
    const h = queue({ workers: 2 });
    const log: string[] = [];
    let atOverlap: { pids: (number | null)[]; inFlight: ReturnType<DeepWorkerQueue['runsInFlight']> } | null = null;
    const note = (name: string, e: RunEvent): void => {
      if (e.type === 'batch' || e.type === 'finished') log.push(`${name}:${e.type}`);
    };
    const a = h.start(dbPath, { ...REQUEST, epochs: 200 }, { onEvent: (e) => note('a', e) });
    await vi.waitFor(() => expect(log).toContain('a:batch'), { timeout: 60_000 });
    const b = h.start(dbPath, REQUEST, {
      onEvent: (e) => {
        note('b', e);
        // Both run now: a has trained batches and has not ended; b trains its first. Cancel a here.
        if (e.type === 'batch' && atOverlap === null) {
          atOverlap = { pids: h.workerPids, inFlight: h.runsInFlight() };
          a.cancel('cancelled by the test');
        }
      },
    });
    const [outA, outB] = await Promise.all([a.done, b.done]);
    expect(outA).toEqual({ runId: a.runId, status: 'cancelled', error: 'cancelled by the test' });
    expect(outB.error).toBeNull();
    expect(['passed', 'nsf']).toContain(outB.status);
    expect(storedStatus(b.runId)).toBe(outB.status);

    // Both were running before either ended, in two different worker processes.
    expect(log.indexOf('b:batch')).toBeLessThan(log.findIndex((l) => l.endsWith(':finished')));
    const overlap = atOverlap!;
    expect(overlap.inFlight.map(({ runId, state }) => ({ runId, state }))).toEqual([
      { runId: a.runId, state: 'running' },
      { runId: b.runId, state: 'running' },
    ]);
    const [pid0, pid1] = overlap.pids;
    expect(pid0).not.toBeNull();
    expect(pid1).not.toBeNull();
    expect(pid0).not.toBe(pid1);
    expect([pid0, pid1]).not.toContain(process.pid);
    // The cancel stopped a's run by message: both workers are kept for the next jobs.
    expect(h.workerPids).toEqual([pid0, pid1]);
    expect(h.workerPid).toBe(pid0);
    expect(h.runsInFlight()).toEqual([]);
  });

  it("fails only the job of a lane whose worker is killed; that lane's next job gets a fresh worker", async () => {
    const files = folder();
    const h = queue({ workers: 2, entry: runEntry(files) });
    const a = h.start(dbPath, REQUEST);
    const b = h.start(dbPath, REQUEST);
    const [pidA, pidB] = await Promise.all([startedBy(files, a.runId), startedBy(files, b.runId)]);
    expect(pidA).not.toBe(pidB);
    expect(h.workerPids).toEqual([pidA, pidB]);

    process.kill(pidA, 'SIGKILL');
    const outA = await a.done;
    expect(outA.status).toBe('failed');
    expect(outA.error).toMatch(/the training worker was killed by SIGKILL during the run/);
    expect(storedStatus(a.runId)).toBe('failed');
    expect(h.runsInFlight()).toEqual([{ runId: b.runId, state: 'running', cancelRequested: false, lastProgress: null }]);
    expect(alive(pidB)).toBe(true);

    const c = h.start(dbPath, REQUEST);
    const pidC = await startedBy(files, c.runId);
    expect([pidA, pidB]).not.toContain(pidC);
    expect(h.workerPids).toEqual([pidC, pidB]);
    finish(files, b.runId);
    finish(files, c.runId);
    expect((await b.done).status).toBe('passed');
    expect((await c.done).status).toBe('passed');
  });

  it("kills only the cancelled job's worker after the grace period, never another lane's", async () => {
    const files = folder();
    const h = queue({ workers: 2, entry: runEntry(files, true), cancelGraceMs: 300 });
    const a = h.start(dbPath, REQUEST);
    const b = h.start(dbPath, REQUEST);
    const [pidA, pidB] = await Promise.all([startedBy(files, a.runId), startedBy(files, b.runId)]);
    expect(h.cancelRun(a.runId, 'stop now')).toBe(true);
    const outA = await a.done;
    expect(outA.status).toBe('cancelled');
    expect(outA.error).toMatch(/stop now \(the worker did not stop within the grace period and was killed\)/);
    await vi.waitFor(() => expect(alive(pidA)).toBe(false));
    expect(alive(pidB)).toBe(true);
    expect(h.workerPids).toEqual([null, pidB]);
    finish(files, b.runId);
    expect(await b.done).toEqual({ runId: b.runId, status: 'passed', error: null });
  });

  it("runs a trial session's trials on both lanes and releases the session in each worker that loaded it, and only there", async () => {
    const files = folder();
    const file = join(files, 'trial-worker.mjs');
    writeFileSync(
      file,
      `import { writeFileSync } from 'node:fs';
       import { join } from 'node:path';
       const files = process.argv[2];
       process.on('message', (m) => {
         if (m.type === 'trial') {
           writeFileSync(join(files, 'ran-' + m.sessionId + '-' + m.task.trialIndex), String(process.pid));
           const r = { model: m.task.model, fractionIndex: 0, fraction: 1, trialIndex: m.task.trialIndex, nRows: m.task.rows.length, passed: true,
             performance: 0.5, g: [-1], theta: null, nsfReason: null, durationSeconds: 0.01 };
           process.send({ type: 'trial-result', sessionId: m.sessionId, taskId: m.taskId, result: r, pid: process.pid, backend: 'wasm' });
         }
         if (m.type === 'trials-close') writeFileSync(join(files, 'closed-' + m.sessionId + '-' + process.pid), '');
         if (m.type === 'shutdown') process.exit(0);
       });
       process.send({ type: 'ready', pid: process.pid });`,
    );
    const h = queue({ workers: 2, entry: { modulePath: file, args: [files] } });
    const task = (trialIndex: number): TrialTask => ({ model: 'cnn', fractionIndex: 0, fraction: 1, trialIndex, rows: Int32Array.from([1, 2, 3]) });
    const ranBy = (sessionId: number, trialIndex: number): number => Number(readFileSync(join(files, `ran-${sessionId}-${trialIndex}`), 'utf8'));

    const first = h.openTrialSession(dbPath, 1);
    const results = await Promise.all([first.run(task(0)), first.run(task(1))]);
    expect(results.map((r) => r.trialIndex)).toEqual([0, 1]);
    const [pid0, pid1] = h.workerPids;
    expect(pid0).not.toBeNull();
    expect(pid1).not.toBeNull();
    expect(new Set([ranBy(first.sessionId, 0), ranBy(first.sessionId, 1)])).toEqual(new Set([pid0, pid1]));
    expect([pid0, pid1]).toContain(first.lastRunBy?.pid);

    // A second session, run on one lane only.
    const second = h.openTrialSession(dbPath, 2);
    await second.run(task(0));
    const secondPid = ranBy(second.sessionId, 0);
    const otherPid = secondPid === pid0 ? pid1 : pid0;

    await first.close();
    await second.close();
    await vi.waitFor(() => {
      expect(existsSync(join(files, `closed-${first.sessionId}-${pid0}`))).toBe(true);
      expect(existsSync(join(files, `closed-${first.sessionId}-${pid1}`))).toBe(true);
      expect(existsSync(join(files, `closed-${second.sessionId}-${secondPid}`))).toBe(true);
    });
    // close() waits for each worker to exit after its shutdown, so each has read every message before it.
    await h.close();
    expect(existsSync(join(files, `closed-${second.sessionId}-${otherPid}`))).toBe(false);
  });

  it('close() cancels the running and queued jobs of every lane and stops every worker', async () => {
    const files = folder();
    const h = queue({ workers: 2, entry: runEntry(files) });
    const a = h.start(dbPath, REQUEST);
    const b = h.start(dbPath, REQUEST);
    const c = h.start(dbPath, REQUEST);
    const pids = await Promise.all([startedBy(files, a.runId), startedBy(files, b.runId)]);
    expect(h.runsInFlight().map(({ runId, state }) => ({ runId, state }))).toEqual([
      { runId: a.runId, state: 'running' },
      { runId: b.runId, state: 'running' },
      { runId: c.runId, state: 'queued' },
    ]);
    await h.close();
    for (const run of [a, b, c]) expect(await run.done).toMatchObject({ status: 'cancelled', error: 'cancelled: the app is closing' });
    expect(h.workerPids).toEqual([null, null]);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(() => h.start(dbPath, REQUEST)).toThrow(/closed/);
  });
});
