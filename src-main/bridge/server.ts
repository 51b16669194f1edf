/**
 * Browser mode: the contract over HTTP + WebSocket on 127.0.0.1, serving the built
 * renderer, so the real UI runs against the real services in any browser (and in the e2e tests).
 *
 *   GET  /?token=T          the renderer (index.html); sets an HttpOnly cookie so its files, and a reload, load
 *   GET  /assets/…          the renderer's files (the token query or that cookie)
 *   POST /api/<route>       header `x-fairbound-token: T`, `Content-Type: application/json`, JSON body = the
 *                           route's input in wire form → { ok, value } | { ok: false, error }
 *   WS   /events            first message from the client: T; then every event as { event, payload }
 *
 * The API and the events accept the token only from the header or the socket's first message, never
 * from the cookie or the URL: browsers attach cookies to requests any other local page (any port)
 * makes, and a URL leaks into history and logs. Every request's Host must name this server (no DNS
 * rebinding), a request carrying an Origin other than this server's is refused (403), an API call
 * must be JSON (else 415, so a plain HTML form or a no-cors fetch cannot send one), no CORS headers are
 * sent, and no page may frame this one. The server listens on 127.0.0.1 only. Bodies over
 * MAX_BODY_BYTES get 413; an event socket that stops reading is closed past MAX_BUFFERED_BYTES.
 * An unexpected error in a handler is logged and answered 500 (or the socket destroyed): one request
 * never ends the process, and the jobs it runs.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import { API_PREFIX, EVENTS_PATH, TOKEN_HEADER, TOKEN_QUERY, type ReplyEnvelope } from '../../src-shared/contract/channels';
import { log as processLog } from '../logging/log';
import { createServices, type Services, type ServicesOptions } from '../services';
import { createEventSockets } from './event-sockets';
import { cookieValue, HOST, hostAllowed, isJsonContentType, originAllowed, parseTarget, readBody, sameToken } from './guard';

export interface BridgeOptions {
  /** 0 or absent: a free port. */
  readonly port?: number;
  readonly dbPath: string;
  /** The built renderer (out/renderer). */
  readonly rendererDir: string;
  /** For tests: a fixed token (else 32 random bytes). */
  readonly token?: string;
  readonly services?: Omit<ServicesOptions, 'dbPath' | 'runtime'>;
  /** Unexpected errors of the server itself; default the services' log, else console.error. */
  readonly log?: (message: string, error: unknown) => void;
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

/** The largest request body kept; a larger one is read and dropped up to DISCARD_BODY_BYTES, then 413. */
export const MAX_BODY_BYTES = 1 << 20;
const DISCARD_BODY_BYTES = 16 << 20;
/** An event socket with more than this waiting to be sent (its reader stalled) is closed. */
export const MAX_BUFFERED_BYTES = 8 << 20;

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

/** Sent with every response. The page's own CSP is a meta tag, where frame-ancestors has no effect: it is here. */
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

function send(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: OutgoingHttpHeaders = {}): void {
  response.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, ...extra });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, envelope: ReplyEnvelope, extra: OutgoingHttpHeaders = {}): void {
  send(response, status, JSON.stringify(envelope), 'application/json; charset=utf-8', extra);
}

function badRequest(message: string): ReplyEnvelope {
  return { ok: false, error: { name: 'BadRequest', code: 'bad_request', message } };
}

/** A route name from the path; a malformed escape yields a name no route has. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A request target fit for a log line: the query may hold the token. */
function withoutQuery(target: string | undefined): string {
  return (target ?? '?').split('?')[0]!;
}

/** Refuses an upgrade with a bare status line and closes the socket. */
function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startBridgeServer(options: BridgeOptions): Promise<BridgeServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const log = options.log ?? options.services?.log ?? ((message: string, error: unknown) => console.error(message, error));
  const services = createServices({ ...options.services, dbPath: options.dbPath, runtime: 'browser' });
  let port = 0;
  const cookieName = (): string => `fairbound_token_${port}`;

  /** The page and its files: the token in the query (the printed URL) or the cookie that page load set. */
  const pageAuthorised = (request: IncomingMessage, url: URL): boolean =>
    sameToken(url.searchParams.get(TOKEN_QUERY) ?? undefined, token) || sameToken(cookieValue(request.headers.cookie, cookieName()), token);

  /** The API: the header only. */
  const apiAuthorised = (request: IncomingMessage): boolean => {
    const header = request.headers[TOKEN_HEADER];
    return sameToken(typeof header === 'string' ? header : undefined, token);
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
    const headers: OutgoingHttpHeaders = { ...COMMON_HEADERS, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': String(info.size) };
    // The page's own requests (scripts, styles, chunks) and a reload carry the token as a cookie scoped to
    // this port. It opens these public build files only: the API and the events ignore it.
    if (url.searchParams.has(TOKEN_QUERY)) headers['set-cookie'] = `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    response.writeHead(200, headers);
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    pipeline(createReadStream(file), response, (err) => {
      if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') log(`reading ${file} failed`, err);
    });
  };

  const handleApi = async (request: IncomingMessage, response: ServerResponse, route: string): Promise<void> => {
    if (request.method !== 'POST') {
      send(response, 405, 'use POST', undefined, { allow: 'POST' });
      return;
    }
    if (!isJsonContentType(request.headers['content-type'])) {
      sendJson(response, 415, badRequest('the body must be sent as Content-Type: application/json'));
      return;
    }
    const body = await readBody(request, MAX_BODY_BYTES, DISCARD_BODY_BYTES);
    if (body.kind === 'aborted') {
      response.destroy();
      return;
    }
    if (body.kind === 'too-large') {
      sendJson(response, 413, badRequest(`the request body is larger than ${MAX_BODY_BYTES} bytes`), body.drained ? {} : { connection: 'close' });
      return;
    }
    let input: unknown;
    try {
      input = body.text.trim() === '' ? {} : (JSON.parse(body.text) as unknown);
    } catch (err) {
      sendJson(response, 400, badRequest(`the body is not JSON: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    const reply = await services.invoke(route, input);
    processLog.debug(`api ${route}: ${reply.ok ? 'ok' : reply.error.code}`);
    sendJson(response, !reply.ok && reply.error.code === 'unknown_route' ? 404 : 200, reply);
  };

  const handleRequest = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = parseTarget(request.url);
    if (url === undefined) {
      send(response, 400, 'bad request target');
      return;
    }
    if (!hostAllowed(request, port) || !originAllowed(request, port)) {
      processLog.warn(`refused ${request.method ?? '?'} ${withoutQuery(request.url)}: another host or origin`);
      send(response, 403, 'forbidden: this server answers its own pages only');
      return;
    }
    if (url.pathname.startsWith(API_PREFIX)) {
      if (!apiAuthorised(request)) {
        send(response, 403, `forbidden: the API takes the access token in the ${TOKEN_HEADER} header only`);
        return;
      }
      await handleApi(request, response, safeDecode(url.pathname.slice(API_PREFIX.length)));
      return;
    }
    if (!pageAuthorised(request, url)) {
      send(response, 403, 'forbidden: open the URL printed by `fairbound serve`, which carries the token');
      return;
    }
    if (request.method === 'GET' || request.method === 'HEAD') await serveFile(request, response, url);
    else send(response, 405, 'method not allowed', undefined, { allow: 'GET, HEAD' });
  };

  const failed = (what: string, response: ServerResponse) => (err: unknown) => {
    try {
      log(`${what} failed unexpectedly:`, err);
      if (!response.headersSent) send(response, 500, 'internal error', undefined, { connection: 'close' });
      else response.destroy();
    } catch {
      response.destroy();
    }
  };

  const server = createServer((request, response) => {
    const fail = failed(`${request.method ?? '?'} ${withoutQuery(request.url)}`, response);
    try {
      handleRequest(request, response).catch(fail);
    } catch (err) {
      fail(err);
    }
  });

  const events = createEventSockets({ token, maxBufferedBytes: MAX_BUFFERED_BYTES, log });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // After an upgrade the http server no longer handles this socket's errors: a reset must not throw.
    socket.on('error', () => socket.destroy());
    try {
      const url = parseTarget(request.url);
      if (url === undefined) {
        refuseUpgrade(socket, '400 Bad Request');
        return;
      }
      if (url.pathname !== EVENTS_PATH || !hostAllowed(request, port) || !originAllowed(request, port)) {
        refuseUpgrade(socket, '403 Forbidden');
        return;
      }
      events.accept(request, socket, head);
    } catch (err) {
      log(`upgrade ${withoutQuery(request.url)} failed unexpectedly:`, err);
      socket.destroy();
    }
  });
  const unsubscribe = services.subscribe((message) => {
    try {
      events.broadcast(message);
    } catch (err) {
      log('sending an event failed unexpectedly:', err);
    }
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
  server.on('error', (err) => log('the bridge server reported an error:', err));
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
        events.close();
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
        await services.close();
      })();
      return closing;
    },
  };
}
