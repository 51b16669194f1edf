/**
 * Browser mode: the contract over HTTP + WebSocket on 127.0.0.1, serving the built
 * renderer, so the real UI runs against the real services in any browser (and in the e2e tests).
 *
 *   GET  /?token=T          the renderer (index.html; sets an HttpOnly cookie so its assets load)
 *   GET  /assets/…          the renderer's files
 *   POST /api/<route>       JSON body = the route's input in wire form → { ok, value } | { ok: false, error }
 *   WS   /events?token=T    every event as { event, payload }
 *
 * Every request needs the token (query `token`, header `x-fairbound-token`, or the cookie set by the
 * page); without it: 403. The Host header must name this server (no DNS rebinding), the server listens
 * on 127.0.0.1 only, and no CORS headers are sent, so other web pages can neither call nor read it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_PREFIX, EVENTS_PATH, TOKEN_HEADER, TOKEN_QUERY, type ReplyEnvelope } from '../../src-shared/contract/channels';
import { createServices, type Services, type ServicesOptions } from '../services';

export interface BridgeOptions {
  /** 0 or absent: a free port. */
  readonly port?: number;
  readonly dbPath: string;
  /** The built renderer (out/renderer). */
  readonly rendererDir: string;
  /** For tests: a fixed token (else 32 random bytes). */
  readonly token?: string;
  readonly services?: Omit<ServicesOptions, 'dbPath' | 'runtime'>;
}

export interface BridgeServer {
  /** The page to open, with the token: `http://127.0.0.1:PORT/?token=…`. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  readonly services: Services;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 1 << 20;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function send(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, envelope: ReplyEnvelope): void {
  send(response, status, JSON.stringify(envelope), 'application/json; charset=utf-8');
}

/** A route name from the path; a malformed escape yields a name no route has. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startBridgeServer(options: BridgeOptions): Promise<BridgeServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const services = createServices({ ...options.services, dbPath: options.dbPath, runtime: 'browser' });
  let port = 0;
  const cookieName = (): string => `fairbound_token_${port}`;

  /** Host must be this server by IP or as localhost (a rebound DNS name is refused). */
  const hostAllowed = (request: IncomingMessage): boolean => request.headers.host === `${HOST}:${port}` || request.headers.host === `localhost:${port}`;

  const authorised = (request: IncomingMessage, url: URL): boolean => {
    const header = request.headers[TOKEN_HEADER];
    return (
      sameToken(url.searchParams.get(TOKEN_QUERY) ?? undefined, token) ||
      sameToken(typeof header === 'string' ? header : undefined, token) ||
      sameToken(cookieValue(request.headers.cookie, cookieName()), token)
    );
  };

  const serveFile = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      send(response, 400, 'bad path');
      return;
    }
    const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
    const file = normalize(join(rendererDir, relative));
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) {
      send(response, 404, 'not found');
      return;
    }
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      send(response, 404, relative === 'index.html' ? `the UI is not built (no ${file}): run npm run build:app` : 'not found');
      return;
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(info.size),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    // The page's own requests (scripts, styles, chunks) carry the token as a cookie scoped to this port.
    if (url.searchParams.has(TOKEN_QUERY)) headers['set-cookie'] = `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    response.writeHead(200, headers);
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  };

  const handleApi = async (request: IncomingMessage, response: ServerResponse, route: string): Promise<void> => {
    if (request.method !== 'POST') {
      send(response, 405, 'use POST');
      return;
    }
    let input: unknown;
    try {
      const body = await readBody(request);
      input = body.trim() === '' ? {} : (JSON.parse(body) as unknown);
    } catch (err) {
      sendJson(response, 400, { ok: false, error: { name: 'BadRequest', code: 'bad_request', message: `the body is not JSON: ${err instanceof Error ? err.message : String(err)}` } });
      return;
    }
    const reply = await services.invoke(route, input);
    sendJson(response, !reply.ok && reply.error.code === 'unknown_route' ? 404 : 200, reply);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    if (!hostAllowed(request) || !authorised(request, url)) {
      send(response, 403, 'forbidden: open the URL printed by `fairbound serve`, which carries the token');
      return;
    }
    const work = url.pathname.startsWith(API_PREFIX)
      ? handleApi(request, response, safeDecode(url.pathname.slice(API_PREFIX.length)))
      : request.method === 'GET' || request.method === 'HEAD'
        ? serveFile(request, response, url)
        : Promise.resolve(send(response, 405, 'method not allowed'));
    work.catch((err: unknown) => {
      if (!response.headersSent) send(response, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      else response.destroy();
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    const origin = request.headers.origin;
    const originAllowed = origin === undefined || origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== EVENTS_PATH || !hostAllowed(request) || !originAllowed || !authorised(request, url)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
      // The channel is one-way: anything the page sends is ignored.
    });
  });
  const unsubscribe = services.subscribe((message) => {
    const text = JSON.stringify(message);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, HOST, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (err) {
    await services.close();
    throw err;
  }
  port = (server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?${TOKEN_QUERY}=${token}`,
    origin,
    port,
    token,
    services,
    close() {
      closing ??= (async () => {
        unsubscribe();
        for (const ws of clients) ws.terminate();
        sockets.close();
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
        await services.close();
      })();
      return closing;
    },
  };
}
