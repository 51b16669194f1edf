/**
 * The app's deep work — training runs, experiments' deep trials and audits' model inference — queued
 * and run one at a time in ONE long-lived worker process (worker-process.ts), because TF.js in several
 * threads of one process breaks (tensorflow/tfjs#8388) and a crash of native or wasm code must not take
 * the app down. The worker is started on first use, kept while jobs come, and started again after a
 * crash (which fails the job in flight); when idle it does not keep the parent process alive.
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
import { openWorkspace } from '../../store/database';
import { insertRun } from '../../store/runs';
import { prepareRun } from '../../runs/prepare';
import type { RunRequest } from '../../runs/types';
import { workerEntryOf, WorkerProcess, type WorkerProcessListener, type WorkerProcessOptions } from '../worker-process';
import type { FromTrainingWorker, TrialSessionSpec } from '../worker-protocol';
import { AuditJob, type PredictAuditOptions } from './audit-job';
import { GpuWindowRelay, type GpuWindowLink } from './gpu-window-relay';
import type { QueuedJob } from './queued-job';
import { RunJob, type QueuedRunHandle, type RunInFlight, type StartRunOptions } from './run-job';
import { TrialCancelledError, TrialJob, type TrialSession, type TrialSessionSlot } from './trial-job';

export interface DeepWorkerQueueOptions extends WorkerProcessOptions {
  /** better-sqlite3's addon for both sides, if not the default (the Electron app). */
  readonly nativeBinding?: string;
  /** How long a running job may take to stop after a cancel before its worker is killed (ms, default 15000). */
  readonly cancelGraceMs?: number;
  /** Desktop app: the GPU window that head runs may train their body in (gpu-window-relay.ts). */
  readonly gpuWindow?: GpuWindowLink;
}

const CLOSING = 'cancelled: the app is closing';

/** Queues deep work and runs it in one worker process (see the file comment). */
export class DeepWorkerQueue implements WorkerProcessListener {
  private worker: WorkerProcess | null = null;
  private readonly queue: QueuedJob[] = [];
  private active: QueuedJob | null = null;
  private closed = false;
  private nextSessionId = 1;
  private nextTaskId = 1;
  private nextAuditId = 1;
  private readonly relay: GpuWindowRelay;
  /** This queue's own folder for trial cancel files (mode 0700, an unguessable name), made on first use. */
  private cancelDir: string | undefined;

  constructor(private readonly options: DeepWorkerQueueOptions = {}) {
    this.relay = new GpuWindowRelay(options.gpuWindow);
  }

  /** The worker process's id while one is running (diagnostics; tests check that it is long-lived). */
  get workerPid(): number | null {
    return this.worker && !this.worker.exited ? (this.worker.pid ?? null) : null;
  }

  /** The runs queued or running here now, in queue order, with each one's latest progress event. */
  runsInFlight(): RunInFlight[] {
    const active = this.active instanceof RunJob ? [this.active] : [];
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
    if (this.closed) throw new Error('DeepWorkerQueue: closed');
    if (dbPath === '' || dbPath === ':memory:') throw new InputError('training runs need a workspace file: the worker process opens it too', { key: 'db' });
    const db = openWorkspace(dbPath, this.binding);
    let runId: number;
    let mayUseGpuWindow: boolean;
    try {
      const { run } = prepareRun(db, request);
      // Only the head pipeline's body training goes to the window, and only `auto` lists its links.
      mayUseGpuWindow = run.settings.pipeline === 'head' && run.backendPreference === 'auto';
      runId = insertRun(db, run);
    } finally {
      db.close();
    }
    const job = new RunJob({ runId, dbPath, ...this.binding, mayUseGpuWindow }, this.relay, options);
    this.enqueue(job);
    return { runId, done: job.done, cancel: (reason) => this.cancel(job, reason) };
  }

  /**
   * A slot for an experiment's deep trials in this queue's worker: the worker loads the experiment's
   * dataset and settings from `dbPath` once, keeps them until the slot is closed or terminated, and runs
   * the trials one at a time. `share.kernel`: its SIMD kernels' share of the cores (the runner's, see
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
      if (this.worker && !this.worker.exited) this.worker.send({ type: 'trials-close', sessionId });
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
        const active = this.active;
        if (mine(active)) {
          this.cancel(active, 'cancelled');
          await active.ended;
        }
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

  /** Cancels one of this queue's runs by id; false if it has no such queued or running run. */
  cancelRun(runId: number, reason?: string): boolean {
    const isRun = (j: QueuedJob | null): j is RunJob => j instanceof RunJob && j.runId === runId;
    const job = isRun(this.active) ? this.active : this.queue.find(isRun);
    if (!job) return false;
    this.cancel(job, reason);
    return true;
  }

  /** Cancels queued jobs, waits for the running one to be cancelled, and stops the worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.queue]) this.cancel(job, CLOSING);
    const active = this.active;
    if (active) {
      this.cancel(active, CLOSING);
      await active.ended;
    }
    const worker = this.worker;
    if (worker && !worker.exited) {
      worker.send({ type: 'shutdown' });
      const timer = setTimeout(() => worker.kill(), 5000);
      await worker.exit;
      clearTimeout(timer);
    }
    if (this.cancelDir !== undefined) rmSync(this.cancelDir, { recursive: true, force: true });
  }

  private enqueue(job: QueuedJob): void {
    this.queue.push(job);
    void this.pump();
  }

  /** The one cancel path: a queued job ends at once; a running one is told to stop, and killed after the grace period. */
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
    job.requestStop(this.active === job ? this.worker : null);
    this.killAfterGrace(job);
  }

  /** A cancelled job still running after the grace period is stopped by killing its worker (onExit then ends it as cancelled). */
  private killAfterGrace(job: QueuedJob): void {
    job.killTimer = setTimeout(() => {
      if (job.settled || this.active !== job || !this.worker) return;
      job.killedForCancel = true;
      this.worker.kill();
    }, this.options.cancelGraceMs ?? 15000);
    job.killTimer.unref();
  }

  private async pump(): Promise<void> {
    if (this.active || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.active = job;
    let worker: WorkerProcess;
    try {
      worker = await this.ensureWorker();
    } catch (error) {
      this.active = null;
      job.failToStart(`the training worker could not be started: ${error instanceof Error ? error.message : String(error)}`);
      void this.pump();
      return;
    }
    if (job.settled) {
      this.active = null;
      void this.pump();
      return;
    }
    worker.hold(true);
    job.sent = true;
    await job.begin(worker);
  }

  private async ensureWorker(): Promise<WorkerProcess> {
    if (this.worker && !this.worker.exited) {
      await this.worker.ready;
      return this.worker;
    }
    const entry = await workerEntryOf(this.options);
    const worker = WorkerProcess.start(this.options, entry, this);
    this.worker = worker;
    await worker.ready;
    return worker;
  }

  onMessage(worker: WorkerProcess, message: Exclude<FromTrainingWorker, { type: 'ready' }>): void {
    if (message.type === 'gpu-train' || message.type === 'gpu-cancel') {
      const active = this.active;
      this.relay.onMessage(worker, message, active instanceof RunJob ? active : null);
      return;
    }
    const job = this.active;
    const end = job?.accept(message);
    if (end === undefined) return;
    this.active = null;
    end();
    if (!this.active && this.queue.length === 0) worker.hold(false);
    void this.pump();
  }

  onExit(worker: WorkerProcess, how: string): void {
    if (this.worker === worker) this.worker = null;
    const job = this.active;
    // The worker that asked for the window's job is gone: stop it (the next one waits until it has).
    if (job instanceof RunJob) this.relay.abort(job.runId, 'cancelled: the training worker went away');
    // A job whose start was never sent is ended by pump (the worker could not be started).
    if (job?.sent) {
      this.active = null;
      job.workerDied(how, worker.tail());
    }
    void this.pump();
  }
}
