/**
 * Invariant under test: when a process that will own jobs opens a workspace (the services behind the app
 * and `fairbound serve`, the CLI's runs / train / experiment commands), the runs and experiments left
 * `queued` / `running` by a process that no longer exists are ended — a run as `failed` with
 * "interrupted: … at <phase>", an experiment as `failed` with an "interrupted" reason, its stored trials
 * kept and a re-run resuming after them — and nothing owned by this process or by a live other process is
 * touched. Owners are real processes: a child that has exited (dead pid), a sleeping child and the
 * parent (live), this process itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRunsCommand } from '../../src-main/cli/commands/runs';
import { importSeldonian } from '../../src-main/data/importers';
import type { BackendReport } from '../../src-main/deep/backend-types';
import { createExperiment, runExperiment } from '../../src-main/experiments/runner';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { prepareRun } from '../../src-main/runs/prepare';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { createServices } from '../../src-main/services';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { getExperiment, listTrials } from '../../src-main/store/experiments';
import { INTERRUPTED_PREFIX, recoverInterrupted } from '../../src-main/store/interrupted';
import { isProcessAlive, ownerState, thisProcess, type JobOwner } from '../../src-main/store/owner';
import { getRun, insertRun, markRunStarted, setRunPhase } from '../../src-main/store/runs';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-interrupted-');

const BACKEND: BackendReport = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: '4.22.0', preference: 'cpu', attempts: [{ candidate: 'cpu', ok: true, reason: 'test' }] };

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return pid;
}

let sleeper: ChildProcess;
let dead: number;

beforeAll(async () => {
  sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  dead = await deadPid();
  // Preconditions of everything below (a pid recycled within milliseconds would make the test meaningless).
  expect(isProcessAlive(dead)).toBe(false);
  expect(isProcessAlive(sleeper.pid!)).toBe(true);
  expect(isProcessAlive(process.ppid)).toBe(true);
});

afterAll(() => {
  sleeper.kill();
});

/** Gives a row another owner, as the process that inserted it would have recorded (same machine and boot). */
function setOwner(db: WritableDB, table: 'run' | 'experiment', id: number, owner: { pid: number | null; token: string | null; host?: string }): void {
  const me = thisProcess();
  db.prepare(`UPDATE ${table} SET owner_pid = ?, owner_token = ?, owner_host = ?, owner_boot = ? WHERE id = ?`).run(
    owner.pid,
    owner.token,
    owner.pid === null ? null : (owner.host ?? me.host),
    owner.pid === null ? null : me.boot,
    id,
  );
}

/** A workspace with a two-group Seldonian dataset, and a maker of identical 4-trial experiments on it. */
async function twoGroupExperiments(dataSeed: number): Promise<{ db: WritableDB; path: string; make: () => number }> {
  const dir = tempDir();
  const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 200, seed: dataSeed }));
  writeFileSync(join(dir, 'data.csv'), files.csv);
  writeFileSync(join(dir, 'metadata.json'), files.metadata);
  const path = join(dir, 'w.db');
  const db = openWorkspace(path);
  const { dataset } = await importSeldonian(db, { csv: join(dir, 'data.csv'), metadata: join(dir, 'metadata.json'), name: 'two' });
  const make = (): number =>
    createExperiment(db, {
      datasetId: dataset.id,
      constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.15', delta: 0.05 }],
      fractions: [0.5, 1],
      nTrials: 2,
      models: [{ name: 'uniform-random', type: 'uniform-random', params: {} }],
      seed: 9,
    });
  return { db, path, make };
}

function queueRun(db: WritableDB): number {
  return insertRun(db, prepareRun(db, { dataset: 'bands', constraints: [{ source: 'ACC >= 0.6', delta: 0.1 }], pipeline: 'head', architecture: 'tutorial-j-cnn', resize: 48 }).run);
}

function startRun(db: WritableDB, phase: 'training' | 'candidate_selection'): number {
  const id = queueRun(db);
  markRunStarted(db, id, BACKEND);
  setRunPhase(db, id, phase);
  return id;
}

describe('recovering runs left running by a process that died', () => {
  it('opening the services fails only the dead owners\' runs, with the phase, and they can then be deleted', async () => {
    const path = join(tempDir(), 'w.db');
    const db = openWorkspace(path);
    insertSyntheticImageDataset(db, { name: 'bands', n: 50, size: 8, numClasses: 2, seed: 1 });
    const ids = {
      deadRunning: startRun(db, 'candidate_selection'),
      deadQueued: queueRun(db),
      sleeper: startRun(db, 'training'),
      parent: startRun(db, 'training'),
      mine: startRun(db, 'training'),
      // A pid reused by this process: same pid, another process's token.
      reusedPid: startRun(db, 'training'),
      // Written before schema 5: no owner recorded.
      legacy: startRun(db, 'training'),
      // A dead-looking pid on another machine that shares the file: cannot be checked, left alone.
      otherHost: startRun(db, 'training'),
    };
    setOwner(db, 'run', ids.deadRunning, { pid: dead, token: 'dead-token' });
    setOwner(db, 'run', ids.deadQueued, { pid: dead, token: 'dead-token' });
    setOwner(db, 'run', ids.sleeper, { pid: sleeper.pid!, token: 'sleeper-token' });
    setOwner(db, 'run', ids.parent, { pid: process.ppid, token: 'parent-token' });
    setOwner(db, 'run', ids.reusedPid, { pid: process.pid, token: 'an-earlier-process' });
    setOwner(db, 'run', ids.legacy, { pid: null, token: null });
    setOwner(db, 'run', ids.otherHost, { pid: dead, token: 'far-token', host: `${thisProcess().host}-elsewhere` });
    db.close();

    const services = createServices({ dbPath: path, runtime: 'browser' });
    try {
      const status = (id: number) => getRun(services.context.db, id);
      expect(status(ids.deadRunning)).toMatchObject({
        status: 'failed',
        phase: null,
        error: 'interrupted: the process running it stopped (app closed or crashed) at candidate selection',
      });
      expect(status(ids.deadRunning)?.finishedAt).not.toBeNull();
      expect(status(ids.deadQueued)).toMatchObject({ status: 'failed', error: `${INTERRUPTED_PREFIX} while it was queued, before it started` });
      expect(status(ids.reusedPid)).toMatchObject({ status: 'failed', error: `${INTERRUPTED_PREFIX} at training` });
      expect(status(ids.legacy)).toMatchObject({ status: 'failed', error: `${INTERRUPTED_PREFIX} at training` });
      for (const live of [ids.sleeper, ids.parent, ids.mine, ids.otherHost]) expect(status(live)).toMatchObject({ status: 'running', phase: 'training', error: null });

      // The recovered run is an ordinary failed run: the list says why, and delete works.
      const list = await services.invoke('runs.list', {});
      expect(list.ok).toBe(true);
      const listed = (list.ok ? (list.value as { id: number; status: string; error: string | null }[]) : []).find((r) => r.id === ids.deadRunning);
      expect(listed).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted: /) as unknown });
      expect(await services.invoke('runs.delete', { runId: ids.deadRunning })).toEqual({ ok: true, value: { deleted: true } });
      expect(status(ids.deadRunning)).toBeUndefined();
      // A live owner's run is still refused.
      const refused = await services.invoke('runs.delete', { runId: ids.sleeper });
      expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    } finally {
      await services.close();
    }

    // A second open finds nothing more to do; once the sleeper has exited its run is recovered too.
    const again = openWorkspace(path);
    try {
      expect(recoverInterrupted(again)).toEqual({ runs: [], experiments: [] });
      const exited = new Promise<void>((resolve) => sleeper.once('exit', () => resolve()));
      sleeper.kill();
      await exited;
      expect(recoverInterrupted(again)).toEqual({ runs: [ids.sleeper], experiments: [] });
      expect(getRun(again, ids.sleeper)?.status).toBe('failed');
    } finally {
      again.close();
    }
  });

  it('`fairbound runs` shows such a run as failed with the reason', () => {
    const path = join(tempDir(), 'cli.db');
    const db = openWorkspace(path);
    insertSyntheticImageDataset(db, { name: 'bands', n: 50, size: 8, numClasses: 2, seed: 1 });
    const id = startRun(db, 'training');
    setOwner(db, 'run', id, { pid: dead, token: 'dead-token' });
    db.close();
    const stdout: string[] = [];
    expect(runRunsCommand(['--db', path, '--json'], { stdout: (t) => stdout.push(t), stderr: () => undefined })).toBe(0);
    const { runs } = JSON.parse(stdout.join('')) as { runs: { id: number; status: string; error: string }[] };
    expect(runs).toEqual([expect.objectContaining({ id, status: 'failed', error: `${INTERRUPTED_PREFIX} at training` })]);
  });
});

describe('recovering experiments left running by a process that died', () => {
  it('marks only the dead owner\'s experiment failed with its trial count, keeps its trials, and a re-run resumes it', async () => {
    const { db, path, make } = await twoGroupExperiments(5);
    const deadOne = make();
    const liveOne = make();
    // deadOne: ran to the end, then two trials are removed and it is put back as running under a dead owner
    // — what a process killed after two of its four trials leaves.
    expect(await runExperiment(db, deadOne, { workers: 1 })).toMatchObject({ status: 'completed', trialsRun: 4 });
    db.prepare('DELETE FROM trial WHERE experiment_id = ? AND trial_index = 1').run(deadOne);
    db.prepare(`UPDATE experiment SET status = 'running', finished_at = NULL WHERE id = ?`).run(deadOne);
    setOwner(db, 'experiment', deadOne, { pid: dead, token: 'dead-token' });
    setOwner(db, 'experiment', liveOne, { pid: process.ppid, token: 'parent-token' });
    db.close();

    const services = createServices({ dbPath: path, runtime: 'browser' });
    try {
      const e = getExperiment(services.context.db, deadOne)!;
      expect(e.status).toBe('failed');
      expect(e.error).toBe(`${INTERRUPTED_PREFIX} after 2 of 4 trials; the stored trials are kept: \`fairbound experiment run --resume ${deadOne}\` runs the missing ones`);
      expect(getExperiment(services.context.db, liveOne)?.status).toBe('running');
      expect(listTrials(services.context.db, deadOne)).toHaveLength(2);
      expect(await services.invoke('experiments.delete', { experimentId: liveOne })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    } finally {
      await services.close();
    }

    const resume = openWorkspace(path);
    try {
      expect(await runExperiment(resume, deadOne, { workers: 1 })).toMatchObject({ status: 'completed', trialsSkipped: 2, trialsRun: 2 });
      expect(getExperiment(resume, deadOne)).toMatchObject({ status: 'completed', error: null });
      // The resume recorded this process as the owner: a later open leaves it be while it runs.
      resume.prepare(`UPDATE experiment SET status = 'running', finished_at = NULL WHERE id = ?`).run(deadOne);
      expect(recoverInterrupted(resume).experiments).toEqual([]);
    } finally {
      resume.close();
    }
  });
});

describe('ownerState', () => {
  const me: JobOwner = { pid: 100, token: 't', host: 'h', boot: 'b1' };
  const alive = (pid: number): boolean => pid === 200;
  it('tells this process, a live one, a gone one and an unknown one apart', () => {
    expect(ownerState({ pid: 100, token: 't', host: 'h', boot: 'b1' }, me, alive)).toBe('this');
    expect(ownerState({ pid: 100, token: 'old', host: 'h', boot: 'b1' }, me, alive)).toBe('gone');
    expect(ownerState({ pid: 200, token: 'x', host: 'h', boot: 'b1' }, me, alive)).toBe('alive');
    expect(ownerState({ pid: 300, token: 'x', host: 'h', boot: 'b1' }, me, alive)).toBe('gone');
    // Another boot: whatever holds pid 200 now is not the owner.
    expect(ownerState({ pid: 200, token: 'x', host: 'h', boot: 'b0' }, me, alive)).toBe('gone');
    // No boot id on one side (not Linux): the pid decides.
    expect(ownerState({ pid: 200, token: 'x', host: 'h', boot: null }, { ...me, boot: null }, alive)).toBe('alive');
    expect(ownerState({ pid: 300, token: 'x', host: 'elsewhere', boot: 'b0' }, me, alive)).toBe('unknown');
    expect(ownerState({ pid: null, token: null, host: null, boot: null }, me, alive)).toBe('gone');
  });

  it('a row with malformed settings does not roll back the recovery of the others: it is failed "after N stored trials"', async () => {
    const { db, make } = await twoGroupExperiments(3);
    try {
      const broken = make();
      const fine = make();
      db.prepare(`UPDATE experiment SET settings_json = '{not json' WHERE id = ?`).run(broken);
      setOwner(db, 'experiment', broken, { pid: dead, token: 'dead-token' });
      setOwner(db, 'experiment', fine, { pid: dead, token: 'dead-token' });

      expect(recoverInterrupted(db).experiments).toEqual([broken, fine]);
      const row = (id: number): { status: string; error: string } => db.prepare('SELECT status, error FROM experiment WHERE id = ?').get(id) as { status: string; error: string };
      expect(row(broken)).toEqual({ status: 'failed', error: `${INTERRUPTED_PREFIX} after 0 stored trials; the stored trials are kept: \`fairbound experiment run --resume ${broken}\` runs the missing ones` });
      expect(row(fine)).toEqual({ status: 'failed', error: `${INTERRUPTED_PREFIX} after 0 of 4 trials; the stored trials are kept: \`fairbound experiment run --resume ${fine}\` runs the missing ones` });
    } finally {
      db.close();
    }
  });
});
