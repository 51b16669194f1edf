/**
 * Invariants of the training worker process: runs execute in ONE long-lived child process
 * that reports progress as typed messages; a cancel stops a running run between batches (and a queued
 * one before it starts) with no results stored; a worker that crashes, or never starts, marks its run
 * `failed` with the reason and the next run gets a fresh worker; a worker that ignores a cancel is
 * killed after the grace period and its run recorded as `cancelled`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeepWorkerQueue } from '../../src-main/jobs/worker-queue/deep-worker-queue';
import { defaultWorkerEntry, type WorkerEntry } from '../../src-main/jobs/worker-process';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import type { RunEvent, RunRequest } from '../../src-main/runs/types';
import { openWorkspace } from '../../src-main/store/database';
import { runResultCounts } from '../../src-main/store/run-results';
import { getRun } from '../../src-main/store/runs';

let dir: string;
let dbPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fairbound-worker-'));
  dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  insertSyntheticImageDataset(db, { name: 'bands', n: 160, size: 12, numClasses: 2, seed: 4 });
  db.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const REQUEST: RunRequest = {
  dataset: 'bands',
  constraints: [{ source: 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8', delta: 0.05 }],
  pipeline: 'head',
  architecture: 'tutorial-j-cnn',
  resize: 48,
  epochs: 1,
  batchSize: 20,
  iterations: 200,
  backend: 'wasm',
};

function stored(runId: number) {
  const db = openWorkspace(dbPath);
  try {
    return { run: getRun(db, runId)!, counts: runResultCounts(db, runId) };
  } finally {
    db.close();
  }
}

/** A stand-in worker: says ready, then on `start` reports a phase, writes to stderr and exits with 3. */
function crashingEntry(): WorkerEntry {
  const file = join(dir, 'crashing-worker.mjs');
  writeFileSync(
    file,
    `process.on('message', (m) => {
       if (m.type !== 'start') return;
       process.send({ type: 'progress', runId: m.runId, event: { type: 'phase', runId: m.runId, phase: 'training' } });
       process.stderr.write('boom: deliberate crash\\n');
       setTimeout(() => process.exit(3), 20);
     });
     process.send({ type: 'ready', pid: process.pid });`,
  );
  return { modulePath: file };
}

/** A stand-in worker that accepts a run, reports a phase, and then ignores everything, cancel included. */
function stubbornEntry(): WorkerEntry {
  const file = join(dir, 'stubborn-worker.mjs');
  writeFileSync(
    file,
    `process.on('message', (m) => {
       if (m.type === 'start') process.send({ type: 'progress', runId: m.runId, event: { type: 'phase', runId: m.runId, phase: 'training' } });
     });
     process.send({ type: 'ready', pid: process.pid });
     setInterval(() => {}, 1000);`,
  );
  return { modulePath: file };
}

describe('the training worker process', () => {
  const host = new DeepWorkerQueue();
  afterAll(() => host.close());

  it('runs a training run in a child process, reporting progress, and keeps that process for the next run', async () => {
    const events: RunEvent[] = [];
    const handle = host.start(dbPath, REQUEST, { onEvent: (e) => events.push(e) });
    const outcome = await handle.done;
    expect(outcome.error).toBeNull();
    expect(outcome.status).toBe('passed');
    expect(events[0]).toEqual({ type: 'status', runId: handle.runId, status: 'queued' });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['status', 'phase', 'batch', 'latents', 'iteration', 'finished']));
    expect(events.filter((e) => e.type === 'finished')).toHaveLength(1);
    const { run, counts } = stored(handle.runId);
    expect(run.status).toBe(outcome.status);
    expect(counts.latents).toBe(1);
    expect(counts.iterations).toBeGreaterThan(0);
    const pid = host.workerPid;
    expect(pid).not.toBeNull();
    expect(pid).not.toBe(process.pid);

    const second = await host.start(dbPath, { ...REQUEST, seed: 2, iterations: 50 }).done;
    expect(second.status).toBe('passed');
    expect(host.workerPid).toBe(pid);
  });

  it('cancels a running run between batches: cancelled, settings kept, no results', async () => {
    const handle = host.start(dbPath, { ...REQUEST, epochs: 200 }, {
      onEvent: (e) => {
        if (e.type === 'batch' && e.batch === 0) handle.cancel('cancelled by the test');
      },
    });
    const outcome = await handle.done;
    expect(outcome).toEqual({ runId: handle.runId, status: 'cancelled', error: 'cancelled by the test' });
    const { run, counts } = stored(handle.runId);
    expect(run).toMatchObject({ status: 'cancelled', error: 'cancelled by the test', result: null });
    expect(run.settings.body?.epochs).toBe(200);
    expect(counts).toEqual({ iterations: 0, constraints: 0, bounds: 0, weights: 0, latents: 0, rows: 0 });
  });

  it('cancels a queued run before it starts, while another one runs', async () => {
    const first = host.start(dbPath, { ...REQUEST, epochs: 200 }, {
      onEvent: (e) => {
        if (e.type === 'batch') first.cancel();
      },
    });
    const second = host.start(dbPath, REQUEST);
    second.cancel('not needed');
    expect(await second.done).toEqual({ runId: second.runId, status: 'cancelled', error: 'not needed' });
    expect(stored(second.runId).run.startedAt).toBeNull();
    expect((await first.done).status).toBe('cancelled');
  });
});

describe('a crashing worker', () => {
  it('marks its run failed with the reason, and the next run gets a fresh worker', async () => {
    let forks = 0;
    const host = new DeepWorkerQueue({
      entry: async () => (forks++ === 0 ? crashingEntry() : defaultWorkerEntry()),
    });
    try {
      const events: RunEvent[] = [];
      const crashed = host.start(dbPath, REQUEST, { onEvent: (e) => events.push(e) });
      const outcome = await crashed.done;
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/the training worker exited with code 3 during the run: boom: deliberate crash/);
      expect(stored(crashed.runId).run).toMatchObject({ status: 'failed', error: outcome.error });
      expect(events.at(-1)).toMatchObject({ type: 'finished', status: 'failed' });

      const next = await host.start(dbPath, { ...REQUEST, iterations: 20 }).done;
      expect(next.status).toBe('passed');
      expect(forks).toBe(2);
    } finally {
      await host.close();
    }
  });

  it('a worker that cannot start fails the run with the reason', async () => {
    const file = join(dir, 'broken-worker.mjs');
    writeFileSync(file, `throw new Error('cannot load the backend');`);
    const host = new DeepWorkerQueue({ entry: { modulePath: file } });
    try {
      const outcome = await host.start(dbPath, REQUEST).done;
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/could not be started: the training worker exited with code 1 before it was ready: .*cannot load the backend/);
    } finally {
      await host.close();
    }
  });

  it('a worker that ignores a cancel is killed after the grace period and the run recorded as cancelled', async () => {
    const host = new DeepWorkerQueue({ entry: stubbornEntry(), cancelGraceMs: 300 });
    try {
      const handle = host.start(dbPath, REQUEST, {
        onEvent: (e) => {
          if (e.type === 'phase') handle.cancel('stop now');
        },
      });
      const outcome = await handle.done;
      expect(outcome).toMatchObject({ status: 'cancelled' });
      expect(outcome.error).toMatch(/stop now \(the worker did not stop within the grace period and was killed\)/);
    } finally {
      await host.close();
    }
  });
});
