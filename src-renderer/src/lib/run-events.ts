/** Bridge `run.event`s → the runs store, bound outside the store (which stays plain state), one batch per frame. */
import type { EventPayload, FairboundBridge } from '../../../src-shared/contract';
import { frameQueue } from './job-events';

export function bindRunEvents(api: FairboundBridge, store: { apply(batch: readonly EventPayload<'run.event'>[]): void }, schedule: (callback: () => void) => unknown): () => void {
  const push = frameQueue<EventPayload<'run.event'>>((items) => store.apply(items), schedule);
  return api.on('run.event', push);
}
