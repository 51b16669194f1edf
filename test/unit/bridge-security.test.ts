/**
 * Invariant under test: the browser-mode bridge obeys its token holder only. A page served by another
 * local server (another port of 127.0.0.1, which browsers treat as same-site and send the bridge's
 * cookie to) can neither call the API nor subscribe to events: the API takes the token from its header
 * only, refuses foreign Origins and non-JSON bodies; the event socket takes the token as its first
 * message and refuses foreign Origins. No request can end the process; bodies and stalled event readers
 * are bounded. Real services on a temporary database; the attacks are raw HTTP with the headers a
 * browser would send.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_BODY_BYTES, startBridgeServer, type BridgeServer } from '../../src-main/bridge/server';
import type { EventMessage } from '../../src-shared/contract';
import { takeToken, TOKEN_STORAGE_KEY } from '../../src-renderer/src/lib/access-token';
import { useTempDir } from '../support/images';
import { writePixelCsv } from '../e2e/app-fixtures';

const tempDir = useTempDir('fairbound-bridge-security-');
let bridge: BridgeServer | undefined;
const sockets: WebSocket[] = [];
const logged: string[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await bridge?.close();
  bridge = undefined;
  logged.length = 0;
});

async function start(): Promise<BridgeServer> {
  const renderer = join(tempDir(), 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Fairbound</title>');
  bridge = await startBridgeServer({
    dbPath: join(tempDir(), 'workspace.db'),
    rendererDir: renderer,
    services: { log: () => undefined },
    log: (message) => logged.push(message),
  });
  return bridge;
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw request with exactly the headers given (fetch would not let us set Origin or Host). */
function raw(b: BridgeServer, method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string>; chunked?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: b.port, method, path, agent: false, headers: { 'content-type': 'application/json', ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    if (options.chunked && options.body !== undefined) {
      // Several writes without Content-Length: the body arrives chunked.
      const body = Buffer.from(options.body);
      for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
      req.end();
    } else req.end(options.body);
  });
}

async function api(b: BridgeServer, route: string, input: unknown): Promise<{ ok: boolean; value?: unknown }> {
  const res = await raw(b, 'POST', `/api/${route}`, { body: JSON.stringify(input), headers: { 'x-fairbound-token': b.token } });
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as { ok: boolean; value?: unknown };
}

/** A small pixel dataset imported through the services; its id. */
async function importDataset(b: BridgeServer): Promise<number> {
  const csv = writePixelCsv(join(tempDir(), 'pixels.csv'), 40);
  const events: EventMessage[] = [];
  const off = b.services.subscribe((m) => events.push(m));
  try {
    const started = await b.services.invoke('datasets.import', { format: 'pixels', name: 'victim', csv, labelColumn: 'label', derive: [{ column: 'gender', values: [{ value: '0', name: 'M' }, { value: '1', name: 'F' }] }] });
    if (!started.ok) throw new Error(started.error.message);
    const { jobId } = started.value as { jobId: string };
    for (let i = 0; i < 400; i++) {
      const end = events.find((e) => (e.payload as { jobId: string }).jobId === jobId && e.event !== 'job.progress');
      if (end?.event === 'job.done') return (end.payload as { result: { datasetId: number } }).result.datasetId;
      if (end) throw new Error(`import ended ${end.event}: ${JSON.stringify(end.payload)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('import did not finish');
  } finally {
    off();
  }
}

async function datasetIds(b: BridgeServer): Promise<number[]> {
  const list = await api(b, 'datasets.list', {});
  return (list.value as { id: number }[]).map((d) => d.id);
}

/** The cookie an authorised page load sets, as a browser would send it back. */
async function pageCookie(b: BridgeServer): Promise<string> {
  const page = await raw(b, 'GET', `/?token=${b.token}`);
  expect(page.status).toBe(200);
  return String(page.headers['set-cookie']).split(';')[0]!;
}

describe('cross-site requests to the API', () => {
  it('refuses the page cookie alone (own Origin, JSON body): 403, the dataset stays', async () => {
    const b = await start();
    const datasetId = await importDataset(b);
    const cookie = await pageCookie(b);
    const res = await raw(b, 'POST', '/api/datasets.delete', { body: JSON.stringify({ datasetId }), headers: { cookie, origin: b.origin } });
    expect(res.status).toBe(403);
    expect(await datasetIds(b)).toEqual([datasetId]);
  });

  it('refuses the token in the URL query: 403, the dataset stays', async () => {
    const b = await start();
    const datasetId = await importDataset(b);
    const res = await raw(b, 'POST', `/api/datasets.delete?token=${b.token}`, { body: JSON.stringify({ datasetId }) });
    expect(res.status).toBe(403);
    expect(await datasetIds(b)).toEqual([datasetId]);
  });

  it('refuses the header token from another local origin: 403, the dataset stays', async () => {
    const b = await start();
    const datasetId = await importDataset(b);
    const cookie = await pageCookie(b);
    for (const origin of ['http://127.0.0.1:9999', 'http://localhost:9999', 'null', `https://127.0.0.1:${b.port}`]) {
      const res = await raw(b, 'POST', '/api/datasets.delete', { body: JSON.stringify({ datasetId }), headers: { 'x-fairbound-token': b.token, cookie, origin } });
      expect(res.status, origin).toBe(403);
    }
    expect(await datasetIds(b)).toEqual([datasetId]);
  });

  it('refuses a body that is not declared JSON (what a form or a no-cors fetch can send): 415, the dataset stays', async () => {
    const b = await start();
    const datasetId = await importDataset(b);
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await raw(b, 'POST', '/api/datasets.delete', { body: JSON.stringify({ datasetId }), headers: { 'x-fairbound-token': b.token, 'content-type': type } });
      expect(res.status, type).toBe(415);
    }
    expect(await datasetIds(b)).toEqual([datasetId]);
    // The same call, as the app makes it, is obeyed.
    const own = await raw(b, 'POST', '/api/datasets.delete', { body: JSON.stringify({ datasetId }), headers: { 'x-fairbound-token': b.token, origin: b.origin, 'content-type': 'application/json; charset=utf-8' } });
    expect(JSON.parse(own.body)).toEqual({ ok: true, value: { deleted: true } });
  });

  it('forbids framing on every response', async () => {
    const b = await start();
    for (const res of [await raw(b, 'GET', `/?token=${b.token}`), await raw(b, 'GET', '/'), await raw(b, 'GET', '/nope', { headers: { cookie: await pageCookie(b) } })]) {
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('refuses the page itself to a foreign Origin', async () => {
    const b = await start();
    expect((await raw(b, 'GET', `/?token=${b.token}`, { headers: { origin: 'http://127.0.0.1:9999' } })).status).toBe(403);
  });
});

/** Opens /events with the given Origin, sends `first` once open; resolves how it ended. */
function openEvents(b: BridgeServer, first: string | undefined, origin?: string): Promise<{ kind: 'refused'; status: number } | { kind: 'closed'; code: number } | { kind: 'ready'; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${b.port}/events?token=${b.token}`, origin === undefined ? {} : { origin });
    sockets.push(ws);
    ws.on('open', () => {
      if (first !== undefined) ws.send(first);
    });
    ws.on('unexpected-response', (_req, res) => resolve({ kind: 'refused', status: res.statusCode ?? 0 }));
    ws.once('message', (data) => {
      expect(JSON.parse(String(data))).toEqual({ ready: true });
      resolve({ kind: 'ready', ws });
    });
    ws.on('close', (code) => resolve({ kind: 'closed', code }));
    ws.on('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

describe('the event socket', () => {
  it('refuses a connection from a foreign Origin, even one that would send the token', async () => {
    const b = await start();
    expect(await openEvents(b, b.token, 'http://127.0.0.1:9999')).toEqual({ kind: 'refused', status: 403 });
  });

  it('closes a connection whose first message is not the token (the URL query and cookie do not count)', async () => {
    const b = await start();
    const cookie = await pageCookie(b);
    expect(await openEvents(b, 'hello', b.origin)).toEqual({ kind: 'closed', code: 1008 });
    expect(await openEvents(b, `${b.token}x`)).toEqual({ kind: 'closed', code: 1008 });
    const withCookie = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${b.port}/events`, { headers: { cookie }, origin: b.origin });
      sockets.push(ws);
      ws.on('open', () => ws.send('{}'));
      ws.on('close', (code) => resolve(code));
    });
    expect(withCookie).toBe(1008);
  });

  it('subscribes a connection whose first message is the token, from its own origin', async () => {
    const b = await start();
    const opened = await openEvents(b, b.token, b.origin);
    expect(opened.kind).toBe('ready');
    const ws = (opened as { ws: WebSocket }).ws;
    const got = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
    b.services.context.emit('job.cancelled', { jobId: 'j1', kind: 'import', reason: 'test' });
    expect(await got).toEqual({ event: 'job.cancelled', payload: { jobId: 'j1', kind: 'import', reason: 'test' } });
  });
});

/** Writes raw bytes, resolves everything the server sent until it closed the socket (or 3 s passed). */
function rawExchange(b: BridgeServer, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port: b.port }, () => socket.write(text));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    }, 3000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

describe('requests that used to crash the server', () => {
  it('answers 400 to a request target with a bad authority, and keeps serving', async () => {
    const b = await start();
    const answer = await rawExchange(b, `GET //a:99999/ HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect((await api(b, 'app.info', {})).ok).toBe(true);
  });

  it('refuses the same target as a WebSocket upgrade, and keeps serving', async () => {
    const b = await start();
    const answer = await rawExchange(
      b,
      `GET //a:99999/ HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(answer === '' || answer.startsWith('HTTP/1.1 400')).toBe(true);
    expect((await api(b, 'app.info', {})).ok).toBe(true);
  });

  it('turns an unexpected error in a handler into a logged 500, and keeps serving', async () => {
    const b = await start();
    const invoke = b.services.invoke.bind(b.services);
    b.services.invoke = () => {
      throw new Error('boom');
    };
    const res = await raw(b, 'POST', '/api/app.info', { body: '{}', headers: { 'x-fairbound-token': b.token } });
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('boom');
    expect(logged.some((m) => m.includes('/api/app.info'))).toBe(true);
    b.services.invoke = invoke;
    expect((await api(b, 'app.info', {})).ok).toBe(true);
  });
});

describe('limits', () => {
  const oversized = Buffer.alloc(MAX_BODY_BYTES + 64 * 1024, 0x20);

  it('answers 413 to a body over the cap (with Content-Length), and keeps serving', async () => {
    const b = await start();
    const res = await raw(b, 'POST', '/api/app.info', { body: oversized, headers: { 'x-fairbound-token': b.token } });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((await api(b, 'app.info', {})).ok).toBe(true);
  });

  it('answers 413 to a chunked body over the cap', async () => {
    const b = await start();
    const res = await raw(b, 'POST', '/api/app.info', { body: oversized, chunked: true, headers: { 'x-fairbound-token': b.token } });
    expect(res.status).toBe(413);
  });

  it('closes an event socket whose reader stopped, instead of buffering without bound', async () => {
    const b = await start();
    const stalled = await openEvents(b, b.token);
    const healthy = await openEvents(b, b.token);
    expect([stalled.kind, healthy.kind]).toEqual(['ready', 'ready']);
    const stalledWs = (stalled as { ws: WebSocket }).ws;
    const healthyWs = (healthy as { ws: WebSocket }).ws;
    let stalledGot = 0;
    let healthyGot = 0;
    stalledWs.on('message', () => stalledGot++);
    healthyWs.on('message', () => healthyGot++);
    const stalledClosed = new Promise<void>((resolve) => stalledWs.on('close', () => resolve()));
    // Stop reading: the kernel buffers fill, then the server's send buffer for this client grows.
    (stalledWs as unknown as { _socket: Socket })._socket.pause();

    const message = 'x'.repeat(100 * 1024);
    const total = 400; // 40 MiB in all, five times the server's cap plus what the kernel buffers
    for (let i = 0; i < total; i++) {
      b.services.context.emit('job.progress', { jobId: 'j1', kind: 'import', fraction: i / total, phase: 'flood', message });
      // Paced by the reading client (this process reads it too), which stays well under the cap.
      if (i % 10 === 9) await expect.poll(() => healthyGot, { timeout: 20_000, interval: 5 }).toBeGreaterThanOrEqual(i + 1 - 20);
    }
    expect(logged.some((m) => m.includes('stopped reading'))).toBe(true);
    (stalledWs as unknown as { _socket: Socket })._socket.resume();
    await stalledClosed;
    expect(stalledGot).toBeLessThan(total);
    await expect.poll(() => healthyGot, { timeout: 20_000 }).toBe(total);
    expect(healthyWs.readyState).toBe(WebSocket.OPEN);
  });
});

describe('the renderer keeps the token out of the address bar', () => {
  function fakes(search: string, stored: string | null = null) {
    const storage = new Map<string, string>(stored === null ? [] : [[TOKEN_STORAGE_KEY, stored]]);
    const replaced: string[] = [];
    return {
      location: { search, pathname: '/', hash: '#/runs/1' },
      storage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
      history: { state: null, replaceState: (_s: unknown, _t: string, url: string) => void replaced.push(url) },
      stored: () => storage.get(TOKEN_STORAGE_KEY),
      replaced,
    };
  }

  it('takes the token from the URL, stores it for reloads and drops it from the address, keeping the rest', () => {
    const f = fakes('?token=abc&x=1');
    expect(takeToken(f.location, f.storage, f.history)).toBe('abc');
    expect(f.stored()).toBe('abc');
    expect(f.replaced).toEqual(['/?x=1#/runs/1']);
    const only = fakes('?token=abc');
    takeToken(only.location, only.storage, only.history);
    expect(only.replaced).toEqual(['/#/runs/1']);
  });

  it('after a reload (no token in the URL) reads it from sessionStorage and leaves the address alone', () => {
    const f = fakes('', 'abc');
    expect(takeToken(f.location, f.storage, f.history)).toBe('abc');
    expect(f.replaced).toEqual([]);
    expect(takeToken(fakes('').location, undefined, f.history)).toBe('');
  });
});
