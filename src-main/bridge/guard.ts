/**
 * The bridge's checks on a request, before any route runs: the request target, the Host and Origin
 * headers, the token, the content type, and the size of the body. Each is a small pure function so the
 * server reads as the list of defences it applies.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const HOST = '127.0.0.1';

/** Constant-time comparison of a presented token with the server's. */
export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The request target as a URL, or undefined when it is not a plain path: `*`, an absolute URL, or one
 * starting with `//` (which `new URL(target, base)` would read as another host, and throw on with a bad
 * port). Never throws.
 */
export function parseTarget(target: string | undefined): URL | undefined {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(`http://${HOST}${target}`);
  } catch {
    return undefined;
  }
}

/** The origins this server has: by IP, or as localhost. */
export function ownOrigins(port: number): readonly string[] {
  return [`http://${HOST}:${port}`, `http://localhost:${port}`];
}

/** Host must be this server by IP or as localhost (a rebound DNS name is refused). */
export function hostAllowed(request: IncomingMessage, port: number): boolean {
  const host = request.headers.host;
  return host !== undefined && ownOrigins(port).includes(`http://${host}`);
}

/**
 * A request from a page of another origin (another local port included) is refused. Browsers send
 * Origin on every cross-origin POST and WebSocket; a request without one comes from a program, not a
 * page someone else controls.
 */
export function originAllowed(request: IncomingMessage, port: number): boolean {
  const origin = request.headers.origin;
  return origin === undefined || ownOrigins(port).includes(origin);
}

/** `application/json`, with or without parameters (charset). */
export function isJsonContentType(header: string | undefined): boolean {
  return (header ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

export type Body = { readonly kind: 'ok'; readonly text: string } | { readonly kind: 'too-large'; readonly drained: boolean } | { readonly kind: 'aborted' };

/**
 * Reads the body, keeping at most `maxBytes`. A larger body is read to its end and dropped (so the 413
 * that follows reaches the client instead of a connection reset), unless it passes `discardBytes` (or
 * declares so in Content-Length): then reading stops and `drained` is false, and the caller closes the
 * connection after answering. A client that goes away before the end gives `aborted`. Never rejects.
 */
export function readBody(request: IncomingMessage, maxBytes: number, discardBytes: number): Promise<Body> {
  return new Promise((resolve) => {
    const declared = Number(request.headers['content-length']);
    if (declared > discardBytes) {
      resolve({ kind: 'too-large', drained: false });
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (body: Body): void => {
      if (settled) return;
      settled = true;
      resolve(body);
    };
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else chunks = [];
      if (size > discardBytes) {
        request.pause();
        settle({ kind: 'too-large', drained: false });
      }
    });
    request.on('end', () => settle(size > maxBytes ? { kind: 'too-large', drained: true } : { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    request.on('error', () => settle({ kind: 'aborted' }));
    request.on('close', () => settle({ kind: 'aborted' }));
  });
}
