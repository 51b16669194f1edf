/**
 * The UI's way to call main: `call(route, input)` resolves to the route's output or throws the typed
 * error rebuilt from the reply (FairboundInputError with file/row/column, FairboundConstraintError with
 * its caret, FairboundError otherwise).
 */
import { errorFromData, FairboundError, type FairboundBridge, type RouteInput, type RouteName, type RouteOutput } from '../../../src-shared/contract';

export function bridge(): FairboundBridge {
  const api = window.fairbound;
  if (!api) throw new FairboundError({ name: 'Unavailable', code: 'unavailable', message: 'window.fairbound is missing: the page was opened outside Fairbound' });
  return api;
}

export async function call<K extends RouteName>(route: K, input: RouteInput<K>): Promise<RouteOutput<K>> {
  const reply = await bridge().invoke(route, input);
  if (reply.ok) return reply.value;
  throw errorFromData(reply.error);
}

/** Any caught value as a FairboundError, so the UI shows a message and never a stack. */
export function asFairboundError(err: unknown): FairboundError {
  if (err instanceof FairboundError) return err;
  return new FairboundError({ name: err instanceof Error ? err.name : 'Error', code: 'internal', message: err instanceof Error ? err.message : String(err) });
}
