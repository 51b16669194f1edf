/**
 * Browser mode: `window.fairbound` over the bridge (`fairbound serve`), with the same interface the
 * Electron preload exposes. Requests are `POST /api/<route>` with the token in a header; events arrive
 * on a WebSocket, whose first message is the token, that reconnects if the connection drops.
 * The token comes from the page URL, then the tab's sessionStorage (access-token.ts).
 */
import { API_PREFIX, createBridge, EVENTS_PATH, TOKEN_HEADER, type FairboundBridge, type Transport } from '../../../src-shared/contract';
import { takeToken } from './access-token';

const RECONNECT_MS = 1000;
/** The server closes an event socket with this code when the token is wrong: reconnecting would not help. */
const POLICY_VIOLATION = 1008;

export function createBrowserTransport(location: Pick<Location, 'host' | 'protocol'>, token: string): Transport {
  return {
    runtime: 'browser',
    async request(route, input) {
      const response = await fetch(`${API_PREFIX}${encodeURIComponent(route)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
        body: JSON.stringify(input),
      });
      if (response.status === 403) throw new Error('the access token was refused: open the URL that `fairbound serve` printed');
      return response.json() as Promise<unknown>;
    },
    subscribe(listener) {
      let socket: WebSocket | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let stopped = false;
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const connect = (): void => {
        const ws = new WebSocket(`${scheme}//${location.host}${EVENTS_PATH}`);
        socket = ws;
        ws.addEventListener('open', () => ws.send(token));
        ws.addEventListener('message', (event) => {
          try {
            // The server's "ready" reply is not an event: the contract's client ignores it.
            listener(JSON.parse(String(event.data)) as unknown);
          } catch {
            // not JSON: not ours
          }
        });
        ws.addEventListener('close', (event) => {
          if (!stopped && event.code !== POLICY_VIOLATION) timer = setTimeout(connect, RECONNECT_MS);
        });
      };
      connect();
      return () => {
        stopped = true;
        clearTimeout(timer);
        socket?.close();
      };
    },
  };
}

export function createBrowserBridge(): FairboundBridge {
  let storage: Storage | undefined;
  try {
    storage = window.sessionStorage;
  } catch {
    storage = undefined; // storage disabled for this site
  }
  const token = takeToken(window.location, storage, window.history);
  return createBridge(createBrowserTransport(window.location, token));
}
