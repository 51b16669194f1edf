/**
 * Invariant under test: the browser-mode bridge exposes exactly the contract, to the holder of its
 * token only, on 127.0.0.1 only (the defences against other local pages: bridge-security.test.ts); replies are envelopes (errors as data, with file/row/column or a caret);
 * jobs report their lifecycle as WebSocket events carrying their id, and a cancel rolls the import back.
 * Real services on a temporary database file, real image files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridgeServer, type BridgeServer } from '../../src-main/bridge/server';
import { useTempDir } from '../support/images';
import { writeImageFolder, writePixelCsv, writePredictions } from '../e2e/app-fixtures';

/** JSON off the wire, read loosely in assertions (the contract's own tests check the shapes). */
type Json = ReturnType<typeof JSON.parse>;

const tempDir = useTempDir('fairbound-bridge-');
let bridge: BridgeServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await bridge?.close();
  bridge = undefined;
});

async function start(): Promise<BridgeServer> {
  const renderer = join(tempDir(), 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Fairbound</title>');
  bridge = await startBridgeServer({ dbPath: join(tempDir(), 'workspace.db'), rendererDir: renderer, services: { log: () => undefined } });
  return bridge;
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw request (fetch would not let us set Host). */
function raw(b: BridgeServer, method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: b.port, method, path, headers: { 'content-type': 'application/json', ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function api(b: BridgeServer, route: string, input: unknown): Promise<{ status: number; reply: { ok: boolean; value?: Json; error?: Json } }> {
  const res = await raw(b, 'POST', `/api/${route}`, { body: JSON.stringify(input), headers: { 'x-fairbound-token': b.token } });
  return { status: res.status, reply: JSON.parse(res.body) };
}

interface EventLog {
  readonly messages: { event: string; payload: Json }[];
  until(predicate: (m: { event: string; payload: Json }) => boolean, timeoutMs?: number): Promise<{ event: string; payload: Json }>;
}

async function listen(b: BridgeServer): Promise<EventLog> {
  const ws = new WebSocket(`ws://127.0.0.1:${b.port}/events`);
  sockets.push(ws);
  const messages: { event: string; payload: Json }[] = [];
  const waiters: (() => void)[] = [];
  // The token is the first message; the server answers { ready: true } once it has subscribed us.
  const ready = new Promise<void>((resolve, reject) => {
    ws.once('open', () => ws.send(b.token));
    ws.once('message', () => resolve());
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed with ${code}`)));
  });
  await ready;
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    async until(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(messages.map((m) => m.event))}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}

describe('access', () => {
  it('listens on 127.0.0.1 and prints a URL that carries the token', async () => {
    const b = await start();
    expect(b.url).toBe(`http://127.0.0.1:${b.port}/?token=${b.token}`);
    expect(b.token.length).toBeGreaterThanOrEqual(40);
    expect((await raw(b, 'GET', `/?token=${b.token}`)).status).toBe(200);
    // Not reachable through another address of this machine: the socket is bound to loopback only.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) {
      const refused = await new Promise<string>((resolve) => {
        const socket = connect({ host: external.address, port: b.port }, () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    }
  });

  it('answers 403 without the token, with a wrong one, or for a foreign Host', async () => {
    const b = await start();
    expect((await raw(b, 'GET', '/')).status).toBe(403);
    expect((await raw(b, 'GET', '/?token=nope')).status).toBe(403);
    expect((await raw(b, 'POST', '/api/app.info', { body: '{}' })).status).toBe(403);
    expect((await raw(b, 'POST', '/api/app.info', { body: '{}', headers: { 'x-fairbound-token': `${b.token}x` } })).status).toBe(403);
    expect((await raw(b, 'GET', `/?token=${b.token}`, { headers: { host: `evil.example:${b.port}` } })).status).toBe(403);
    // The event socket opens for anyone on this machine, but only the token as its first message subscribes it.
    const closed = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${b.port}/events`);
      sockets.push(ws);
      ws.on('open', () => ws.send('nope'));
      ws.on('message', () => reject(new Error('subscribed without the token')));
      ws.on('close', (code) => resolve(code));
      ws.on('error', reject);
    });
    expect(closed).toBe(1008);
  });

  it('serves the page with the token and its assets with the cookie the page set', async () => {
    const b = await start();
    const page = await raw(b, 'GET', `/?token=${b.token}`);
    expect(page.body).toContain('<title>Fairbound</title>');
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(cookie).toBe(`fairbound_token_${b.port}=${b.token}`);
    expect(String(page.headers['set-cookie'])).toContain('HttpOnly');
    expect((await raw(b, 'GET', '/index.html', { headers: { cookie } })).status).toBe(200);
    expect((await raw(b, 'GET', '/../../etc/passwd', { headers: { cookie } })).status).toBe(404);
  });
});

describe('invoke', () => {
  it('round-trips a route through the contract', async () => {
    const b = await start();
    const info = await api(b, 'app.info', {});
    expect(info.status).toBe(200);
    expect(info.reply).toMatchObject({ ok: true, value: { runtime: 'browser', databasePath: join(tempDir(), 'workspace.db') } });
    expect(await api(b, 'datasets.list', {})).toEqual({ status: 200, reply: { ok: true, value: [] } });
  });

  it('refuses unknown and inherited route names, and inputs that break the schema', async () => {
    const b = await start();
    for (const name of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'datasets', 'nope.nope']) {
      const { status, reply } = await api(b, name, {});
      expect(status, name).toBe(404);
      expect(reply.error.code, name).toBe('unknown_route');
    }
    const bad = await api(b, 'datasets.summary', { datasetId: 'one' });
    expect(bad.reply.ok).toBe(false);
    expect(bad.reply.error).toMatchObject({ code: 'bad_request' });
    expect(bad.reply.error.message).toContain('datasetId');
    const missing = await api(b, 'datasets.summary', { datasetId: 99 });
    expect(missing.reply.error).toMatchObject({ code: 'not_found', message: 'no dataset with id 99 (deleted?)' });
  });

  it('returns a constraint that does not compile as data with its caret', async () => {
    const b = await start();
    const { reply } = await api(b, 'constraints.save', { name: 'dp', source: 'abs((PR | [M]) - (PR | [Z])) <= 0.1', delta: 0.05, columns: ['M', 'F'] });
    expect(reply.ok).toBe(false);
    expect(reply.error).toMatchObject({ code: 'constraint', column: 25 });
    expect(reply.error.caret).toBe(`abs((PR | [M]) - (PR | [Z])) <= 0.1\n${' '.repeat(24)}^`);
    const saved = await api(b, 'constraints.save', { name: 'dp', source: 'abs((PR | [M]) - (PR | [F])) <= 0.1', delta: 0.05, columns: ['M', 'F'] });
    expect(saved.reply.value).toMatchObject({ name: 'dp', delta: 0.05, columns: ['M', 'F'], subRegime: 'classification' });
    expect((await api(b, 'constraints.list', {})).reply.value).toHaveLength(1);
  });
});

describe('jobs and events', () => {
  it('imports over a job: progress and done on the WebSocket with the job id; a corrupt image fails with file/row/column', async () => {
    const b = await start();
    const events = await listen(b);
    const bad = await writeImageFolder(join(tempDir(), 'bad'), 6, { corrupt: 3 });
    const failed = await api(b, 'datasets.import', { format: 'folder', name: 'faces', csv: bad.csv, labelColumn: 'label', sensitive: ['M', 'F'], families: [{ name: 'sex', columns: ['M', 'F'] }] });
    const failedId = failed.reply.value.jobId as string;
    const failure = await events.until((m) => m.payload.jobId === failedId && m.event !== 'job.progress');
    expect(failure.event).toBe('job.failed');
    expect(failure.payload.error).toMatchObject({ code: 'input', file: bad.csv, row: 5, column: 'file' });
    expect(failure.payload.error.detail).toContain("cannot decode image 'images/face_003.png'");
    expect((await api(b, 'datasets.list', {})).reply.value).toEqual([]);

    const good = await writeImageFolder(join(tempDir(), 'good'), 12);
    const started = await api(b, 'datasets.import', { format: 'folder', name: 'faces', csv: good.csv, labelColumn: 'label', sensitive: ['M', 'F'], families: [{ name: 'sex', columns: ['M', 'F'] }] });
    const jobId = started.reply.value.jobId as string;
    const done = await events.until((m) => m.payload.jobId === jobId && m.event === 'job.done');
    expect(done.payload.result).toMatchObject({ kind: 'import', datasetName: 'faces', nRows: 12 });
    const mine = events.messages.filter((m) => m.payload.jobId === jobId);
    expect(mine[0].event).toBe('job.progress');
    expect(mine.every((m) => m.payload.kind === 'import')).toBe(true);

    const datasetId = done.payload.result.datasetId as number;
    const summary = await api(b, 'datasets.summary', { datasetId });
    expect(summary.reply.value.groups.map((g: { name: string; count: number }) => [g.name, g.count])).toEqual([['M', 6], ['F', 6]]);
    const preview = await api(b, 'datasets.preview', { datasetId, perGroup: 2 });
    expect(preview.reply.value.groups).toHaveLength(2);
    expect(preview.reply.value.groups[0].thumbnails[0].dataUrl).toMatch(/^data:image\/png;base64,/);
    expect((await api(b, 'datasets.delete', { datasetId })).reply.value).toEqual({ deleted: true });
    expect((await api(b, 'datasets.delete', { datasetId })).reply.value).toEqual({ deleted: false });
    expect((await api(b, 'datasets.list', {})).reply.value).toEqual([]);
  });

  it('cancels a running import: cancel returns at once, the job ends cancelled and no dataset remains', async () => {
    const b = await start();
    const events = await listen(b);
    const csv = writePixelCsv(join(tempDir(), 'pixels.csv'), 60_000);
    const started = await api(b, 'datasets.import', { format: 'pixels', name: 'big', csv, labelColumn: 'label', derive: [{ column: 'gender', values: [{ value: '0', name: 'M' }, { value: '1', name: 'F' }] }] });
    const jobId = started.reply.value.jobId as string;
    await events.until((m) => m.payload.jobId === jobId && m.event === 'job.progress' && (m.payload.rowsDone ?? 0) > 0);
    const cancel = await api(b, 'jobs.cancel', { jobId });
    expect(cancel.reply.value).toEqual({ cancelled: true });
    const end = await events.until((m) => m.payload.jobId === jobId && m.event !== 'job.progress');
    expect(end.event).toBe('job.cancelled');
    expect(end.payload.reason).toBe('cancelled by the user');
    expect((await api(b, 'datasets.list', {})).reply.value).toEqual([]);
    expect((await api(b, 'jobs.cancel', { jobId })).reply.value).toEqual({ cancelled: false });
  });

  it('runs an audit; bad predictions come back with file, row and column; non-finite numbers survive JSON', async () => {
    const b = await start();
    const events = await listen(b);
    const folder = await writeImageFolder(join(tempDir(), 'faces'), 40);
    const started = await api(b, 'datasets.import', { format: 'folder', name: 'faces', csv: folder.csv, labelColumn: 'label', sensitive: ['M', 'F'] });
    const done = await events.until((m) => m.payload.jobId === started.reply.value.jobId && m.event === 'job.done');
    const datasetId = done.payload.result.datasetId as number;
    const predictions = writePredictions(join(tempDir(), 'predictions.csv'), folder);
    const input = {
      datasetId,
      source: { kind: 'predictions', path: predictions, matching: { kind: 'key', column: 'file' } },
      constraints: [{ source: 'min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8', delta: 0.05 }],
      mode: { kind: 'hard', threshold: 0.5 },
      bound: 'student-t',
      rows: { kind: 'all' },
    };
    const audit = await api(b, 'audit.run', input);
    expect(audit.reply.ok).toBe(true);
    const [c] = audit.reply.value.constraints;
    expect(['holds', 'violated', 'inconclusive']).toContain(c.verdict);
    expect(c.parsed).toBe('0.8-(min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])))');
    expect(audit.reply.value.groups.map((g: { group: string }) => g.group)).toEqual(['all', 'M', 'F']);

    // A group of one row has no spread and infinite bounds: they arrive as "inf"/"-inf"/"nan", not null.
    const tiny = await api(b, 'audit.run', { ...input, rows: { kind: 'safety', fracSafety: 0.05 }, constraints: [{ source: '(ACC | [M]) >= 0.5', delta: 0.05 }] });
    expect(tiny.reply.value.constraints[0]).toMatchObject({ verdict: 'inconclusive', gLower: '-inf', gUpper: 'inf', baseNodes: [{ n: 1, std: 'nan', lower: '-inf', upper: 'inf' }] });

    const typo = await api(b, 'audit.run', { ...input, constraints: [{ source: 'ACC >= 0.5', delta: 0.05 }, { source: 'ACC | [X] >= 0.5', delta: 0.05 }] });
    expect(typo.reply.error).toMatchObject({ code: 'constraint', index: 1 });

    writeFileSync(predictions, `file,p\n${folder.files[0]},0.7\n${folder.files[1]},1.5\n`);
    const bad = await api(b, 'audit.run', input);
    expect(bad.reply.error).toMatchObject({ code: 'input', file: predictions, row: 3, column: 'p', detail: 'probability 1.5 is outside [0, 1]' });
  });
});
