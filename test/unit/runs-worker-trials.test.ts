/**
 * The deep worker queue's experiment-trial sessions (`openTrialSession`), against
 * stand-in worker processes that speak the protocol: a trial's progress and result cross the boundary
 * (typed arrays and ±∞ intact) and say which process ran it; a worker error comes back as data with its
 * name and message; a
 * worker that dies in a trial fails that trial with the reason; a worker that ignores a trial's cancel is
 * killed after the grace period and the trial rejected as cancelled, and the next trial gets a fresh one.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TrialProgress } from '../../src-main/experiments/models/model-type';
import type { TrialTask } from '../../src-main/experiments/types';
import { DeepWorkerQueue } from '../../src-main/jobs/worker-queue/deep-worker-queue';
import { TrialCancelledError } from '../../src-main/jobs/worker-queue/trial-job';
import type { WorkerEntry } from '../../src-main/jobs/worker-process';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-worker-trials-');
let hosts: DeepWorkerQueue[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

function host(entry: WorkerEntry, cancelGraceMs = 15_000): DeepWorkerQueue {
  const h = new DeepWorkerQueue({ entry, cancelGraceMs });
  hosts.push(h);
  return h;
}

/** A stand-in worker; `onTrial` is the body of its handler for a `trial` message `m`. */
function entry(name: string, onTrial: string): WorkerEntry {
  const file = join(tempDir(), `${name}.mjs`);
  writeFileSync(
    file,
    `import { writeFileSync } from 'node:fs';
     process.on('message', (m) => {
       if (m.type === 'trial') { ${onTrial} }
       if (m.type === 'shutdown') process.exit(0);
     });
     process.send({ type: 'ready', pid: process.pid });`,
  );
  return { modulePath: file };
}

const TASK: TrialTask = { model: 'cnn', fractionIndex: 0, fraction: 1, trialIndex: 2, rows: Int32Array.from([3, 1, 4, 1, 5]) };

describe('experiment trials in the training worker', () => {
  it('forwards progress, resolves the result with its arrays intact, and records the process that ran it', async () => {
    const h = host(
      entry(
        'echo',
        `process.send({ type: 'trial-progress', sessionId: m.sessionId, taskId: m.taskId, progress: { phase: 'training', done: 1, total: 4, epoch: 1, epochs: 2, loss: 0.5 } });
         const r = { model: m.task.model, fractionIndex: 0, fraction: 1, trialIndex: m.task.trialIndex, nRows: m.task.rows.length, passed: false,
           performance: NaN, g: [-Infinity], theta: Float64Array.from(m.task.rows), nsfReason: 'no', durationSeconds: 0.1 };
         process.send({ type: 'trial-result', sessionId: m.sessionId, taskId: m.taskId, result: r, pid: process.pid, backend: 'wasm' });`,
      ),
    );
    const slot = h.openTrialSession(join(tempDir(), 'w.db'), 7);
    const progress: TrialProgress[] = [];
    const result = await slot.run(TASK, (p) => progress.push(p));
    expect(progress).toEqual([{ phase: 'training', done: 1, total: 4, epoch: 1, epochs: 2, loss: 0.5 }]);
    expect(result.nRows).toBe(5);
    expect(result.g).toEqual([-Infinity]);
    expect(Number.isNaN(result.performance)).toBe(true);
    expect(result.theta).toEqual(Float64Array.from([3, 1, 4, 1, 5]));
    expect(slot.lastRunBy).toEqual({ pid: h.workerPid, backend: 'wasm' });
    expect(h.workerPid).not.toBe(process.pid);
    await slot.close();
    await expect(slot.run(TASK)).rejects.toThrow(/closed/);
  });

  it("returns the worker's error as data", async () => {
    const h = host(
      entry('failing', `process.send({ type: 'trial-failed', sessionId: m.sessionId, taskId: m.taskId, cancelled: false, error: { name: 'BackendUnavailableError', message: 'no tensorflow here' } });`),
    );
    const slot = h.openTrialSession(join(tempDir(), 'w.db'), 1);
    await expect(slot.run(TASK)).rejects.toThrow('BackendUnavailableError: no tensorflow here');
  });

  it('fails the trial with the reason when the worker dies in it', async () => {
    const h = host(entry('crashing', `process.stderr.write('boom: deliberate crash\\n'); setTimeout(() => process.exit(3), 20);`));
    const slot = h.openTrialSession(join(tempDir(), 'w.db'), 1);
    await expect(slot.run(TASK)).rejects.toThrow(/exited with code 3 during trial 2 of cnn at fraction 1: boom: deliberate crash/);
    expect(h.workerPid).toBeNull();
  });

  it('kills a worker that ignores a cancel after the grace period; the next trial gets a fresh worker', async () => {
    const started = join(tempDir(), 'started');
    const h = host(entry('stubborn', `writeFileSync(${JSON.stringify(started)}, ''); setInterval(() => {}, 1000);`), 300);
    const slot = h.openTrialSession(join(tempDir(), 'w.db'), 1);
    const pending = slot.run(TASK);
    const rejected = pending.catch((e: unknown) => e);
    // Wait until the worker has the trial, then cancel it (terminate = the runner's cancel).
    await vi.waitFor(() => expect(existsSync(started)).toBe(true), { timeout: 30_000 });
    const first = h.workerPid;
    await slot.terminate();
    const error = await rejected;
    expect(error).toBeInstanceOf(TrialCancelledError);
    expect((error as Error).message).toMatch(/grace period/);
    expect(h.workerPid).toBeNull();
    const again = h.openTrialSession(join(tempDir(), 'w.db'), 1);
    void again.run(TASK).catch(() => undefined);
    await vi.waitFor(() => expect(h.workerPid).not.toBeNull(), { timeout: 30_000 });
    expect(h.workerPid).not.toBe(first);
    await again.terminate();
  });

  it("puts a trial's cancel file in the host's own private folder (not a guessable name in the shared temp folder), removed when it closes", async () => {
    const got = join(tempDir(), 'cancel-file');
    const h = host(entry('reporter', `writeFileSync(${JSON.stringify(got)}, m.cancelFile); setInterval(() => {}, 1000);`), 300);
    const slot = h.openTrialSession(join(tempDir(), 'w.db'), 1);
    const rejected = slot.run(TASK).catch((e: unknown) => e);
    await vi.waitFor(() => expect(existsSync(got)).toBe(true), { timeout: 30_000 });
    const cancelFile = readFileSync(got, 'utf8');
    const folder = dirname(cancelFile);
    expect(dirname(folder)).toBe(tmpdir());
    expect(folder).not.toBe(tmpdir());
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    await slot.terminate();
    expect(await rejected).toBeInstanceOf(TrialCancelledError);
    await h.close();
    expect(existsSync(folder)).toBe(false);
  });
});
