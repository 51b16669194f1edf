/**
 * Invariant under test: the contract is one closed catalog. Only its own route and event names are
 * names (nothing inherited), every entry is `{ name, input|payload }` with zod schemas, non-finite
 * numbers survive JSON, and the shared client validates both directions and returns errors as data.
 */
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  createBridge,
  errorFromData,
  EVENT_NAMES,
  events,
  FairboundConstraintError,
  FairboundError,
  FairboundInputError,
  importRequest,
  isEventName,
  isRouteName,
  ROUTE_NAMES,
  routes,
  wireNumber,
  type Transport,
} from '../../src-shared/contract';
import { handlers } from '../../src-main/services/handlers';

const INHERITED = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'propertyIsEnumerable'];

describe('catalog', () => {
  it('lists exactly the routes and events of this slice', () => {
    expect([...ROUTE_NAMES].sort()).toEqual(
      [
        'app.info',
        'audit.atThreshold',
        'audit.report',
        'audit.run',
        'audit.start',
        'certificates.audit',
        'certificates.run',
        'constraints.delete',
        'constraints.list',
        'constraints.save',
        'datasets.delete',
        'datasets.import',
        'datasets.list',
        'datasets.preview',
        'datasets.summary',
        'dialogs.open',
        'files.list',
        'files.peekCsv',
        'jobs.cancel',
        'jobs.list',
        'runs.list',
        'runs.get',
        'runs.iterations',
        'runs.start',
        'runs.startPretrained',
        'runs.cancel',
        'runs.delete',
        'runs.export',
        'reports.write',
        'runs.overview',
        'runs.advice',
        'experiments.exportPlots',
        'audit.examples',
        'reports.html',
        'backends.report',
        'experiments.list',
        'experiments.models',
        'experiments.get',
        'experiments.start',
        'experiments.resume',
        'experiments.cancel',
        'experiments.delete',
        'experiments.exportCsv',
        'workspace.openSample',
      ].sort(),
    );
    expect([...EVENT_NAMES].sort()).toEqual(['job.cancelled', 'job.done', 'job.failed', 'job.progress', 'run.event']);
  });

  it('gives every entry its own name and zod schemas, in frozen prototype-less tables', () => {
    for (const name of ROUTE_NAMES) {
      expect(routes[name].name).toBe(name);
      expect(routes[name].input).toBeInstanceOf(z.ZodType);
      expect(routes[name].output).toBeInstanceOf(z.ZodType);
    }
    for (const name of EVENT_NAMES) {
      expect(events[name].name).toBe(name);
      expect(events[name].payload).toBeInstanceOf(z.ZodType);
    }
    expect(Object.getPrototypeOf(routes)).toBeNull();
    expect(Object.getPrototypeOf(events)).toBeNull();
    expect(Object.isFrozen(routes)).toBe(true);
    expect(Object.isFrozen(routes['app.info'])).toBe(true);
  });

  it('rejects unknown and inherited names', () => {
    for (const name of [...INHERITED, '', 'datasets', 'DATASETS.LIST', 'datasets.list ', 'job.progress']) expect(isRouteName(name), name).toBe(false);
    for (const name of [...INHERITED, 'datasets.list']) expect(isEventName(name), name).toBe(false);
    for (const value of [undefined, null, 1, {}, ['app.info']]) expect(isRouteName(value)).toBe(false);
    expect(ROUTE_NAMES.every(isRouteName)).toBe(true);
    expect(EVENT_NAMES.every(isEventName)).toBe(true);
  });

  it("main's handler table implements every route and nothing else", () => {
    expect(Object.keys(handlers).sort()).toEqual([...ROUTE_NAMES].sort());
  });
});

describe('schemas', () => {
  it('carries ±∞ and NaN through JSON as "inf", "-inf", "nan"', () => {
    const schema = z.object({ bounds: z.array(wireNumber) });
    const wire = JSON.parse(JSON.stringify(z.encode(schema, { bounds: [Infinity, -Infinity, Number.NaN, 0.25] })));
    expect(wire).toEqual({ bounds: ['inf', '-inf', 'nan', 0.25] });
    expect(z.decode(schema, wire)).toEqual({ bounds: [Infinity, -Infinity, Number.NaN, 0.25] });
    expect(() => z.decode(schema, { bounds: ['infinity'] } as never)).toThrow();
    expect(() => z.decode(schema, { bounds: [null] } as never)).toThrow();
  });

  it('tells the import formats apart and mirrors their options', () => {
    const folder = importRequest.parse({ format: 'folder', name: 'faces', csv: '/data/attrs.csv', labelColumn: 'label', sensitive: ['M', 'F'], resize: 32, channels: 1 });
    expect(folder).toMatchObject({ format: 'folder', resize: 32, channels: 1 });
    expect(importRequest.parse({ format: 'idx', name: 'fm', pairs: [{ images: 'a', labels: 'b' }], attributes: { kind: 'brightness' } })).toMatchObject({ format: 'idx' });
    expect(importRequest.safeParse({ format: 'zip', name: 'x', csv: 'a' }).success).toBe(false);
    expect(importRequest.safeParse({ format: 'folder', name: '', csv: 'a', labelColumn: 'label' }).success).toBe(false);
    expect(importRequest.safeParse({ format: 'folder', name: 'x', csv: 'a', labelColumn: 'label', channels: 2 }).success).toBe(false);
    expect(importRequest.safeParse({ format: 'idx', name: 'fm', pairs: [], attributes: { kind: 'brightness' } }).success).toBe(false);
  });

  it('takes a native dialog request of a kind, an optional title and extension filters without dots', () => {
    const open = routes['dialogs.open'];
    expect(open.input.safeParse({ kind: 'file' }).success).toBe(true);
    expect(open.input.safeParse({ kind: 'folder', title: 'Export to' }).success).toBe(true);
    expect(open.input.safeParse({ kind: 'file', filters: [{ name: 'CSV', extensions: ['csv'] }, { name: 'All', extensions: ['*'] }] }).success).toBe(true);
    expect(open.input.safeParse({ kind: 'directory' }).success).toBe(false);
    expect(open.input.safeParse({}).success).toBe(false);
    expect(open.input.safeParse({ kind: 'file', filters: [{ name: 'CSV', extensions: ['.csv'] }] }).success).toBe(false);
    expect(open.input.safeParse({ kind: 'file', filters: [{ name: 'CSV', extensions: [] }] }).success).toBe(false);
    expect(open.input.safeParse({ kind: 'file', filters: [{ name: 'x', extensions: ['c/v'] }] }).success).toBe(false);
    expect(open.input.safeParse({ kind: 'file', title: 'x'.repeat(201) }).success).toBe(false);
    expect(open.output.parse({ path: null })).toEqual({ path: null });
    expect(open.output.parse({ path: '/data/a.csv' })).toEqual({ path: '/data/a.csv' });
    expect(open.output.safeParse({ path: '' }).success).toBe(false);
    expect(open.output.safeParse({}).success).toBe(false);
  });

  it('bounds δ to (0, 1) in saved constraints and audits', () => {
    const save = routes['constraints.save'].input;
    expect(save.safeParse({ name: 'a', source: 'ACC >= 0.5', delta: 0.05, columns: ['M'] }).success).toBe(true);
    expect(save.safeParse({ name: 'a', source: 'ACC >= 0.5', delta: 1, columns: ['M'] }).success).toBe(false);
    expect(save.safeParse({ name: 'a', source: 'ACC >= 0.5', delta: 0, columns: ['M'] }).success).toBe(false);
  });

  it('takes audit.run\'s input, or a finished audit\'s result, plus the report paths for audit.report', () => {
    const audit = {
      datasetId: 1,
      source: { kind: 'predictions', path: '/tmp/p.csv', matching: { kind: 'order' } },
      constraints: [{ source: 'ACC >= 0.5', delta: 0.05 }],
      mode: { kind: 'soft' },
      bound: 'hoeffding',
      rows: { kind: 'all' },
    };
    const report = routes['audit.report'];
    expect(routes['audit.run'].input.safeParse(audit).success).toBe(true);
    expect(report.input.safeParse(audit).success).toBe(false);
    expect(report.input.safeParse({ ...audit, out: '/tmp/r.html' }).success).toBe(true);
    expect(report.input.safeParse({ ...audit, out: '/tmp/r.html', pdf: '/tmp/r.pdf' }).success).toBe(true);
    expect(report.input.safeParse({ ...audit, out: '' }).success).toBe(false);
    expect(report.input.safeParse({ ...audit, out: '/tmp/r.html', constraints: [] }).success).toBe(false);
    // The app's form: a finished audit's result (wire form, so ±∞ as strings) and the paths; no audit input.
    const result = {
      dataset: { id: 1, name: 'd' },
      rows: { which: 'all', start: 0, end: 10 },
      source: 'predictions /tmp/p.csv',
      sourceKind: 'predictions',
      mode: { kind: 'soft' },
      bound: 'hoeffding',
      guarantee: 'unknown-training-rows',
      constraints: [
        {
          source: 'ACC >= 0.5', parsed: '0.5-(ACC)', delta: 0.05, verdict: 'inconclusive', gPoint: -0.1, gLower: '-inf', gUpper: 0.2, dataNeeded: null,
          baseNodes: [{ name: 'ACC', n: 10, mean: 0.6, std: 0.5, lower: 0.3, upper: 'inf', lowerNeeded: true, upperNeeded: false, deltaLower: 0.05, deltaUpper: null }],
          lowerBoundBaseNodes: [], warnings: [],
        },
      ],
      groups: [{ group: 'all', columns: [], n: 10, rates: { ACC: { n: 10, mean: 0.6, lower: 0.3, upper: 0.9 } } }],
      groupConfidence: 0.95,
    };
    const decoded = report.input.safeParse({ result, out: '/tmp/r.html' });
    expect(decoded.success).toBe(true);
    expect((decoded.data as { result: { constraints: { gLower: number }[] } }).result.constraints[0]!.gLower).toBe(-Infinity);
    expect(report.input.safeParse({ result, out: '/tmp/r.html', pdf: '/tmp/r.pdf' }).success).toBe(true);
    expect(report.input.safeParse({ result }).success).toBe(false);
    expect(report.input.safeParse({ result: { ...result, sourceKind: undefined }, out: '/tmp/r.html' }).success).toBe(false);
    expect(report.input.safeParse({ result: { ...result, constraints: [{ ...result.constraints[0], verdict: 'maybe' }] }, out: '/tmp/r.html' }).success).toBe(false);
    expect(report.output.safeParse({ html: '/tmp/r.html', pdf: null }).success).toBe(true);
    expect(report.output.safeParse({ html: '/tmp/r.html', pdf: '/tmp/r.pdf' }).success).toBe(true);
    expect(report.output.safeParse({ html: '/tmp/r.html' }).success).toBe(false);
  });
});

function fakeTransport(reply: (route: string, input: unknown) => unknown): Transport & { request: ReturnType<typeof vi.fn>; emit(message: unknown): void } {
  const listeners = new Set<(m: unknown) => void>();
  return {
    runtime: 'browser',
    request: vi.fn(async (route: string, input: unknown) => reply(route, input)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(message) {
      for (const l of listeners) l(message);
    },
  };
}

describe('client', () => {
  it('encodes the input, decodes the output, and returns errors as data', async () => {
    const transport = fakeTransport((route) =>
      route === 'jobs.cancel' ? { ok: true, value: { cancelled: true } } : { ok: false, error: { name: 'InputError', code: 'input', message: 'a.csv row 3: bad', file: 'a.csv', row: 3, detail: 'bad' } },
    );
    const bridge = createBridge(transport);
    expect(await bridge.invoke('jobs.cancel', { jobId: 'j1' })).toEqual({ ok: true, value: { cancelled: true } });
    expect(transport.request).toHaveBeenLastCalledWith('jobs.cancel', { jobId: 'j1' });
    const failed = await bridge.invoke('datasets.delete', { datasetId: 3 });
    expect(failed).toEqual({ ok: false, error: expect.objectContaining({ code: 'input', row: 3 }) });
  });

  it('refuses a bad input or an unknown route before sending anything', async () => {
    const transport = fakeTransport(() => ({ ok: true, value: {} }));
    const bridge = createBridge(transport);
    const bad = await bridge.invoke('datasets.delete', { datasetId: -1 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const unknown = await bridge.invoke('toString' as 'app.info', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_route' } });
    expect(transport.request).not.toHaveBeenCalled();
  });

  it('refuses a reply that breaks the contract, and reports an unreachable main', async () => {
    const bridge = createBridge(fakeTransport(() => ({ ok: true, value: { cancelled: 'yes' } })));
    expect(await bridge.invoke('jobs.cancel', { jobId: 'j' })).toMatchObject({ ok: false, error: { code: 'internal', name: 'BadReply' } });
    const down = createBridge({ ...fakeTransport(() => undefined), request: () => Promise.reject(new Error('connection refused')) });
    expect(await down.invoke('jobs.cancel', { jobId: 'j' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('delivers valid events to their handlers only, decoded, until unsubscribed', () => {
    const transport = fakeTransport(() => undefined);
    const bridge = createBridge(transport);
    const progress = vi.fn();
    const done = vi.fn();
    const off = bridge.on('job.progress', progress);
    bridge.on('job.done', done);
    transport.emit({ event: 'job.progress', payload: { jobId: 'a', kind: 'import', fraction: 'nan', phase: 'reading', message: 'm' } });
    transport.emit({ event: 'job.progress', payload: { jobId: 'a', kind: 'import' } }); // invalid: dropped
    transport.emit({ event: 'toString', payload: {} });
    expect(progress).toHaveBeenCalledTimes(1);
    expect(progress.mock.calls[0][0].fraction).toBeNaN();
    off();
    transport.emit({ event: 'job.progress', payload: { jobId: 'a', kind: 'import', fraction: 0.5, phase: 'reading', message: 'm' } });
    expect(progress).toHaveBeenCalledTimes(1);
    expect(done).not.toHaveBeenCalled();
    expect(() => bridge.on('nope' as 'job.done', done)).toThrow("no event named 'nope'");
  });
});

describe('errors', () => {
  it('rebuilds typed errors from data', () => {
    const input = errorFromData({ name: 'InputError', code: 'input', message: 'a.csv row 12, column \'M\': expected 0 or 1', detail: 'expected 0 or 1', file: 'a.csv', row: 12, column: 'M' });
    expect(input).toBeInstanceOf(FairboundInputError);
    expect((input as FairboundInputError).position).toBe("row 12, column 'M'");
    expect((input as FairboundInputError).detail).toBe('expected 0 or 1');
    const constraint = errorFromData({ name: 'ConstraintCompileError', code: 'constraint', message: 'x', column: 3, caret: 'ACX\n  ^' });
    expect(constraint).toBeInstanceOf(FairboundConstraintError);
    expect((constraint as FairboundConstraintError).caret).toBe('ACX\n  ^');
    const other = errorFromData({ name: 'Error', code: 'internal', message: 'boom' });
    expect(other).toBeInstanceOf(FairboundError);
    expect(other.code).toBe('internal');
  });
});
