/**
 * Invariants under test: resuming an experiment runs only its missing trials, and the result is the one
 * an uninterrupted run with the same seed gives (trial data are stored resample indices, the models are
 * deterministic, so every stored number is identical); `experiments.resume` refuses, with the contract's
 * codes and a message that says what to do, an unknown id (`not_found`), an experiment running in this
 * process, one run by a live other process or a process on another machine, a completed one and one whose
 * dataset was deleted (`conflict`), leaving the row as it was; and the runner itself, hence
 * `fairbound experiment run --resume`, refuses an experiment a live other process runs (exit 2) while
 * taking over one whose owner is gone. Owners are real processes: a sleeping child (live) and a child
 * that has exited (gone), as in interrupted-jobs.test.ts. Style 13: a real temporary database, the
 * handler table through createServices.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventMessage, ExperimentStartInput } from '../../src-shared/contract';
import { runCli } from '../../src-main/cli/main';
import { importSeldonian } from '../../src-main/data/importers';
import { ExperimentBusyError, runExperiment } from '../../src-main/experiments/runner';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { createServices, type Services } from '../../src-main/services';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { experimentHolder, getExperiment, listTrials, markExperimentRunning, type StoredTrial } from '../../src-main/store/experiments';
import { isProcessAlive, thisProcess } from '../../src-main/store/owner';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-resume-');

let sleeper: ChildProcess;
let dead: number;

beforeAll(async () => {
  sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  dead = child.pid!;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Preconditions: otherwise the owner cases below test nothing.
  expect(isProcessAlive(sleeper.pid!)).toBe(true);
  expect(isProcessAlive(dead)).toBe(false);
});

afterAll(() => {
  sleeper.kill();
});

/** A workspace file with one two-group features dataset; returns its path and the dataset's id. */
async function workspace(): Promise<{ path: string; datasetId: number }> {
  const dir = tempDir();
  const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 300, seed: 5 }));
  writeFileSync(join(dir, 'data.csv'), files.csv);
  writeFileSync(join(dir, 'metadata.json'), files.metadata);
  const path = join(dir, 'w.db');
  const db = openWorkspace(path);
  try {
    const { dataset } = await importSeldonian(db, { csv: join(dir, 'data.csv'), metadata: join(dir, 'metadata.json'), name: 'two' });
    return { path, datasetId: dataset.id };
  } finally {
    db.close();
  }
}

function startInput(datasetId: number): ExperimentStartInput {
  return {
    datasetId,
    constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.15', delta: 0.05 }],
    fractions: [0.3, 1],
    nTrials: 4,
    models: ['qsa-features', 'logistic'],
    iterations: 60,
    seed: 4321,
    // One thread: trials run one after the other on the job's thread, so a cancel lands between them.
    workers: 1,
  };
}

/** Everything a trial stored except when it finished and how long it took. */
function comparable(trials: readonly StoredTrial[]): unknown[] {
  return trials.map(({ finishedAt: _f, durationSeconds: _d, ...rest }) => ({ ...rest, theta: rest.theta ? [...rest.theta] : null }));
}

/** Collects the events of the services, and waits for a job's terminal one. */
function recorder(services: Services): { messages: EventMessage[]; ended: (jobId: string) => Promise<EventMessage> } {
  const messages: EventMessage[] = [];
  services.subscribe((m) => messages.push(m));
  const terminal = (jobId: string): EventMessage | undefined =>
    messages.find((m) => m.event !== 'job.progress' && m.event !== 'run.event' && (m.payload as { jobId: string }).jobId === jobId);
  return {
    messages,
    ended: async (jobId) => {
      await vi.waitFor(() => expect(terminal(jobId)).toBeDefined(), { timeout: 60_000, interval: 20 });
      return terminal(jobId)!;
    },
  };
}

/** Puts an experiment back to `running` under another owner, as that process would have recorded it. */
function ownBy(db: WritableDB, id: number, owner: { pid: number; host?: string }): void {
  const me = thisProcess();
  db.prepare(`UPDATE experiment SET status = 'running', error = NULL, finished_at = NULL, owner_pid = ?, owner_token = 'other', owner_host = ?, owner_boot = ? WHERE id = ?`).run(
    owner.pid,
    owner.host ?? me.host,
    me.boot,
    id,
  );
}

describe('experiments.resume', () => {
  it('after a cancel runs only the missing trials, and the result equals an uninterrupted run with the same seed', async () => {
    const { path, datasetId } = await workspace();
    const services = createServices({ dbPath: path, runtime: 'browser', log: () => undefined });
    const { messages, ended } = recorder(services);
    try {
      // Cancel as soon as the first trial reports.
      let cancelAsked = false;
      services.subscribe((m) => {
        if (cancelAsked || m.event !== 'job.progress' || (m.payload as { phase: string }).phase !== 'trials') return;
        cancelAsked = true;
        void services.invoke('experiments.cancel', { experimentId: 1 });
      });
      const started = await services.invoke('experiments.start', startInput(datasetId));
      expect(started).toMatchObject({ ok: true, value: { experimentId: 1 } });
      const first = started.ok ? (started.value as { jobId: string; experimentId: number }) : null;
      expect((await ended(first!.jobId)).event).toBe('job.cancelled');
      const db = services.context.db;
      const planned = 4 * 2 * 2;
      const kept = listTrials(db, 1);
      expect(getExperiment(db, 1)?.status).toBe('cancelled');
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(planned);
      const listed = await services.invoke('experiments.list', {});
      expect(listed.ok && (listed.value as { trialsStored: number; trialsPlanned: number }[])[0]).toMatchObject({ trialsStored: kept.length, trialsPlanned: planned });

      const resumed = await services.invoke('experiments.resume', { experimentId: 1 });
      expect(resumed).toMatchObject({ ok: true, value: { experimentId: 1 } });
      const jobId = resumed.ok ? (resumed.value as { jobId: string }).jobId : '';
      expect(services.context.activeExperiments.get(1)).toBe(jobId);
      // While it runs, a second resume is refused.
      const again = await services.invoke('experiments.resume', { experimentId: 1 });
      expect(again).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/already running here/) as unknown } });
      const done = await ended(jobId);
      expect(done).toMatchObject({ event: 'job.done', payload: { result: { kind: 'experiment', experimentId: 1, status: 'completed', trialsRun: planned - kept.length } } });
      expect(services.context.activeExperiments.has(1)).toBe(false);
      const progress = messages.filter((m) => m.event === 'job.progress' && (m.payload as { jobId: string }).jobId === jobId).map((m) => (m.payload as { message: string }).message);
      expect(progress.some((t) => t.includes(`(${kept.length} stored before)`))).toBe(true);

      const resumedTrials = listTrials(db, 1);
      expect(resumedTrials).toHaveLength(planned);
      expect(getExperiment(db, 1)).toMatchObject({ status: 'completed', error: null });
      // The trials kept from before the cancel were not run again: same rows, same finish times.
      const key = (t: StoredTrial): string => `${t.model}|${t.fractionIndex}|${t.trialIndex}`;
      const after = new Map(resumedTrials.map((t) => [key(t), t.finishedAt]));
      for (const t of kept) expect(after.get(key(t))).toBe(t.finishedAt);

      // The same experiment run in one go.
      const whole = await services.invoke('experiments.start', startInput(datasetId));
      const wholeJob = whole.ok ? (whole.value as { jobId: string; experimentId: number }) : null;
      expect((await ended(wholeJob!.jobId)).event).toBe('job.done');
      const uninterrupted = listTrials(db, wholeJob!.experimentId);
      expect(uninterrupted).toHaveLength(planned);
      expect(comparable(resumedTrials)).toEqual(comparable(uninterrupted));
      const [a, b] = [1, wholeJob!.experimentId].map(async (experimentId) => {
        const r = await services.invoke('experiments.get', { experimentId });
        return r.ok ? (r.value as { aggregates: unknown }).aggregates : null;
      });
      expect(await a).toEqual(await b);

      // Completed: nothing to resume.
      expect(await services.invoke('experiments.resume', { experimentId: 1 })).toMatchObject({
        ok: false,
        error: { code: 'conflict', message: expect.stringMatching(/is completed: every trial is stored/) as unknown },
      });
    } finally {
      await services.close();
    }
  }, 120_000);

  it('refuses unknown ids, experiments running here or in another live process, and deleted datasets, leaving them as they were', async () => {
    const { path, datasetId } = await workspace();
    const services = createServices({ dbPath: path, runtime: 'browser', log: () => undefined });
    const { ended } = recorder(services);
    try {
      const db = services.context.db;
      const make = async (): Promise<number> => {
        const r = await services.invoke('experiments.start', { ...startInput(datasetId), nTrials: 1 });
        const v = r.ok ? (r.value as { jobId: string; experimentId: number }) : null;
        expect((await ended(v!.jobId)).event).toBe('job.done');
        return v!.experimentId;
      };
      const [here, live, far, noData, gone] = [await make(), await make(), await make(), await make(), await make()];
      for (const id of [here, live, far, noData, gone]) {
        db.prepare('DELETE FROM trial WHERE experiment_id = ? AND fraction_index = 0').run(id);
        db.prepare(`UPDATE experiment SET status = 'failed', error = 'x' WHERE id = ?`).run(id);
      }
      services.context.activeExperiments.set(here, 'job-here');
      ownBy(db, live, { pid: sleeper.pid! });
      ownBy(db, far, { pid: dead, host: `${thisProcess().host}-elsewhere` });
      db.prepare('UPDATE experiment SET dataset_id = NULL WHERE id = ?').run(noData);
      // A row still `running` under an owner that is gone (not yet recovered) may be taken over.
      ownBy(db, gone, { pid: dead });

      const refusal = async (experimentId: number): Promise<{ code: string; message: string }> => {
        const r = await services.invoke('experiments.resume', { experimentId });
        expect(r.ok).toBe(false);
        return r.ok ? { code: '', message: '' } : r.error;
      };
      expect(await refusal(999)).toMatchObject({ code: 'not_found', message: 'no experiment with id 999 (deleted?)' });
      expect(await refusal(here)).toMatchObject({ code: 'conflict', message: expect.stringMatching(/already running here: wait for it to end, or cancel it/) as unknown });
      expect(await refusal(live)).toEqual(
        expect.objectContaining({ code: 'conflict', message: `experiment ${live} is running in another Fairbound process (pid ${sleeper.pid}): cancel it there (Ctrl-C, or Cancel in the app) or wait for it to end, then resume it` }),
      );
      expect(await refusal(far)).toMatchObject({ code: 'conflict', message: expect.stringMatching(/on another machine \(.*-elsewhere\)/) as unknown });
      expect(await refusal(noData)).toMatchObject({ code: 'conflict', message: expect.stringMatching(/dataset 'two' was deleted/) as unknown });
      expect(await services.invoke('experiments.resume', { experimentId: here, workers: 0 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      // Refusals change nothing.
      expect(getExperiment(db, live)).toMatchObject({ status: 'running' });
      expect(db.prepare('SELECT owner_pid AS pid FROM experiment WHERE id = ?').get(live)).toEqual({ pid: sleeper.pid });
      expect(getExperiment(db, here)).toMatchObject({ status: 'failed', error: 'x' });
      expect(listTrials(db, live)).toHaveLength(2);

      const taken = await services.invoke('experiments.resume', { experimentId: gone });
      expect(taken.ok).toBe(true);
      expect(await ended(taken.ok ? (taken.value as { jobId: string }).jobId : '')).toMatchObject({ event: 'job.done', payload: { result: { status: 'completed', trialsRun: 2 } } });
      expect(db.prepare('SELECT owner_pid AS pid, owner_token AS token FROM experiment WHERE id = ?').get(gone)).toEqual({ pid: process.pid, token: thisProcess().token });
    } finally {
      await services.close();
    }
  }, 120_000);
});

describe('a cancel before the job work begins', () => {
  it('experiments.start then experiments.cancel at once: the experiment is no longer "running here", and can be resumed and deleted', async () => {
    const { path, datasetId } = await workspace();
    const services = createServices({ dbPath: path, runtime: 'browser', log: () => undefined });
    const { ended } = recorder(services);
    try {
      const started = await services.invoke('experiments.start', { ...startInput(datasetId), nTrials: 1 });
      const first = started.ok ? (started.value as { jobId: string; experimentId: number }) : null;
      // Same tick: the job has not begun its work yet.
      expect(await services.invoke('experiments.cancel', { experimentId: first!.experimentId })).toMatchObject({ ok: true, value: { cancelled: true } });
      expect((await ended(first!.jobId)).event).toBe('job.cancelled');
      expect(services.context.activeExperiments.has(first!.experimentId)).toBe(false);
      expect(getExperiment(services.context.db, first!.experimentId)?.status).toBe('cancelled');
      const resumed = await services.invoke('experiments.resume', { experimentId: first!.experimentId });
      expect(resumed.ok).toBe(true);
      expect(await ended(resumed.ok ? (resumed.value as { jobId: string }).jobId : '')).toMatchObject({ event: 'job.done', payload: { result: { status: 'completed' } } });
      expect(services.context.activeExperiments.has(first!.experimentId)).toBe(false);

      const second = await services.invoke('experiments.start', { ...startInput(datasetId), nTrials: 1 });
      const two = second.ok ? (second.value as { jobId: string; experimentId: number }) : null;
      await services.invoke('experiments.cancel', { experimentId: two!.experimentId });
      expect((await ended(two!.jobId)).event).toBe('job.cancelled');
      expect(await services.invoke('experiments.delete', { experimentId: two!.experimentId })).toEqual({ ok: true, value: { deleted: true } });
    } finally {
      await services.close();
    }
  }, 60_000);
});

describe('the runner refuses an experiment another live process runs', () => {
  it('runExperiment throws ExperimentBusyError, `fairbound experiment run --resume` exits 2, and nothing changes', async () => {
    const { path, datasetId } = await workspace();
    const services = createServices({ dbPath: path, runtime: 'browser', log: () => undefined });
    const { ended } = recorder(services);
    let id: number;
    try {
      const r = await services.invoke('experiments.start', { ...startInput(datasetId), nTrials: 2 });
      const v = r.ok ? (r.value as { jobId: string; experimentId: number }) : null;
      expect((await ended(v!.jobId)).event).toBe('job.done');
      id = v!.experimentId;
    } finally {
      await services.close();
    }
    const db = openWorkspace(path);
    try {
      db.prepare('DELETE FROM trial WHERE experiment_id = ? AND trial_index = 1').run(id);
      ownBy(db, id, { pid: sleeper.pid! });
      expect(experimentHolder(db, id)).toEqual({ state: 'alive', pid: sleeper.pid, host: thisProcess().host });
      await expect(runExperiment(db, id, { workers: 1 })).rejects.toThrow(ExperimentBusyError);
      // The claim itself is checked too (a process that passed the early check can still lose the race).
      expect(markExperimentRunning(db, id)).toMatchObject({ outcome: 'held', state: 'alive', pid: sleeper.pid });
      expect(markExperimentRunning(db, id, { isAlive: () => false })).toEqual({ outcome: 'claimed' });
      ownBy(db, id, { pid: sleeper.pid! });
      expect(markExperimentRunning(db, 999)).toEqual({ outcome: 'missing' });
    } finally {
      db.close();
    }

    let stderr = '';
    const code = await runCli(['experiment', 'run', '--resume', String(id), '--workers', '1', '--quiet', '--db', path], { stdout: () => undefined, stderr: (t) => void (stderr += t) });
    expect(code).toBe(2);
    expect(stderr).toContain(`error: experiment ${id} is running in another Fairbound process (pid ${sleeper.pid})`);
    const after = openWorkspace(path);
    try {
      expect(listTrials(after, id)).toHaveLength(4);
      expect(getExperiment(after, id)).toMatchObject({ status: 'running' });
      expect(after.prepare('SELECT owner_pid AS pid, owner_token AS token FROM experiment WHERE id = ?').get(id)).toEqual({ pid: sleeper.pid, token: 'other' });
    } finally {
      after.close();
    }

    // Once that process is gone, the same command resumes it (the open marks it interrupted first).
    const exited = new Promise<void>((resolve) => sleeper.once('exit', () => resolve()));
    sleeper.kill();
    await exited;
    expect(await runCli(['experiment', 'run', '--resume', String(id), '--workers', '1', '--quiet', '--db', path], { stdout: () => undefined, stderr: () => undefined })).toBe(0);
    const resumed = openWorkspace(path);
    try {
      expect(listTrials(resumed, id)).toHaveLength(8);
      expect(getExperiment(resumed, id)).toMatchObject({ status: 'completed' });
    } finally {
      resumed.close();
    }
  }, 120_000);
});
