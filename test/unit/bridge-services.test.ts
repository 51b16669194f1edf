/**
 * Invariant under test: main's dispatcher (shared by Electron IPC and the HTTP bridge) checks the route
 * name and both schemas around every handler, and always answers with an envelope; the job runner gives
 * every job exactly one terminal event carrying its id, after the id has been returned.
 * Handlers are called through `createServices` on a temporary database.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { EventMessage } from '../../src-shared/contract';
import { createServices } from '../../src-main/services';
import { estimateEta, JobRunner } from '../../src-main/jobs/job-runner';
import { InputError } from '../../src-main/errors/input-error';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-services-');

describe('dispatch', () => {
  it('validates the output too: a handler that breaks the contract is an internal error, logged in main only', async () => {
    const log = vi.fn();
    const services = createServices({
      dbPath: join(tempDir(), 'w.db'),
      runtime: 'electron',
      log,
      handlers: { 'jobs.cancel': () => ({ cancelled: 'maybe' }) as never },
    });
    try {
      const reply = await services.invoke('jobs.cancel', { jobId: 'x' });
      expect(reply).toMatchObject({ ok: false, error: { code: 'internal', name: 'BadReply' } });
      expect(log).toHaveBeenCalledTimes(1);
    } finally {
      await services.close();
    }
  });

  it('turns thrown errors into data without stacks', async () => {
    const log = vi.fn();
    const services = createServices({
      dbPath: join(tempDir(), 'w.db'),
      runtime: 'electron',
      log,
      handlers: {
        'datasets.list': () => {
          throw new InputError('expected 0 or 1', { file: 'a.csv', row: 4, column: 'M' });
        },
        'constraints.list': () => {
          throw new TypeError('x is undefined');
        },
      },
    });
    try {
      const input = await services.invoke('datasets.list', {});
      expect(input).toEqual({
        ok: false,
        error: { name: 'InputError', code: 'input', message: "a.csv row 4, column 'M': expected 0 or 1", detail: 'expected 0 or 1', file: 'a.csv', row: 4, column: 'M' },
      });
      expect(log).not.toHaveBeenCalled();
      const bug = await services.invoke('constraints.list', {});
      expect(bug).toEqual({ ok: false, error: { name: 'TypeError', code: 'internal', message: 'x is undefined' } });
      expect(JSON.stringify(bug)).not.toContain('at ');
      expect(log).toHaveBeenCalledTimes(1);
      expect(await services.invoke('__proto__', {})).toMatchObject({ ok: false, error: { code: 'unknown_route' } });
    } finally {
      await services.close();
    }
  });

  it('answers app.info with the runtime and the database path', async () => {
    const dbPath = join(tempDir(), 'w.db');
    const services = createServices({ dbPath, runtime: 'electron', electronVersion: '41.0.0' });
    try {
      expect(await services.invoke('app.info', {})).toMatchObject({ ok: true, value: { runtime: 'electron', databasePath: dbPath, electron: '41.0.0' } });
    } finally {
      await services.close();
    }
  });
});

describe('job runner', () => {
  function collect(): { emit: (event: string, payload: unknown) => void; messages: EventMessage[] } {
    const messages: EventMessage[] = [];
    return { messages, emit: (event, payload) => messages.push({ event, payload }) };
  }

  it('emits nothing before start() returns, then progress and one terminal event with the id', async () => {
    const { emit, messages } = collect();
    const runner = new JobRunner(emit as never, { progressIntervalMs: 0 });
    const id = runner.start('import', async ({ progress }) => {
      progress({ fraction: 0.5, phase: 'reading', message: 'half' });
      return { kind: 'import', datasetId: 1, datasetName: 'd', importJobId: 1, nRows: 3 };
    });
    expect(messages).toEqual([]);
    expect(runner.running).toEqual([id]);
    await runner.idle();
    await vi.waitFor(() => expect(messages.map((m) => m.event)).toEqual(['job.progress', 'job.done']));
    expect(messages.every((m) => (m.payload as { jobId: string }).jobId === id)).toBe(true);
    expect(runner.running).toEqual([]);
  });

  it('reports a failure as data, and a cancel as cancelled even when the work throws on abort', async () => {
    const { emit, messages } = collect();
    const runner = new JobRunner(emit as never, { log: () => undefined });
    const failing = runner.start('import', async () => {
      throw new InputError('no data rows', { file: 'a.csv' });
    });
    const cancelled = runner.start('import', ({ signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(runner.cancel(cancelled)).toBe(true);
    expect(runner.cancel('no-such-job')).toBe(false);
    await vi.waitFor(() => expect(messages).toHaveLength(2));
    expect(messages).toContainEqual({ event: 'job.failed', payload: { jobId: failing, kind: 'import', error: expect.objectContaining({ code: 'input', file: 'a.csv' }) } });
    expect(messages).toContainEqual({ event: 'job.cancelled', payload: { jobId: cancelled, kind: 'import', reason: 'cancelled by the user' } });
  });

  it('throttles progress but always sends phase changes and completion', async () => {
    const { emit, messages } = collect();
    let now = 0;
    const runner = new JobRunner(emit as never, { progressIntervalMs: 100, clock: () => now });
    runner.start('import', async ({ progress }) => {
      for (let i = 1; i <= 11; i++) {
        now += 10;
        progress({ fraction: i / 20, phase: 'reading', message: '' });
      }
      progress({ fraction: 0.9, phase: 'ordering', message: '' });
      progress({ fraction: 1, phase: 'ordering', message: '' });
      return { kind: 'import', datasetId: 1, datasetName: 'd', importJobId: 1, nRows: 1 };
    });
    await runner.idle();
    await vi.waitFor(() => expect(messages.at(-1)?.event).toBe('job.done'));
    const fractions = messages.filter((m) => m.event === 'job.progress').map((m) => (m.payload as { fraction: number }).fraction);
    expect(fractions).toEqual([0.05, 0.55, 0.9, 1]);
  });

  it('estimates the time left once enough is done', () => {
    expect(estimateEta(500, 0.5)).toBeUndefined();
    expect(estimateEta(10_000, 0.01)).toBeUndefined();
    expect(estimateEta(10_000, 0.25)).toBe(30);
    expect(estimateEta(10_000, null)).toBeUndefined();
  });
});
