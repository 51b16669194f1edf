/**
 * The services behind the contract, for any transport: Electron IPC (src-main/shell) and the HTTP +
 * WebSocket bridge (src-main/bridge) both call `invoke(route, wireInput)` and `subscribe(listener)`.
 *
 * `invoke` re-checks the route name (own keys of the contract only), decodes and validates the input,
 * runs the handler, validates and encodes the output, and always resolves to a reply envelope: errors
 * are data, never a rejected promise and never a stack trace.
 */
import { z } from 'zod';
import type { EventMessage, ReplyEnvelope } from '../../src-shared/contract/channels';
import { describeIssues } from '../../src-shared/contract/client';
import { badRequestData } from '../../src-shared/contract/issues';
import { events, isRouteName, routes, type EventName, type EventPayload, type RouteName } from '../../src-shared/contract/routes';
import type { Runtime } from '../../src-shared/contract/schemas';
import { openWorkspace, type OpenOptions } from '../store/database';
import { tryRecoverInterrupted } from '../store/interrupted';
import type { Handler, HandlerTable, ServiceContext } from './context';
import { isUnexpected, toErrorData } from '../jobs/error-data';
import { handlers as defaultHandlers } from './handlers';
import { AuditRowsCache } from './audit-threshold';
import { JobRunner, type JobRunnerOptions } from '../jobs/job-runner';
import { DeepWorkerQueue, type DeepWorkerQueueOptions } from '../jobs/worker-queue/deep-worker-queue';
import type { WorkerThreadEntry } from '../jobs/worker-thread';
import packageJson from '../../package.json';

export type { Handler, HandlerTable, ServiceContext } from './context';

export interface ServicesOptions {
  /** The workspace database file (resolveDatabasePath decides it). */
  readonly dbPath: string;
  readonly runtime: Runtime;
  /** better-sqlite3 options (the Electron app passes its rebuilt addon). */
  readonly openOptions?: OpenOptions;
  readonly electronVersion?: string | null;
  /** For tests: replace some handlers. */
  readonly handlers?: Partial<HandlerTable>;
  readonly jobs?: JobRunnerOptions;
  /** How training runs find their worker (the Electron main bundle passes its own entry). */
  readonly training?: DeepWorkerQueueOptions;
  /** Where experiments' trial worker threads start from (default: src-main/jobs/worker-entry.ts). */
  readonly trialWorkerEntry?: WorkerThreadEntry;
  /** Where import worker threads start from (default: src-main/jobs/worker-entry.ts). */
  readonly importWorkerEntry?: WorkerThreadEntry;
  /** Unexpected errors (bugs) are logged here with their stack; default console.error. */
  readonly log?: (message: string, error: unknown) => void;
}

export interface Services {
  /** Dispatches one request; always resolves to an envelope with the value in wire form. */
  invoke(route: unknown, wireInput: unknown): Promise<ReplyEnvelope>;
  /** Receives every event in wire form; returns the unsubscribe function. */
  subscribe(listener: (message: EventMessage) => void): () => void;
  readonly context: ServiceContext;
  /** Cancels running jobs, waits for them, closes the database. */
  close(): Promise<void>;
}

/**
 * A write on the shared connection while an import holds the write lock waits this long, blocking the
 * event loop (better-sqlite3 is synchronous), then answers "busy" instead of freezing the app.
 */
const SHARED_BUSY_TIMEOUT_MS = 250;

export function createServices(options: ServicesOptions): Services {
  const log = options.log ?? ((message: string, error: unknown) => console.error(message, error));
  const listeners = new Set<(message: EventMessage) => void>();
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    const encoded = z.safeEncode(events[event].payload as z.ZodType, payload);
    if (!encoded.success) {
      log(`event ${event} does not match the contract (${describeIssues(encoded.error)}); not sent`, payload);
      return;
    }
    for (const listener of [...listeners]) listener({ event, payload: encoded.data });
  };

  const db = openWorkspace(options.dbPath, options.openOptions);
  // These services own jobs from now on: runs and experiments left running by a process that has died
  // (app closed mid-run, crash) are ended first, so they show as interrupted and can be deleted. Before
  // the short busy timeout below, so a moment of another process's writing does not skip it.
  tryRecoverInterrupted(db, (message) => log(message, null));
  db.pragma(`busy_timeout = ${SHARED_BUSY_TIMEOUT_MS}`);
  const jobs = new JobRunner(emit, { log, ...options.jobs });
  let training: DeepWorkerQueue | null = null;
  const context: ServiceContext = {
    db,
    dbPath: options.dbPath,
    openOptions: options.openOptions ?? {},
    runtime: options.runtime,
    jobs,
    version: packageJson.version,
    electronVersion: options.electronVersion ?? null,
    emit,
    deepWorker: () => {
      if (closed) throw new Error('Fairbound is shutting down');
      training ??= new DeepWorkerQueue({ ...(options.openOptions?.nativeBinding ? { nativeBinding: options.openOptions.nativeBinding } : {}), ...options.training });
      return training;
    },
    deepWorkerIfStarted: () => training,
    activeRuns: new Map(),
    activeExperiments: new Map(),
    auditRows: new AuditRowsCache(),
    ...(options.trialWorkerEntry ? { trialWorkerEntry: options.trialWorkerEntry } : {}),
    ...(options.importWorkerEntry ? { importWorkerEntry: options.importWorkerEntry } : {}),
  };
  const table: HandlerTable = { ...defaultHandlers, ...options.handlers };
  let closed = false;

  return {
    context,
    async invoke(route: unknown, wireInput: unknown): Promise<ReplyEnvelope> {
      if (!isRouteName(route)) {
        return { ok: false, error: { name: 'UnknownRoute', code: 'unknown_route', message: `no route named '${String(route)}'` } };
      }
      if (closed) return { ok: false, error: { name: 'Unavailable', code: 'unavailable', message: 'Fairbound is shutting down' } };
      const def = routes[route];
      const input = z.safeDecode(def.input as z.ZodType, wireInput);
      // Each field at fault with its problem in words, for the form to show against its own labels.
      if (!input.success) return { ok: false, error: badRequestData(route, input.error, wireInput) };
      try {
        const handler = table[route] as Handler<RouteName>;
        const value: unknown = await handler(input.data as never, context);
        const output = z.safeEncode(def.output as z.ZodType, value);
        if (!output.success) {
          log(`${route}: the handler's output does not match the contract`, output.error);
          return { ok: false, error: { name: 'BadReply', code: 'internal', message: `${route}: the reply does not match the contract (${describeIssues(output.error)})` } };
        }
        return { ok: true, value: output.data };
      } catch (err) {
        if (isUnexpected(err)) log(`${route} failed unexpectedly:`, err);
        return { ok: false, error: toErrorData(err) };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      await jobs.shutdown();
      await training?.close();
      listeners.clear();
      db.close();
    },
  };
}
