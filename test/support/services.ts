/**
 * Driving `createServices` the way the bridge does: routes called with their replies checked,
 * events collected, a job's end awaited, and the small image workspace the deep runs and experiments use.
 */
import { join } from 'node:path';
import type { EventMessage } from '../../src-shared/contract';
import { insertSyntheticImageDataset } from './synthetic-image-dataset';
import { createServices, type Services, type ServicesOptions } from '../../src-main/services';
import { openWorkspace } from '../../src-main/store/database';

/** Polls `find` until it returns something (every `pollMs`); throws after `ms`. */
export async function until<T>(find: () => T | undefined, ms: number, pollMs = 25): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The reply's value; the reply's error message as a thrown error. */
export async function value(services: Services, route: string, input: unknown): Promise<unknown> {
  const reply = await services.invoke(route, input);
  if (!reply.ok) throw new Error(`${route}: ${reply.error.message}`);
  return reply.value;
}

/** Every event the services send from now on, in order. */
export function collect(services: Services): EventMessage[] {
  const seen: EventMessage[] = [];
  services.subscribe((m) => seen.push(m));
  return seen;
}

/** A finder (for `until`) of the job's terminal event: job.done, job.failed or job.cancelled. */
export const terminal = (seen: EventMessage[], jobId: string) => (): EventMessage | undefined =>
  seen.find((m) => m.event !== 'job.progress' && m.event !== 'run.event' && (m.payload as { jobId: string }).jobId === jobId);

/** The job's job.progress messages so far. */
export const progressMessages = (seen: EventMessage[], jobId: string): string[] =>
  seen
    .filter((m) => m.event === 'job.progress' && (m.payload as { jobId: string }).jobId === jobId)
    .map((m) => (m.payload as { message?: string }).message ?? '');

/**
 * A workspace `dir`/w.db holding the synthetic image dataset 'bands' (16×16 grey, 2 classes, groups A
 * and B): small enough for a deep run or trial in seconds on wasm.
 */
export function bandsWorkspace(dir: string, { n = 120, seed = 3 }: { n?: number; seed?: number } = {}): { dbPath: string; datasetId: number } {
  const dbPath = join(dir, 'w.db');
  const db = openWorkspace(dbPath);
  try {
    return { dbPath, datasetId: insertSyntheticImageDataset(db, { name: 'bands', n, size: 16, numClasses: 2, seed }).id };
  } finally {
    db.close();
  }
}

/**
 * Services for the length of `body`, with every event collected; closed after, also on failure.
 * Browser mode with unexpected errors unlogged unless `options` says otherwise.
 */
export async function withServices(
  options: Pick<ServicesOptions, 'dbPath'> & Partial<ServicesOptions>,
  body: (services: Services, seen: EventMessage[]) => Promise<void>,
): Promise<void> {
  const services = createServices({ runtime: 'browser', log: () => undefined, ...options });
  const seen = collect(services);
  try {
    await body(services, seen);
  } finally {
    await services.close();
  }
}
