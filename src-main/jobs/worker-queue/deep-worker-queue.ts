/**
 * The app's deep work — training runs, experiments' deep trials and audits' model inference — queued
 * and run one at a time in ONE long-lived worker process (worker-process.ts; `workers` below allows
 * more), because TF.js in several threads of one process breaks (tensorflow/tfjs#8388) and a crash of
 * native or wasm code must not take the app down. The worker is started on first use, kept while jobs come, and started again after a
 * crash (which fails the job in flight); when idle it does not keep the parent process alive.
 *
 * `workers: N` (default 1) runs up to N jobs at once, each in its own worker process: one FIFO queue,
 * each job dispatched to an idle lane (lane.ts: one worker and its job, the worker started lazily), so
 * everything said here of "the worker" holds per lane — a cancel stops and kills only its job's worker,
 * a crash fails only that lane's job. A trial session's trials may run on several lanes; each lane's
 * worker loads the session on its first trial of it, and closing the session releases it in each.
 *
 * Every job has the same lifecycle (queued-job.ts): queued → running → ended (done, failed or
 * cancelled), progress on the way. Cancel returns at once and takes one path: a queued job ends at
 * once; a running one is told to stop (its kind's message, see run-job.ts and trial-job.ts for what else
 * reaches the engine's synchronous loops) and, if it has not stopped after a grace period, its worker is
 * killed and the job ends as cancelled. Trials join the queue between runs (a run queued during an
 * experiment starts after the trial in flight).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditPredictReply, AuditPredictRequest } from '../../audit/predict-types';
import { CancelledError } from '../../deep/cancel';
import type { QsaKernelOptions } from '../../engine/kernels/kernel-info';
import type { TrialResult } from '../../experiments/types';
import { InputError } from '../../errors/input-error';
import { openWorkspace, type ReadableDB } from '../../store/database';
import { insertRun, type NewRun } from '../../store/runs';
import { prepareRun } from '../../runs/prepare';
import type { RunRequest } from '../../runs/types';
import type { WorkerProcessOptions } from '../worker-process';
import type { TrialSessionSpec } from '../worker-protocol';
import { AuditJob, type PredictAuditOptions } from './audit-job';
import { ExportJob } from './export-job';
import type { RunExportRequest } from '../../runs/export-types';
import { Lane } from './lane';
import type { QueuedJob } from './queued-job';
import { RunJob, type QueuedRunHandle, type RunInFlight, type StartRunOptions } from './run-job';
import { TrialCancelledError, TrialJob, type TrialSession, type TrialSessionSlot } from './trial-job';

export interface DeepWorkerQueueOptions extends WorkerProcessOptions {
  /** better-sqlite3's addon for both sides, if not the default (the Electron app). */
  readonly nativeBinding?: string;
  /** How long a running job may take to stop after a cancel before its worker is killed (ms, default 15000). */
  readonly cancelGraceMs?: number;
  /** How many worker processes may run jobs at once (default 1; each one started when first needed). */
  readonly workers?: number;
}

const CLOSING = 'cancelled: the app is closing';

/** Queues deep work and runs it in its worker processes, one job per worker at a time (see the file comment). */
export class DeepWorkerQueue {
  private readonly lanes: readonly Lane[];
  private readonly queue: QueuedJob[] = [];
  private closed = false;
  private nextSessionId = 1;
  private nextTaskId = 1;
  private nextAuditId = 1;
  private nextExportId = 1;
  /** This queue's own folder for trial cancel files (mode 0700, an unguessable name), made on first use. */
  private cancelDir: string | undefined;

  constructor(private readonly options: DeepWorkerQueueOptions = {}) {
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`DeepWorkerQueue: workers must be a whole number of at least 1, not ${workers}`);
    this.lanes = Array.from({ length: workers }, (_, index) => new Lane(index, options, () => this.pump()));
  }

  /** The first lane's worker process id while one is running (diagnostics; tests check that it is long-lived). */
  get workerPid(): number | null {
    return this.lanes[0]!.pid;
  }

  /** Each lane's worker process id while one is running, null where none is, in lane order. */
  get workerPids(): (number | null)[] {
    return this.lanes.map((lane) => lane.pid);
  }

  /** The jobs running now, in lane order. */
  private get running(): QueuedJob[] {
    return this.lanes.flatMap((lane) => (lane.active ? [lane.active] : []));
  }

  /** The runs queued or running here now (running ones first, in lane order; then queue order), with each one's latest progress event. */
  runsInFlight(): RunInFlight[] {
    const active = this.running.filter((j): j is RunJob => j instanceof RunJob);
    const queued = this.queue.filter((j): j is RunJob => j instanceof RunJob);
    return [...active.map((job) => job.snapshot('running')), ...queued.map((job) => job.snapshot('queued'))];
  }

  private get binding(): { nativeBinding?: string } {
    return this.options.nativeBinding ? { nativeBinding: this.options.nativeBinding } : {};
  }

  /**
   * The folder of the trial cancel files: one private folder per queue (mkdtemp makes it 0700 under a
   * random name), so another user of a shared temp folder can neither guess a cancel file nor plant one.
   * Removed in close().
   */
  private trialCancelDir(): string {
    this.cancelDir ??= mkdtempSync(join(tmpdir(), 'fairbound-trial-cancel-'));
    return this.cancelDir;
  }

  /**
   * Validates the request (bad input throws here: InputError, ConstraintCompileError), stores the run
   * as `queued` and returns its handle; the run starts when the worker is free.
   */
  start(dbPath: string, request: RunRequest, options: StartRunOptions = {}): QueuedRunHandle {
    return this.startPrepared(dbPath, (db) => prepareRun(db, request).run, options);
  }

  /**
   * As start, for a run its caller prepares from the workspace (`prepare` throws for bad input, before
   * anything is stored): a pretrained run (audit/pretrained-run.ts).
   */
  startPrepared(dbPath: string, prepare: (db: ReadableDB) => NewRun, options: StartRunOptions = {}): QueuedRunHandle {
    if (this.closed) throw new Error('DeepWorkerQueue: closed');
    if (dbPath === '' || dbPath === ':memory:') throw new InputError('training runs need a workspace file: the worker process opens it too', { key: 'db' });
    const db = openWorkspace(dbPath, this.binding);
    let runId: number;
    try {
      runId = insertRun(db, prepare(db));
    } finally {
      db.close();
    }
    const job = new RunJob({ runId, dbPath, ...this.binding }, options);
    this.enqueue(job);
    return { runId, done: job.done, cancel: (reason) => this.cancel(job, reason) };
  }

  /**
   * A slot for an experiment's deep trials in this queue's workers: a worker loads the experiment's
   * dataset and settings from `dbPath` on its first trial of it, keeps them until the slot is closed or
   * terminated, and runs the trials one at a time (with several lanes, several workers may). `share.kernel`: its SIMD kernels' share of the cores (the runner's, see
   * RunOptions.processSlot).
   */
  openTrialSession(dbPath: string, experimentId: number, share: { readonly kernel?: QsaKernelOptions } = {}): TrialSessionSlot {
    if (this.closed) throw new Error('DeepWorkerQueue: closed');
    if (dbPath === '' || dbPath === ':memory:') throw new InputError('deep experiment trials need a workspace file: the worker process opens it too', { key: 'db' });
    const spec: TrialSessionSpec = { dbPath, experimentId, ...this.binding, ...(share.kernel ? { kernel: { ...share.kernel } } : {}) };
    const session: TrialSession = { sessionId: this.nextSessionId++, spec, lastRunBy: null };
    const { sessionId } = session;
    let ended = false;
    const mine = (j: QueuedJob | null): j is TrialJob => j instanceof TrialJob && j.session === session;
    const release = (): void => {
      for (const lane of this.lanes) lane.releaseSession(sessionId);
    };
    return {
      sessionId,
      get lastRunBy() {
        return session.lastRunBy;
      },
      run: (task, onProgress) => {
        if (ended) return Promise.reject(new Error('the trial session is closed'));
        if (this.closed) return Promise.reject(new TrialCancelledError(CLOSING));
        return new Promise<TrialResult>((resolve, reject) => {
          const taskId = this.nextTaskId++;
          const job = new TrialJob(session, taskId, task, join(this.trialCancelDir(), `${sessionId}-${taskId}`), onProgress, resolve, reject);
          this.enqueue(job);
        });
      },
      close: async () => {
        if (ended) return;
        ended = true;
        release();
      },
      terminate: async () => {
        if (ended) return;
        ended = true;
        for (const job of this.queue.filter(mine)) this.cancel(job, 'cancelled');
        const active = this.running.filter(mine);
        for (const job of active) this.cancel(job, 'cancelled');
        await Promise.all(active.map((job) => job.ended));
        release();
      },
    };
  }

  /**
   * Runs an audited model over the request's rows in the worker (audit-job.ts). Resolves with the
   * probabilities and the backend report; rejects with an InputError for a bad model or input (its file
   * kept), a CancelledError after `signal` aborts, else with the worker's failure.
   */
  predictAudit(dbPath: string, request: Omit<AuditPredictRequest, 'dbPath' | 'nativeBinding'>, options: PredictAuditOptions = {}): Promise<AuditPredictReply> {
    if (this.closed) return Promise.reject(new Error('DeepWorkerQueue: closed'));
    if (dbPath === '' || dbPath === ':memory:') return Promise.reject(new InputError('auditing a model needs a workspace file: the worker process opens it too', { key: 'db' }));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError('cancelled before it started'));
    return new Promise<AuditPredictReply>((resolve, reject) => {
      const full: AuditPredictRequest = {
        ...request,
        dbPath,
        ...this.binding,
        // A view's serialisation would carry its whole buffer: send just the rows.
        selection: request.selection === null ? null : request.selection.slice(),
      };
      const job = new AuditJob(this.nextAuditId++, full, options, resolve, reject);
      job.listen(signal, () => this.cancel(job, 'cancelled'));
      this.enqueue(job);
    });
  }

  /** Writes an export of a finished run in the worker (export-job.ts); resolves with the files written. */
  exportRun(dbPath: string, request: RunExportRequest): Promise<string[]> {
    if (this.closed) return Promise.reject(new Error('DeepWorkerQueue: closed'));
    if (dbPath === '' || dbPath === ':memory:') return Promise.reject(new InputError('exporting a run needs a workspace file: the worker process opens it too', { key: 'db' }));
    return new Promise<string[]>((resolve, reject) => {
      this.enqueue(new ExportJob(this.nextExportId++, { ...request, dbPath, ...this.binding }, resolve, reject));
    });
  }

  /** Cancels one of this queue's runs by id; false if it has no such queued or running run. */
  cancelRun(runId: number, reason?: string): boolean {
    const isRun = (j: QueuedJob | null): j is RunJob => j instanceof RunJob && j.runId === runId;
    const job = this.running.find(isRun) ?? this.queue.find(isRun);
    if (!job) return false;
    this.cancel(job, reason);
    return true;
  }

  /** Cancels queued jobs, waits for the running ones to be cancelled, and stops every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.queue]) this.cancel(job, CLOSING);
    const active = this.running;
    for (const job of active) this.cancel(job, CLOSING);
    await Promise.all(active.map((job) => job.ended));
    await Promise.all(this.lanes.map((lane) => lane.shutdown()));
    if (this.cancelDir !== undefined) rmSync(this.cancelDir, { recursive: true, force: true });
  }

  private enqueue(job: QueuedJob): void {
    this.queue.push(job);
    this.pump();
  }

  /** The lane running `job`, if one is. */
  private laneOf(job: QueuedJob): Lane | undefined {
    return this.lanes.find((lane) => lane.active === job);
  }

  /**
   * The one cancel path: a queued job ends at once; a running one is told to stop through its lane's
   * worker, and that worker is killed after the grace period.
   */
  private cancel(job: QueuedJob, reason = 'cancelled'): void {
    if (job.settled) return;
    job.cancelReason = reason;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.cancelQueued();
      return;
    }
    if (job.cancelRequested) return;
    job.cancelRequested = true;
    const lane = this.laneOf(job);
    if (lane) lane.stop(job);
    else job.requestStop(null);
    job.killTimer = setTimeout(() => this.laneOf(job)?.killForCancel(job), this.options.cancelGraceMs ?? 15000);
    job.killTimer.unref();
  }

  /**
   * Gives queued jobs, in order, to idle lanes: a trial to one whose worker has its session loaded, else
   * one with a worker already started, else the first; then lets idle workers stop holding this process.
   */
  private pump(): void {
    for (;;) {
      const next = this.queue[0];
      if (next === undefined) break;
      const idle = this.lanes.filter((lane) => lane.active === null);
      if (idle.length === 0) break;
      const lane =
        (next instanceof TrialJob ? idle.find((l) => l.hasSession(next.session.sessionId)) : undefined) ?? idle.find((l) => l.warm) ?? idle[0]!;
      this.queue.shift();
      void lane.run(next);
    }
    for (const lane of this.lanes) lane.unhold();
  }
}
