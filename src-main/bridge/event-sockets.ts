/**
 * The `/events` WebSocket: the page opens it without credentials and sends the token as its first
 * message; the server answers READY_MESSAGE and from then on pushes every event as { event, payload }.
 * A first message that is not the token, or none within AUTH_TIMEOUT_MS, closes the socket (code 1008).
 * Anything the page sends after the token is ignored.
 *
 * A client that stops reading is closed once more than `maxBufferedBytes` wait in its send buffer, so a
 * stalled tab cannot grow the server's memory without bound.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventMessage } from '../../src-shared/contract/channels';
import { sameToken } from './guard';

/** What the server sends once the token is accepted (not an event: the contract's client ignores it). */
export const READY_MESSAGE = JSON.stringify({ ready: true });
export const POLICY_VIOLATION = 1008;
const AUTH_TIMEOUT_MS = 10_000;

export interface EventSocketsOptions {
  readonly token: string;
  readonly maxBufferedBytes: number;
  readonly log: (message: string, error: unknown) => void;
}

export interface EventSockets {
  /** Completes a WebSocket handshake the server has already checked (path, Host, Origin). */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  broadcast(message: EventMessage): void;
  close(): void;
}

export function createEventSockets(options: EventSocketsOptions): EventSockets {
  const server = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Set<WebSocket>();

  const admit = (ws: WebSocket): void => {
    const timer = setTimeout(() => ws.close(POLICY_VIOLATION, 'no access token'), AUTH_TIMEOUT_MS);
    ws.on('close', () => {
      clearTimeout(timer);
      clients.delete(ws);
    });
    ws.on('error', () => {
      clearTimeout(timer);
      clients.delete(ws);
    });
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      const given = isBinary ? undefined : Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
      if (!sameToken(given, options.token)) {
        ws.close(POLICY_VIOLATION, 'access token refused');
        return;
      }
      clients.add(ws);
      ws.send(READY_MESSAGE);
    });
  };

  return {
    accept(request, socket, head) {
      server.handleUpgrade(request, socket, head, admit);
    },
    broadcast(message) {
      const text = JSON.stringify(message);
      for (const ws of clients) {
        if (ws.readyState !== ws.OPEN) continue;
        if (ws.bufferedAmount > options.maxBufferedBytes) {
          options.log(`closing an event socket that stopped reading (${ws.bufferedAmount} bytes waiting)`, null);
          clients.delete(ws);
          ws.terminate();
          continue;
        }
        ws.send(text);
      }
    },
    close() {
      // server.clients holds every open socket, those still waiting for their token too.
      for (const ws of server.clients) ws.terminate();
      clients.clear();
      server.close();
    },
  };
}
