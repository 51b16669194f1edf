/**
 * The physical channels: two, whatever the number of routes. In Electron they are IPC channel names; in
 * browser mode `POST /api/<route>` plays the invoke channel and the WebSocket `/events` the event
 * channel. The envelopes below are what travels on them (values already in wire form).
 */
import { z } from 'zod';
import { errorData, type ErrorData } from './errors';

export const INVOKE_CHANNEL = 'fairbound:invoke';
export const EVENT_CHANNEL = 'fairbound:event';

/** Browser mode: the API prefix, the event socket's path, and where the token may travel. */
export const API_PREFIX = '/api/';
export const EVENTS_PATH = '/events';
export const TOKEN_QUERY = 'token';
export const TOKEN_HEADER = 'x-fairbound-token';

/** What the renderer sends on the invoke channel. */
export const invokeMessage = z.object({ route: z.string().max(100), input: z.unknown() });
export type InvokeMessage = z.infer<typeof invokeMessage>;

/** Every reply, success or not: errors are data. */
export const replyEnvelope = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: errorData }),
]);
export type ReplyEnvelope = z.infer<typeof replyEnvelope>;

/** What main pushes on the event channel. */
export const eventMessage = z.object({ event: z.string().max(100), payload: z.unknown() });
export type EventMessage = z.infer<typeof eventMessage>;

/** A reply as the UI consumes it: the decoded value, or the error as data. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorData };
