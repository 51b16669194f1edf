/**
 * Browser mode: `window.fairbound` over the bridge (`fairbound serve`), with the same interface the
 * Electron preload exposes. Requests are `POST /api/<route>` with the token from the page URL; events
 * arrive on a WebSocket that reconnects if the connection drops.
 */
import { API_PREFIX, createBridge, EVENTS_PATH, TOKEN_HEADER, TOKEN_QUERY, type FairboundBridge, type Transport } from '../../../src-shared/contract';

const RECONNECT_MS = 1000;

export function createBrowserTransport(location: Pick<Location, 'search' | 'host' | 'protocol'>): Transport {
  const token = new URLSearchParams(location.search).get(TOKEN_QUERY) ?? '';
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
        socket = new WebSocket(`${scheme}//${location.host}${EVENTS_PATH}?${TOKEN_QUERY}=${encodeURIComponent(token)}`);
        socket.addEventListener('message', (event) => {
          try {
            listener(JSON.parse(String(event.data)) as unknown);
          } catch {
            // not JSON: not ours
          }
        });
        socket.addEventListener('close', () => {
          if (!stopped) timer = setTimeout(connect, RECONNECT_MS);
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

export function createBrowserBridge(location: Location = window.location): FairboundBridge {
  return createBridge(createBrowserTransport(location));
}
