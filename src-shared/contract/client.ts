/**
 * The client half of the contract, shared by the Electron preload and browser mode: given a transport
 * (IPC, or HTTP + WebSocket), it builds `window.fairbound = { runtime, invoke, on }`.
 *
 * `invoke` encodes and validates the input, sends `{ route, input }`, and validates and decodes the
 * reply; it never rejects. It resolves to `{ ok: true, value }` or `{ ok: false, error }` (the error as
 * data), because Electron's contextBridge drops the class of a thrown error: the renderer rebuilds
 * the typed error itself (`errorFromData`).
 */
import { z } from 'zod';
import { eventMessage, replyEnvelope, type Result } from './channels';
import type { ErrorData } from './errors';
import { badRequestData } from './issues';
import { events, isEventName, isRouteName, routes, type EventName, type EventPayload, type RouteInput, type RouteName, type RouteOutput } from './routes';
import type { Runtime } from './schemas';

export interface Transport {
  readonly runtime: Runtime;
  /** Sends one request; resolves to the raw reply envelope, rejects only when the other side is unreachable. */
  request(route: RouteName, wireInput: unknown): Promise<unknown>;
  /** Subscribes to raw event messages; returns the unsubscribe function. */
  subscribe(listener: (message: unknown) => void): () => void;
}

export interface FairboundBridge {
  readonly runtime: Runtime;
  invoke<K extends RouteName>(route: K, input: RouteInput<K>): Promise<Result<RouteOutput<K>>>;
  /** Calls `handler` with each event of that name (validated); returns the unsubscribe function. */
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
}

function failure(code: ErrorData['code'], name: string, message: string): { ok: false; error: ErrorData } {
  return { ok: false, error: { name, code, message } };
}

/** One readable line for a schema mismatch: `constraints[0].delta: Too big: expected number to be <1`. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}

export function createBridge(transport: Transport): FairboundBridge {
  const handlers = new Map<string, Set<(payload: never) => void>>();
  let unsubscribe: (() => void) | undefined;

  const deliver = (raw: unknown): void => {
    const message = eventMessage.safeParse(raw);
    if (!message.success || !isEventName(message.data.event)) return;
    const listeners = handlers.get(message.data.event);
    if (!listeners || listeners.size === 0) return;
    const payload = z.safeDecode(events[message.data.event].payload as z.ZodType, message.data.payload);
    if (!payload.success) return; // a newer main with an event this client does not understand
    for (const listener of [...listeners]) (listener as (p: unknown) => void)(payload.data);
  };

  return {
    runtime: transport.runtime,

    async invoke<K extends RouteName>(route: K, input: RouteInput<K>): Promise<Result<RouteOutput<K>>> {
      if (!isRouteName(route)) return failure('unknown_route', 'UnknownRoute', `no route named '${String(route)}'`);
      const def = routes[route];
      const encoded = z.safeEncode(def.input as z.ZodType, input);
      if (!encoded.success) return { ok: false, error: badRequestData(route, encoded.error, input) };
      let raw: unknown;
      try {
        raw = await transport.request(route, encoded.data);
      } catch (err) {
        return failure('unavailable', 'Unavailable', `cannot reach Fairbound's main process: ${err instanceof Error ? err.message : String(err)}`);
      }
      const envelope = replyEnvelope.safeParse(raw);
      if (!envelope.success) return failure('internal', 'BadReply', `${route}: the reply is not a contract envelope`);
      if (!envelope.data.ok) return { ok: false, error: envelope.data.error };
      const value = z.safeDecode(def.output as z.ZodType, envelope.data.value);
      if (!value.success) return failure('internal', 'BadReply', `${route}: the reply does not match the contract (${describeIssues(value.error)})`);
      return { ok: true, value: value.data as RouteOutput<K> };
    },

    on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
      if (!isEventName(event)) throw new Error(`no event named '${String(event)}'`);
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler as (payload: never) => void);
      unsubscribe ??= transport.subscribe(deliver);
      return () => {
        set.delete(handler as (payload: never) => void);
        if ([...handlers.values()].every((s) => s.size === 0) && unsubscribe) {
          unsubscribe();
          unsubscribe = undefined;
        }
      };
    },
  };
}
