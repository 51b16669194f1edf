import type { RouteInput, RouteName, RouteOutput } from '../../src-shared/contract/routes';
import type { Runtime } from '../../src-shared/contract/schemas';
import type { ReadonlyDeep } from '../../src-shared/contract/wire';
import type { OpenOptions, WritableDB } from '../store/database';
import type { WorkerThreadEntry } from '../jobs/worker-thread';
import type { DeepWorkerQueue } from '../jobs/worker-queue/deep-worker-queue';
import type { Emit, JobRunner } from '../jobs/job-runner';
import type { AuditRowsCache } from './audit-threshold';

/** What every handler gets besides its input. */
export interface ServiceContext {
  /** The shared connection for short requests; jobs open their own (see import.ts). */
  readonly db: WritableDB;
  readonly dbPath: string;
  readonly openOptions: OpenOptions;
  readonly runtime: Runtime;
  readonly jobs: JobRunner;
  readonly version: string;
  readonly electronVersion: string | null;
  /** Sends an event (validated and encoded) to every subscriber. */
  readonly emit: Emit;
  /** The deep work's queue (one worker process), created on first use and closed with the services. */
  readonly deepWorker: () => DeepWorkerQueue;
  /** The deep work's queue if it has been created (jobs.list reads it without starting a worker). */
  readonly deepWorkerIfStarted: () => DeepWorkerQueue | null;
  /** Run id → job id of the runs and experiments started here and still going. */
  readonly activeRuns: Map<number, string>;
  readonly activeExperiments: Map<number, string>;
  /** The audits audit.start kept for the threshold explorer (audit-threshold.ts); this workspace's only. */
  readonly auditRows: AuditRowsCache;
  readonly trialWorkerEntry?: WorkerThreadEntry;
  /** Where import worker threads start from (default: src-main/jobs/worker-entry.ts). */
  readonly importWorkerEntry?: WorkerThreadEntry;
}

/**
 * One route's implementation: the decoded input in, the output (readonly shapes accepted) out. main
 * validates both against the contract around every call.
 */
export type Handler<K extends RouteName> = (input: RouteInput<K>, ctx: ServiceContext) => ReadonlyDeep<RouteOutput<K>> | Promise<ReadonlyDeep<RouteOutput<K>>>;

/** Every route, and nothing else: a missing or extra key is a compile error. */
export type HandlerTable = { readonly [K in RouteName]: Handler<K> };
