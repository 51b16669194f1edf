/** Bridge `run.event`s → the runs store, outside the store (style example 11), one batch per frame. */
import type { EventPayload, FairboundBridge } from '../../../src-shared/contract';
import { frameQueue } from './job-events';

export function bindRunEvents(api: FairboundBridge, store: { apply(batch: readonly EventPayload<'run.event'>[]): void }, schedule: (callback: () => void) => unknown): () => void {
  const push = frameQueue<EventPayload<'run.event'>>((items) => store.apply(items), schedule);
  return api.on('run.event', push);
}
