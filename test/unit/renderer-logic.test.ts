/**
 * Invariant under test: the renderer's pure logic — blocks insert at the cursor (functions wrap the
 * selection), presets read as the design's formulas, the import form becomes a valid contract request
 * (or a message naming the field), and job events are coalesced per frame into one state per job id
 * that a late event never reopens.
 */
import { describe, expect, it, vi } from 'vitest';
import { compileConstraint } from '../../src-shared/constraint';
import { importRequest } from '../../src-shared/contract';
import { conditional, fn, insertSnippet, PRESETS } from '../../src-renderer/src/lib/constraint-blocks';
import { buildImportRequest, emptyForm, FormError, guessOneHotColumns, parseDeriveValues } from '../../src-renderer/src/lib/import-form';
import { bindJobEvents, coalesce, frameQueue, type JobEvent } from '../../src-renderer/src/lib/job-events';
import { nextJobState, type JobState } from '../../src-renderer/src/lib/job-state';

describe('constraint blocks', () => {
  it('inserts at the cursor, replacing the selection', () => {
    expect(insertSnippet('ACC >= 0.8', 0, 0, { text: 'abs(' })).toEqual({ text: 'abs(ACC >= 0.8', selectionStart: 4, selectionEnd: 4 });
    expect(insertSnippet('ACC  0.8', 4, 4, { text: '>=' })).toEqual({ text: 'ACC >= 0.8', selectionStart: 6, selectionEnd: 6 });
    expect(insertSnippet('PR >= 0.5', 0, 2, { text: 'ACC' }).text).toBe('ACC >= 0.5');
    expect(insertSnippet('x', 99, 120, { text: 'y' }).text).toBe('xy');
  });

  it('puts the cursor inside a function, or wraps the selection in it', () => {
    expect(insertSnippet('', 0, 0, fn('abs'))).toEqual({ text: 'abs()', selectionStart: 4, selectionEnd: 4 });
    expect(insertSnippet('', 0, 0, fn('min'))).toEqual({ text: 'min()', selectionStart: 4, selectionEnd: 4 });
    expect(insertSnippet('PR - NR <= 0.1', 0, 7, fn('abs')).text).toBe('abs(PR - NR) <= 0.1');
  });

  it('writes a measure on a group as (MF | [A,B])', () => {
    expect(conditional('PR', ['M', 'White']).text).toBe('(PR | [M,White])');
    expect(conditional('ACC', []).text).toBe('ACC');
  });

  it('fills the presets with two attributes, and each compiles', () => {
    const byId = Object.fromEntries(PRESETS.map((p) => [p.id, p.build('A', 'B')]));
    expect(byId).toEqual({
      'disparate-impact': 'min((PR | [A])/(PR | [B]),(PR | [B])/(PR | [A])) >= 0.8',
      'demographic-parity': 'abs((PR | [A]) - (PR | [B])) <= 0.15',
      'equalized-odds': 'abs((FNR | [A]) - (FNR | [B])) + abs((FPR | [A]) - (FPR | [B])) <= 0.35',
      'equal-opportunity': 'abs((FNR | [A]) - (FNR | [B])) <= 0.2',
      'predictive-equality': 'abs((FPR | [A]) - (FPR | [B])) <= 0.2',
      'accuracy-ratio': 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8',
    });
    for (const source of Object.values(byId)) expect(compileConstraint(source, { columns: ['A', 'B'], subRegime: 'classification', delta: 0.05 }).ok, source).toBe(true);
  });
});

describe('import form', () => {
  it('builds a folder request that the contract accepts', () => {
    const form = { ...emptyForm('folder'), name: ' faces ', csv: '/d/attrs.csv', labelColumn: 'label', sensitive: ['M', 'F'], families: [{ name: 'sex', columns: 'M, F' }], resize: '32', channels: '1' as const };
    const request = buildImportRequest(form);
    expect(request).toEqual({ format: 'folder', name: 'faces', csv: '/d/attrs.csv', labelColumn: 'label', fileColumn: 'file', resize: 32, channels: 1, sensitive: ['M', 'F'], families: [{ name: 'sex', columns: ['M', 'F'] }] });
    expect(importRequest.safeParse(request).success).toBe(true);
  });

  it('builds pixel, IDX and Seldonian requests', () => {
    const pixels = buildImportRequest({ ...emptyForm('pixels'), name: 'utk', csv: '/d/age_gender.csv', labelColumn: 'age', derive: [{ column: 'gender', values: 'M,F', family: '' }], positiveClasses: '1' });
    expect(pixels).toMatchObject({ format: 'pixels', derive: [{ column: 'gender', values: [{ value: '0', name: 'M' }, { value: '1', name: 'F' }] }], labels: { positiveClasses: ['1'] } });
    const idx = buildImportRequest({ ...emptyForm('idx'), name: 'fm', pairs: [{ images: '/i', labels: '/l' }], positiveClasses: '0,2,4,6' });
    expect(idx).toEqual({ format: 'idx', name: 'fm', pairs: [{ images: '/i', labels: '/l' }], attributes: { kind: 'brightness' }, labels: { positiveClasses: ['0', '2', '4', '6'] } });
    const seldonian = buildImportRequest({ ...emptyForm('seldonian'), name: 's', csv: '/d.csv', metadata: '/m.json', shuffleSeed: '7' });
    expect(seldonian).toEqual({ format: 'seldonian', name: 's', shuffleSeed: 7, csv: '/d.csv', metadata: '/m.json' });
    for (const r of [pixels, idx, seldonian]) expect(importRequest.safeParse(r).success).toBe(true);
  });

  it('names the field at fault', () => {
    const fault = (f: Partial<ReturnType<typeof emptyForm>>): FormError => {
      try {
        buildImportRequest({ ...emptyForm('folder'), name: 'x', csv: '/a.csv', labelColumn: 'label', sensitive: ['M'], ...f });
      } catch (err) {
        if (err instanceof FormError) return err;
        throw err;
      }
      throw new Error('no FormError');
    };
    expect(fault({ name: '' }).field).toBe('name');
    expect(fault({ sensitive: [] }).message).toContain('at least one sensitive attribute');
    expect(fault({ resize: '0' }).message).toBe('resize must be a whole number from 1 to 4096');
    expect(fault({ families: [{ name: 'sex', columns: 'M' }] }).message).toContain("family 'sex' needs at least two columns");
    expect(() => parseDeriveValues('0:White,Black', 'race')).toThrow('give value:name for every item or for none');
  });

  it('guesses the one-hot columns from sample rows', () => {
    expect(guessOneHotColumns(['file', 'label', 'M', 'F', 'age'], [['a.png', '1', '1', '0', '31'], ['b.png', '0', '0', '1', '1']], ['file', 'label'])).toEqual(['M', 'F']);
  });
});

describe('job events', () => {
  const progress = (jobId: string, fraction: number): JobEvent => ({ event: 'job.progress', payload: { jobId, kind: 'import', fraction, phase: 'reading', message: `${fraction}` } });

  it('keeps the last progress of each job in a batch, and every terminal event', () => {
    const done: JobEvent = { event: 'job.done', payload: { jobId: 'a', kind: 'import', result: { kind: 'import', datasetId: 1, datasetName: 'd', importJobId: 1, nRows: 2 } } };
    expect(coalesce([progress('a', 0.1), progress('b', 0.5), progress('a', 0.2), done])).toEqual([progress('b', 0.5), progress('a', 0.2), done]);
  });

  it('flushes once per frame', () => {
    const frames: (() => void)[] = [];
    const flush = vi.fn();
    const push = frameQueue<number>(flush, (cb) => frames.push(cb));
    push(1);
    push(2);
    expect(frames).toHaveLength(1);
    frames[0]();
    expect(flush).toHaveBeenCalledWith([1, 2]);
    push(3);
    frames[1]();
    expect(flush).toHaveBeenLastCalledWith([3]);
  });

  it('records every job by id, and a late progress never reopens a finished one', () => {
    let state = nextJobState(undefined, progress('a', 0.5));
    expect(state).toMatchObject({ jobId: 'a', status: 'running', fraction: 0.5 });
    state = nextJobState(state, { event: 'job.failed', payload: { jobId: 'a', kind: 'import', error: { name: 'InputError', code: 'input', message: 'bad' } } });
    expect(state).toMatchObject({ status: 'failed', error: { code: 'input' } });
    expect(nextJobState(state, progress('a', 0.9))).toBe(state);
  });

  it('wires bridge events into a store, and unwires them', () => {
    const jobs = new Map<string, JobState>();
    const store = { apply: (batch: readonly JobEvent[]) => batch.forEach((e) => jobs.set(e.payload.jobId, nextJobState(jobs.get(e.payload.jobId), e))) };
    const handlers = new Map<string, (p: unknown) => void>();
    const api = {
      runtime: 'browser' as const,
      invoke: vi.fn(),
      on: vi.fn((event: string, handler: (p: unknown) => void) => {
        handlers.set(event, handler);
        return () => handlers.delete(event);
      }),
    };
    const off = bindJobEvents(api as never, store, (cb) => cb());
    handlers.get('job.progress')!(progress('j', 0.25).payload);
    handlers.get('job.cancelled')!({ jobId: 'j', kind: 'import', reason: 'cancelled by the user' });
    expect(jobs.get('j')).toMatchObject({ status: 'cancelled', reason: 'cancelled by the user', fraction: 0.25 });
    off();
    expect(handlers.size).toBe(0);
  });
});
