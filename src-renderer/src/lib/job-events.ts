/**
 * Bridge events → the jobs store, bound outside the store (which stays plain state, testable without a
 * bridge), coalesced per animation frame so a burst of events re-renders once: events are queued as
 * they arrive and applied in one batch per frame, keeping only the latest progress of each job in a batch.
 */
import type { EventPayload, FairboundBridge } from '../../../src-shared/contract';

export type JobEvent =
  | { readonly event: 'job.progress'; readonly payload: EventPayload<'job.progress'> }
  | { readonly event: 'job.done'; readonly payload: EventPayload<'job.done'> }
  | { readonly event: 'job.failed'; readonly payload: EventPayload<'job.failed'> }
  | { readonly event: 'job.cancelled'; readonly payload: EventPayload<'job.cancelled'> };

/** Drops each progress event that a later event of the same job in the batch supersedes. */
export function coalesce(batch: readonly JobEvent[]): JobEvent[] {
  const lastProgress = new Map<string, number>();
  batch.forEach((e, i) => {
    if (e.event === 'job.progress') lastProgress.set(e.payload.jobId, i);
  });
  return batch.filter((e, i) => e.event !== 'job.progress' || lastProgress.get(e.payload.jobId) === i);
}

/** Calls `flush` once per frame with what was queued since the last one. */
export function frameQueue<T>(flush: (items: T[]) => void, schedule: (callback: () => void) => unknown): (item: T) => void {
  let pending: T[] = [];
  let scheduled = false;
  return (item) => {
    pending.push(item);
    if (scheduled) return;
    scheduled = true;
    schedule(() => {
      scheduled = false;
      const items = pending;
      pending = [];
      flush(items);
    });
  };
}

/** `schedule` is requestAnimationFrame in the page. */
export function bindJobEvents(api: FairboundBridge, store: { apply(batch: readonly JobEvent[]): void }, schedule: (callback: () => void) => unknown): () => void {
  const push = frameQueue<JobEvent>((items) => store.apply(coalesce(items)), schedule);
  const offs = [
    api.on('job.progress', (payload) => push({ event: 'job.progress', payload })),
    api.on('job.done', (payload) => push({ event: 'job.done', payload })),
    api.on('job.failed', (payload) => push({ event: 'job.failed', payload })),
    api.on('job.cancelled', (payload) => push({ event: 'job.cancelled', payload })),
  ];
  return () => offs.forEach((off) => off());
}
