/**
 * The app side of training (design §6): runs are queued in the workspace database and executed one at a
 * time by ONE long-lived worker process (node:child_process fork), because TF.js in several threads
 * of one process breaks (tensorflow/tfjs#8388) and a crash of native or wasm code must not take the
 * app down. The worker is forked on first use, kept while runs come, and forked again after a crash;
 * when idle it does not keep the parent process alive.
 *
 * Lifecycle of a run (style 3–4): `queued` (row written here, with its settings) → `running` → `passed`
 * / `nsf` (results written by the worker in one transaction) | `failed` (with the reason; a crash of
 * the worker is recorded here) | `cancelled`. Cancel returns at once: a queued run is cancelled here;
 * a running one gets a cancel message and its database flag (the worker polls the flag inside the
 * engine's synchronous loops too) and, if it has not stopped after a grace period, the worker is
 * killed and the run recorded as cancelled.
 *
 * Experiments' deep trials (qsa-head, qsa-full, cnn) run in the same worker, so TensorFlow.js never
 * loads in the app's main process: `openTrialSession` gives the experiment runner a TrialSlot whose
 * trials join this host's queue one at a time, between runs (a run queued during an experiment starts
 * after the trial in flight). A trial's cancel reaches the worker between batches; if it has not stopped
 * within the grace period the worker is killed (the trial is dropped, to be run again on resume). A
 * failure comes back as data (the worker's error name and message) and fails that experiment only.
 *
 * The app's audit of a model (services/audit.ts) runs its inference here too (`predictAudit`): one job
 * in the same queue, progress per batch, cancel through an AbortSignal (between batches; killed with its
 * worker after the grace period), an InputError (a bad model file, a shape that does not fit) rebuilt
 * here with its file, so the app shows it as an input error.
 *
 * The GPU window (desktop app): the window is reachable from this process only, so a head run with
 * backend `auto` gets the window's cached adapter probe in its `start` (its links join the run's chain),
 * and when the chain picks one, the worker's `gpu-train` is carried out here through options.gpuWindow
 * (the window's session), relaying progress; the run's cancel stops the window's job between batches.
 * One window job at a time: a new one waits until the previous has stopped (the page trains one at a time).
 *
 * Worker entry: from TypeScript source (tests) src-main/runs/worker-entry.ts bundled once with esbuild
 * into node_modules/.cache/fairbound/; from the CLI bundle (out/cli/fairbound.mjs) a sibling
 * `train-worker.mjs` if a build put one there, else the bundle itself with the hidden
 * `train __worker` command. Other hosts (the Electron main bundle) pass their own `entry`.
 */
import { fork } from 'node:child_process';
import type { GpuProbe, TrainedReply } from '../../src-shared/contract/gpu-trainer';
import type { AuditPredictProgress, AuditPredictReply, AuditPredictRequest } from '../audit/predict-types';
import type { TrainHandlers, TrainJob } from '../deep/backend-gpu-window';
import { CancelledError } from '../deep/cancel';
import type { QsaKernelOptions } from '../engine/kernels/kernel-info';
import type { TrialProgress } from '../experiments/models/model-type';
import type { TrialResult, TrialTask } from '../experiments/types';
import type { TrialSlot } from '../experiments/trial-slot';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveWorkerEntry } from './worker-entry';
import { InputError } from '../errors/input-error';
import { openWorkspace, type WritableDB } from '../store/database';
import { endRun, getRun, insertRun, requestRunCancel } from '../store/runs';
import type { RunOutcome } from '../runs/pipeline';
import { prepareRun } from '../runs/prepare';
import { deserializeError, firstIssue, serializeError, TrainingWorkerError } from './envelope';
import {
  auditFromWorker,
  gpuRelayFromWorker,
  type FromTrainingWorker,
  type GpuWindowStart,
  type ToTrainingWorker,
  type TrialSessionSpec,
} from './worker-protocol';
import type { RunEvent, RunRequest, RunStatus } from '../runs/types';

export interface WorkerEntry {
  /** The module to fork. */
  readonly modulePath: string;
  /** Its argv after the module path. */
  readonly args?: readonly string[];
  /** The runtime to run it with (default: this process's). */
  readonly execPath?: string;
  /** Default: none (not the parent's, which under a test runner may hold loaders). */
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The worker process as the host drives it: a forked Node process (forkWorker, the default; the CLI,
 * `fairbound serve`, tests), or an Electron utility process (utility-process.ts, for the desktop app).
 */
export interface WorkerChild {
  readonly pid: number | undefined;
  /** Delivers a message; does nothing once the process cannot receive any more. */
  send(message: ToTrainingWorker): void;
  /** Ends it at once (SIGKILL where there are signals). */
  kill(): void;
  /** Whether it keeps this process alive: only while it has work (a no-op where the runtime does not ask). */
  hold(busy: boolean): void;
  on(event: 'message', listener: (message: FromTrainingWorker) => void): void;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  /** Its stderr, as text (for the reason of a crash). */
  on(event: 'stderr', listener: (text: string) => void): void;
}

/** Starts the worker process of an entry. */
export type WorkerSpawner = (entry: WorkerEntry) => WorkerChild;

/** A forked Node child process with an IPC channel (structured clone, so NaN and ±∞ in events survive). */
export const forkWorker: WorkerSpawner = (entry) => {
  const child = fork(entry.modulePath, [...(entry.args ?? [])], {
    execPath: entry.execPath,
    execArgv: [...(entry.execArgv ?? [])],
    env: entry.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  child.stdout?.on('data', () => undefined);
  child.stderr?.setEncoding('utf8');
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (child.connected) child.send(message);
    },
    kill: () => void child.kill('SIGKILL'),
    hold: (busy) => {
      const handles = [child, child.channel, child.stdout, child.stderr] as ({ ref?: () => void; unref?: () => void } | null | undefined)[];
      for (const h of handles) (busy ? h?.ref : h?.unref)?.call(h);
    },
    on: (event: 'message' | 'exit' | 'error' | 'stderr', listener: (...args: never[]) => void) => {
      if (event === 'stderr') child.stderr?.on('data', listener as (text: string) => void);
      else child.on(event, listener as (...args: unknown[]) => void);
    },
  };
};

/**
 * The desktop app's GPU window as the host uses it (src-main/shell/gpu-window.ts, GpuWindowProbe.runsLink;
 * tests pass a stand-in): a cached probe of its adapters and its train().
 */
export interface GpuWindowLink {
  /**
   * The window's adapters and TF.js version; `probe` undefined with `error` when the window could not be
   * opened. Cached by the link (the adapter does not change while the app runs), so called per run.
   */
  probe(): Promise<{ readonly probe: GpuProbe | undefined; readonly tfjs: string; readonly error?: string }>;
  /** Trains in the window; rejects with a CancelledError after `signal` aborts, else with the window's failure. */
  train(job: TrainJob, handlers: TrainHandlers): Promise<TrainedReply>;
}

export interface TrainingHostOptions {
  /** Default: defaultWorkerEntry(). */
  readonly entry?: WorkerEntry | (() => Promise<WorkerEntry>);
  /** How the worker process is started (default: forkWorker; the Electron app: a utility process). */
  readonly spawn?: WorkerSpawner;
  /** better-sqlite3's addon for both sides, if not the default (the Electron app). */
  readonly nativeBinding?: string;
  /** How long a running run may take to stop after a cancel before its worker is killed (ms, default 15000). */
  readonly cancelGraceMs?: number;
  /** Desktop app: the GPU window that head runs may train their body in (see the file comment). */
  readonly gpuWindow?: GpuWindowLink;
}

export interface StartRunOptions {
  readonly onEvent?: (event: RunEvent) => void;
}

export interface TrainingRunHandle {
  readonly runId: number;
  /** Resolves when the run has ended, with its final status; never rejects. */
  readonly done: Promise<RunOutcome>;
  /** Returns at once; `done` tells when the run has stopped. */
  cancel(reason?: string): void;
}

interface Job {
  readonly kind: 'run';
  readonly runId: number;
  readonly dbPath: string;
  readonly onEvent: (event: RunEvent) => void;
  readonly resolve: (outcome: RunOutcome) => void;
  readonly done: Promise<RunOutcome>;
  settled: boolean;
  finishedEmitted: boolean;
  cancelRequested: boolean;
  killedForCancel: boolean;
  cancelReason: string;
  killTimer: NodeJS.Timeout | null;
  /** The worker was sent its `start`. */
  sent: boolean;
  /** Whether its chain may include the GPU window's links (a head run with backend `auto`). */
  readonly mayUseGpuWindow: boolean;
}

/** One experiment trial waiting for, or running in, the worker. */
interface TrialJob {
  readonly kind: 'trial';
  readonly sessionId: number;
  readonly session: TrialSessionSpec;
  readonly taskId: number;
  readonly task: TrialTask;
  /** Created to cancel the running trial (the worker polls it; see protocol.ts), removed when it ends. */
  readonly cancelFile: string;
  readonly onProgress: (progress: TrialProgress) => void;
  readonly resolve: (result: TrialResult) => void;
  readonly reject: (error: Error) => void;
  /** Resolves once the job has ended, however (terminate waits for it: the worker is free again). */
  readonly ended: Promise<void>;
  readonly markEnded: () => void;
  settled: boolean;
  sent: boolean;
  cancelRequested: boolean;
  killedForCancel: boolean;
  killTimer: NodeJS.Timeout | null;
}

/** One audit's model inference waiting for, or running in, the worker. */
interface AuditJob {
  readonly kind: 'audit';
  readonly auditId: number;
  readonly request: AuditPredictRequest;
  readonly onProgress: (progress: AuditPredictProgress) => void;
  readonly resolve: (reply: AuditPredictReply) => void;
  readonly reject: (error: Error) => void;
  /** Stops listening to the caller's signal once the job has ended. */
  readonly detach: () => void;
  /** Resolves once the job has ended, however (close waits for it). */
  readonly ended: Promise<void>;
  readonly markEnded: () => void;
  settled: boolean;
  sent: boolean;
  cancelRequested: boolean;
  killedForCancel: boolean;
  killTimer: NodeJS.Timeout | null;
}

export interface PredictAuditOptions {
  /** Aborting it cancels the inference (queued: at once; running: between batches). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: AuditPredictProgress) => void;
}

type AnyJob = Job | TrialJob | AuditJob;

/** A cancelled trial's rejection (the runner drops the trial; a resume runs it again). */
export class TrialCancelledError extends Error {
  override readonly name = 'TrialCancelledError';
}

/** What a trial session's slot tells about where its trials ran (tests check it is not this process). */
export interface TrialSessionSlot extends TrialSlot {
  readonly sessionId: number;
  /** The pid of the process that ran the last trial, and its TensorFlow.js backend; null before the first. */
  readonly lastRunBy: { readonly pid: number; readonly backend: string | null } | null;
}

interface WorkerState {
  readonly child: WorkerChild;
  readonly ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exit: Promise<void>;
  stderrTail: string;
  exited: boolean;
}

const STDERR_TAIL = 4000;

/** The worker entry for this build (see worker-entry.ts). */
export async function defaultWorkerEntry(): Promise<WorkerEntry> {
  const { file, args } = await resolveWorkerEntry('train-worker');
  return { modulePath: file, ...(args ? { args } : {}) };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Queues runs and executes them in one worker process (see the file comment). */
export class TrainingHost {
  private worker: WorkerState | null = null;
  private readonly queue: AnyJob[] = [];
  private active: AnyJob | null = null;
  private closed = false;
  private nextSessionId = 1;
  private nextTaskId = 1;
  private nextAuditId = 1;
  /** Per trial session: the process that ran its last trial. */
  private readonly trialRunBy = new Map<number, { readonly pid: number; readonly backend: string | null }>();
  /** The GPU window job in flight for a run, if any. */
  private gpuJob: { readonly runId: number; readonly abort: AbortController } | null = null;
  /** Settles once the window's last job has (a new one waits for it). */
  private gpuIdle: Promise<void> = Promise.resolve();

  /** This host's own folder for trial cancel files (mode 0700, an unguessable name), made on first use. */
  private cancelDir: string | undefined;

  constructor(private readonly options: TrainingHostOptions = {}) {}

  /**
   * The folder of the trial cancel files: one private folder per host (mkdtemp makes it 0700 under a
   * random name), so another user of a shared temp folder can neither guess a cancel file nor plant one.
   * Removed in close().
   */
  private trialCancelDir(): string {
    this.cancelDir ??= mkdtempSync(join(tmpdir(), 'fairbound-trial-cancel-'));
    return this.cancelDir;
  }

  /** The worker process's id while one is running (diagnostics; tests check that it is long-lived). */
  get workerPid(): number | null {
    return this.worker && !this.worker.exited ? (this.worker.child.pid ?? null) : null;
  }

  private openDb(dbPath: string): WritableDB {
    return openWorkspace(dbPath, this.options.nativeBinding ? { nativeBinding: this.options.nativeBinding } : {});
  }

  /**
   * Validates the request (bad input throws here: InputError, ConstraintCompileError), stores the run
   * as `queued` and returns its handle; the run starts when the worker is free.
   */
  start(dbPath: string, request: RunRequest, options: StartRunOptions = {}): TrainingRunHandle {
    if (this.closed) throw new Error('TrainingHost: closed');
    if (dbPath === '' || dbPath === ':memory:') throw new InputError('training runs need a workspace file: the worker process opens it too', { key: 'db' });
    const db = this.openDb(dbPath);
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
    let resolve!: (outcome: RunOutcome) => void;
    const done = new Promise<RunOutcome>((r) => (resolve = r));
    const job: Job = {
      kind: 'run',
      runId,
      dbPath,
      onEvent: (event) => {
        try {
          options.onEvent?.(event);
        } catch (error) {
          // A listener's bug must not stop the run's bookkeeping.
          process.emitWarning(`training run ${runId}: an event listener threw: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
      resolve,
      done,
      settled: false,
      finishedEmitted: false,
      cancelRequested: false,
      killedForCancel: false,
      cancelReason: 'cancelled',
      killTimer: null,
      sent: false,
      mayUseGpuWindow,
    };
    job.onEvent({ type: 'status', runId, status: 'queued' });
    this.queue.push(job);
    void this.pump();
    return { runId, done, cancel: (reason) => this.cancel(job, reason) };
  }

  /**
   * A slot for an experiment's deep trials in this host's worker (see the file comment): the worker
   * loads the experiment's dataset and settings from `dbPath` once, keeps them until the slot is closed
   * or terminated, and runs the trials one at a time. `share.kernel`: its SIMD kernels' share of the
   * cores (the runner's, see RunOptions.processSlot).
   */
  openTrialSession(dbPath: string, experimentId: number, share: { readonly kernel?: QsaKernelOptions } = {}): TrialSessionSlot {
    if (this.closed) throw new Error('TrainingHost: closed');
    if (dbPath === '' || dbPath === ':memory:') throw new InputError('deep experiment trials need a workspace file: the worker process opens it too', { key: 'db' });
    const sessionId = this.nextSessionId++;
    const session: TrialSessionSpec = { dbPath, experimentId, ...(this.options.nativeBinding ? { nativeBinding: this.options.nativeBinding } : {}), ...(share.kernel ? { kernel: { ...share.kernel } } : {}) };
    let ended = false;
    const runBy = this.trialRunBy;
    const mine = (j: AnyJob | null): j is TrialJob => j !== null && j.kind === 'trial' && j.sessionId === sessionId;
    const release = (): void => {
      const worker = this.worker;
      if (worker && !worker.exited) this.send(worker, { type: 'trials-close', sessionId });
    };
    return {
      sessionId,
      get lastRunBy() {
        return runBy.get(sessionId) ?? null;
      },
      run: (task, onProgress) => {
        if (ended) return Promise.reject(new Error('the trial session is closed'));
        if (this.closed) return Promise.reject(new TrialCancelledError('cancelled: the app is closing'));
        return new Promise<TrialResult>((resolve, reject) => {
          let markEnded!: () => void;
          const endedPromise = new Promise<void>((r) => (markEnded = r));
          const taskId = this.nextTaskId++;
          const job: TrialJob = {
            kind: 'trial',
            sessionId,
            session,
            taskId,
            cancelFile: join(this.trialCancelDir(), `${sessionId}-${taskId}`),
            // A view's serialisation would carry its whole buffer (the full resample): send just the rows.
            task: { ...task, rows: task.rows.slice() },
            onProgress: (progress) => {
              try {
                onProgress?.(progress);
              } catch (error) {
                process.emitWarning(`trial progress listener threw: ${error instanceof Error ? error.message : String(error)}`);
              }
            },
            resolve: (result) => resolve(result),
            reject,
            ended: endedPromise,
            markEnded,
            settled: false,
            sent: false,
            cancelRequested: false,
            killedForCancel: false,
            killTimer: null,
          };
          this.queue.push(job);
          void this.pump();
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
        for (const job of this.queue.filter(mine)) this.cancelTrial(job, 'cancelled');
        const active = this.active;
        if (mine(active)) {
          this.cancelTrial(active, 'cancelled');
          await active.ended;
        }
        release();
      },
    };
  }

  /**
   * Runs an audited model over the request's rows in the worker (see the file comment). Resolves with
   * the probabilities and the backend report; rejects with an InputError for a bad model or input (its
   * file kept), a CancelledError after `signal` aborts, else with the worker's failure.
   */
  predictAudit(dbPath: string, request: Omit<AuditPredictRequest, 'dbPath' | 'nativeBinding'>, options: PredictAuditOptions = {}): Promise<AuditPredictReply> {
    if (this.closed) return Promise.reject(new Error('TrainingHost: closed'));
    if (dbPath === '' || dbPath === ':memory:') return Promise.reject(new InputError('auditing a model needs a workspace file: the worker process opens it too', { key: 'db' }));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError('cancelled before it started'));
    return new Promise<AuditPredictReply>((resolve, reject) => {
      const onAbort = (): void => this.cancelAudit(job);
      let markEnded!: () => void;
      const ended = new Promise<void>((r) => (markEnded = r));
      const job: AuditJob = {
        kind: 'audit',
        auditId: this.nextAuditId++,
        request: {
          ...request,
          dbPath,
          ...(this.options.nativeBinding ? { nativeBinding: this.options.nativeBinding } : {}),
          // A view's serialisation would carry its whole buffer: send just the rows.
          selection: request.selection === null ? null : request.selection.slice(),
        },
        onProgress: (progress) => {
          try {
            options.onProgress?.(progress);
          } catch (error) {
            process.emitWarning(`audit progress listener threw: ${error instanceof Error ? error.message : String(error)}`);
          }
        },
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
        ended,
        markEnded,
        settled: false,
        sent: false,
        cancelRequested: false,
        killedForCancel: false,
        killTimer: null,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      void this.pump();
    });
  }

  /** A queued audit is dropped at once; a running one is told to stop between batches, and killed with its worker after the grace period. */
  private cancelAudit(job: AuditJob): void {
    if (job.settled) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.endAudit(job, new CancelledError('cancelled'));
      return;
    }
    if (job.cancelRequested) return;
    job.cancelRequested = true;
    const worker = this.worker;
    if (worker && this.active === job && job.sent) this.send(worker, { type: 'audit-cancel', auditId: job.auditId });
    this.killAfterGrace(job);
  }

  private endAudit(job: AuditJob, outcome: Error | AuditPredictReply): void {
    if (job.settled) return;
    job.settled = true;
    if (job.killTimer) clearTimeout(job.killTimer);
    job.detach();
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
    job.markEnded();
  }

  /** Cancels queued runs, waits for the running one to be cancelled, and stops the worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.queue]) {
      if (job.kind === 'run') this.cancel(job, 'cancelled: the app is closing');
      else if (job.kind === 'audit') this.cancelAudit(job);
      else this.cancelTrial(job, 'cancelled: the app is closing');
    }
    const active = this.active;
    if (active?.kind === 'run') {
      this.cancel(active, 'cancelled: the app is closing');
      await active.done;
    } else if (active?.kind === 'trial') {
      this.cancelTrial(active, 'cancelled: the app is closing');
      await active.ended;
    } else if (active?.kind === 'audit') {
      this.cancelAudit(active);
      await active.ended;
    }
    const worker = this.worker;
    if (worker && !worker.exited) {
      this.send(worker, { type: 'shutdown' });
      const timer = setTimeout(() => worker.child.kill(), 5000);
      await worker.exit;
      clearTimeout(timer);
    }
    if (this.cancelDir !== undefined) rmSync(this.cancelDir, { recursive: true, force: true });
  }

  /** Cancels one of this host's runs by id; false if it has no such queued or running run. */
  cancelRun(runId: number, reason?: string): boolean {
    const active = this.active?.kind === 'run' && this.active.runId === runId ? this.active : undefined;
    const job = active ?? this.queue.find((j): j is Job => j.kind === 'run' && j.runId === runId);
    if (!job) return false;
    this.cancel(job, reason);
    return true;
  }

  private cancel(job: Job, reason = 'cancelled'): void {
    if (job.settled) return;
    job.cancelReason = reason;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.record(job, 'cancelled', reason);
      return;
    }
    if (job.cancelRequested) return;
    job.cancelRequested = true;
    // The flag reaches the worker even inside the engine's synchronous loops (it polls it).
    const db = this.openDb(job.dbPath);
    try {
      requestRunCancel(db, job.runId);
    } finally {
      db.close();
    }
    const worker = this.worker;
    if (worker && this.active === job) this.send(worker, { type: 'cancel', runId: job.runId, reason });
    // The window stops between batches and answers gpu-failed (cancelled); the worker then ends the run.
    this.abortGpuJob(job.runId, reason);
    this.killAfterGrace(job);
  }

  /**
   * A cancelled job still running after the grace period is stopped by killing its worker (onExit then
   * ends it as cancelled, seeing killedForCancel). Runs and trials alike.
   */
  private killAfterGrace(job: AnyJob): void {
    job.killTimer = setTimeout(() => {
      if (job.settled || this.active !== job || !this.worker) return;
      job.killedForCancel = true;
      this.worker.child.kill();
    }, this.options.cancelGraceMs ?? 15000);
    job.killTimer.unref();
  }

  /**
   * Cancels a trial: a queued one is dropped at once, a running one is told to stop between batches and
   * killed with its worker if it has not within the grace period.
   */
  private cancelTrial(job: TrialJob, reason: string): void {
    if (job.settled) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.endTrial(job, new TrialCancelledError(reason));
      return;
    }
    if (job.cancelRequested) return;
    job.cancelRequested = true;
    const worker = this.worker;
    if (worker && this.active === job && job.sent) this.send(worker, { type: 'trial-cancel', sessionId: job.sessionId, taskId: job.taskId });
    try {
      writeFileSync(job.cancelFile, '');
    } catch {
      // The message above and the kill after the grace period still stop it.
    }
    this.killAfterGrace(job);
  }

  private endTrial(job: TrialJob, outcome: Error | TrialResult): void {
    if (job.settled) return;
    job.settled = true;
    if (job.killTimer) clearTimeout(job.killTimer);
    if (job.cancelRequested) rmSync(job.cancelFile, { force: true });
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
    job.markEnded();
  }

  /** Ends a job from this side (not started, or its worker died): records it unless already ended. */
  private record(job: Job, status: 'failed' | 'cancelled', error: string): void {
    let outcome: RunOutcome = { runId: job.runId, status, error };
    try {
      const db = this.openDb(job.dbPath);
      try {
        endRun(db, job.runId, { status, error });
        const run = getRun(db, job.runId);
        if (run) outcome = { runId: job.runId, status: run.status, error: run.error };
      } finally {
        db.close();
      }
    } catch (dbError) {
      outcome = { runId: job.runId, status, error: `${error} (and it could not be recorded: ${dbError instanceof Error ? dbError.message : String(dbError)})` };
    }
    this.settle(job, outcome);
  }

  private settle(job: Job, outcome: RunOutcome): void {
    if (job.settled) return;
    job.settled = true;
    // Nobody waits for the window's work any more (normally it has ended already).
    this.abortGpuJob(job.runId, 'cancelled: the run has ended');
    if (job.killTimer) clearTimeout(job.killTimer);
    if (!job.finishedEmitted) {
      job.finishedEmitted = true;
      job.onEvent({ type: 'finished', runId: job.runId, status: outcome.status, error: outcome.error });
    }
    job.resolve(outcome);
  }

  private async pump(): Promise<void> {
    if (this.active || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    this.active = job;
    let worker: WorkerState;
    try {
      worker = await this.ensureWorker();
    } catch (error) {
      this.active = null;
      const why = `the training worker could not be started: ${error instanceof Error ? error.message : String(error)}`;
      if (job.kind === 'trial') this.endTrial(job, job.cancelRequested ? new TrialCancelledError('cancelled') : new Error(why));
      else if (job.kind === 'audit') this.endAudit(job, job.cancelRequested ? new CancelledError('cancelled') : new Error(why));
      else if (job.cancelRequested) this.record(job, 'cancelled', job.cancelReason);
      else this.record(job, 'failed', why);
      void this.pump();
      return;
    }
    if (job.settled) {
      this.active = null;
      void this.pump();
      return;
    }
    this.hold(worker, true);
    job.sent = true;
    if (job.kind === 'trial') {
      this.send(worker, { type: 'trial', sessionId: job.sessionId, session: job.session, taskId: job.taskId, task: job.task, cancelFile: job.cancelFile });
      if (job.cancelRequested) this.send(worker, { type: 'trial-cancel', sessionId: job.sessionId, taskId: job.taskId });
      return;
    }
    if (job.kind === 'audit') {
      this.send(worker, { type: 'audit-predict', auditId: job.auditId, request: job.request });
      if (job.cancelRequested) this.send(worker, { type: 'audit-cancel', auditId: job.auditId });
      return;
    }
    const gpuWindow = job.mayUseGpuWindow ? await this.gpuWindowStart() : undefined;
    // Settled while probing: only by onExit (its worker died), which has already moved on to the next job.
    if (job.settled) return;
    this.send(worker, {
      type: 'start',
      runId: job.runId,
      dbPath: job.dbPath,
      ...(this.options.nativeBinding ? { nativeBinding: this.options.nativeBinding } : {}),
      ...(gpuWindow !== undefined ? { gpuWindow } : {}),
    });
    if (job.cancelRequested) this.send(worker, { type: 'cancel', runId: job.runId, reason: job.cancelReason });
  }

  /** The window's probe for a run's start (the link caches it); undefined without a window. */
  private async gpuWindowStart(): Promise<GpuWindowStart | undefined> {
    const link = this.options.gpuWindow;
    if (link === undefined) return undefined;
    try {
      const { probe, tfjs, error } = await link.probe();
      return { probe: probe ?? null, tfjsVersion: tfjs, ...(error !== undefined ? { unavailableReason: error } : {}) };
    } catch (error) {
      return { probe: null, tfjsVersion: 'unknown', unavailableReason: `the GPU window failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private abortGpuJob(runId: number, reason: string): void {
    if (this.gpuJob?.runId === runId) this.gpuJob.abort.abort(reason);
  }

  /**
   * The worker's gpu-train / gpu-cancel (validated: the job is the run's data). The answer goes to the
   * worker that asked, as gpu-progress* then gpu-trained | gpu-failed; an error becomes data there.
   */
  private onGpuMessage(state: WorkerState, raw: unknown): void {
    const parsed = gpuRelayFromWorker.safeParse(raw);
    const runId = typeof raw === 'object' && raw !== null ? (raw as { runId?: unknown }).runId : undefined;
    const fail = (id: number, message: string): void =>
      this.send(state, { type: 'gpu-failed', runId: id, error: { name: 'Error', message }, cancelled: false });
    if (!parsed.success) {
      if (typeof runId === 'number') fail(runId, `the training worker sent a GPU window request that does not match the protocol: ${firstIssue(parsed.error)}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'gpu-cancel') {
      this.abortGpuJob(message.runId, 'cancelled');
      return;
    }
    const job = this.active;
    if (job?.kind !== 'run' || job.runId !== message.runId) {
      fail(message.runId, `run ${message.runId} is not the one running`);
      return;
    }
    const link = this.options.gpuWindow;
    if (link === undefined) {
      fail(message.runId, 'this app has no GPU window');
      return;
    }
    const abort = new AbortController();
    if (job.cancelRequested) abort.abort(job.cancelReason);
    const entry = { runId: message.runId, abort };
    this.gpuJob = entry;
    const work = this.gpuIdle
      .then(() =>
        link.train(message.job, {
          signal: abort.signal,
          onProgress: (progress) => this.send(state, { type: 'gpu-progress', runId: entry.runId, progress }),
        }),
      )
      .then(
        (trained) => this.send(state, { type: 'gpu-trained', runId: entry.runId, trained }),
        (error: unknown) =>
          this.send(state, { type: 'gpu-failed', runId: entry.runId, error: serializeError(error), cancelled: error instanceof CancelledError || abort.signal.aborted }),
      )
      .finally(() => {
        if (this.gpuJob === entry) this.gpuJob = null;
      });
    this.gpuIdle = work;
  }

  private send(worker: WorkerState, message: ToTrainingWorker): void {
    if (!worker.exited) worker.child.send(message);
  }

  /** Whether the worker keeps this process alive: only while it has work. */
  private hold(worker: WorkerState, busy: boolean): void {
    worker.child.hold(busy);
  }

  private async ensureWorker(): Promise<WorkerState> {
    if (this.worker && !this.worker.exited) {
      await this.worker.ready;
      return this.worker;
    }
    const option = this.options.entry;
    const entry = option === undefined ? await defaultWorkerEntry() : typeof option === 'function' ? await option() : option;
    const child = (this.options.spawn ?? forkWorker)(entry);
    let readyResolve!: () => void;
    let readyReject!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    // A rejection nobody awaits yet (the worker died before the first run) must not crash the process.
    ready.catch(() => undefined);
    let exitResolve!: () => void;
    const exit = new Promise<void>((resolve) => (exitResolve = resolve));
    const state: WorkerState = { child, ready, exit, stderrTail: '', exited: false };
    this.worker = state;
    child.on('stderr', (text) => {
      state.stderrTail = (state.stderrTail + text).slice(-STDERR_TAIL);
    });
    child.on('message', (message: FromTrainingWorker) => {
      if (message.type === 'ready') readyResolve();
      else this.onMessage(state, message);
    });
    child.on('error', (error) => {
      readyReject(error);
      this.onExit(state, `could not be run: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      exitResolve();
      readyReject(new Error(`the training worker ${describeExit(code, signal)} before it was ready${this.tail(state)}`));
      this.onExit(state, describeExit(code, signal));
    });
    await ready;
    return state;
  }

  /** The worker's last stderr lines worth reading (stack frames and Node's version banner dropped). */
  private tail(state: WorkerState): string {
    const lines = state.stderrTail
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('at ') && !/^Node\.js v\d/.test(line));
    return lines.length === 0 ? '' : `: ${lines.slice(-4).join(' | ')}`;
  }

  private onMessage(state: WorkerState, message: Exclude<FromTrainingWorker, { type: 'ready' }>): void {
    if (message.type === 'gpu-train' || message.type === 'gpu-cancel') {
      this.onGpuMessage(state, message);
      return;
    }
    if (message.type === 'trial-progress' || message.type === 'trial-result' || message.type === 'trial-failed') {
      this.onTrialMessage(state, message);
      return;
    }
    if (message.type === 'audit-progress' || message.type === 'audit-result' || message.type === 'audit-failed') {
      this.onAuditMessage(state, message);
      return;
    }
    const job = this.active;
    if (!job || job.kind !== 'run' || job.runId !== message.runId) return;
    switch (message.type) {
      case 'progress':
        if (message.event.type === 'finished') job.finishedEmitted = true;
        job.onEvent(message.event);
        return;
      case 'done':
        this.active = null;
        this.settle(job, { runId: job.runId, status: message.status, error: message.error });
        break;
      case 'failed':
        this.active = null;
        this.record(job, 'failed', `the training worker failed: ${message.error.name}: ${message.error.message}`);
        break;
    }
    if (!this.active && this.queue.length === 0) this.hold(state, false);
    void this.pump();
  }

  private onTrialMessage(state: WorkerState, message: Extract<FromTrainingWorker, { type: 'trial-progress' | 'trial-result' | 'trial-failed' }>): void {
    const job = this.active;
    if (!job || job.kind !== 'trial' || job.sessionId !== message.sessionId || job.taskId !== message.taskId) return;
    switch (message.type) {
      case 'trial-progress':
        if (!job.cancelRequested) job.onProgress(message.progress);
        return;
      case 'trial-result':
        this.active = null;
        this.trialRunBy.set(job.sessionId, { pid: message.pid, backend: message.backend });
        this.endTrial(job, message.result);
        break;
      case 'trial-failed':
        this.active = null;
        // Errors as data: the worker's error name and message, rebuilt here.
        this.endTrial(job, message.cancelled ? new TrialCancelledError('cancelled') : new TrainingWorkerError(message.error));
        break;
    }
    if (!this.active && this.queue.length === 0) this.hold(state, false);
    void this.pump();
  }

  /** The worker's audit-* messages, validated (the probabilities feed the audit's maths directly). */
  private onAuditMessage(state: WorkerState, raw: Extract<FromTrainingWorker, { type: 'audit-progress' | 'audit-result' | 'audit-failed' }>): void {
    const job = this.active;
    if (job?.kind !== 'audit' || job.auditId !== raw.auditId) return;
    const parsed = auditFromWorker.safeParse(raw);
    if (!parsed.success) {
      this.active = null;
      this.endAudit(job, new Error(`the training worker sent an audit message that does not match the protocol: ${firstIssue(parsed.error)}`));
    } else {
      const message = parsed.data;
      switch (message.type) {
        case 'audit-progress':
          if (!job.cancelRequested) job.onProgress(message.progress);
          return;
        case 'audit-result':
          this.active = null;
          // Validated above; the original object is the typed one (zod's passthrough copy drops nothing).
          this.endAudit(job, (raw as Extract<FromTrainingWorker, { type: 'audit-result' }>).reply);
          break;
        case 'audit-failed':
          this.active = null;
          this.endAudit(job, message.cancelled ? new CancelledError(message.error.message) : deserializeError(message.error));
          break;
      }
    }
    if (!this.active && this.queue.length === 0) this.hold(state, false);
    void this.pump();
  }

  private onExit(state: WorkerState, how: string): void {
    if (state.exited) return;
    state.exited = true;
    if (this.worker === state) this.worker = null;
    const job = this.active;
    // The worker that asked for the window's job is gone: stop it (the next one waits until it has).
    if (job?.kind === 'run') this.abortGpuJob(job.runId, 'cancelled: the training worker went away');
    // A job whose start was never sent is settled by pump (the worker could not be started).
    if (job?.kind === 'trial' && job.sent) {
      this.active = null;
      this.endTrial(
        job,
        job.killedForCancel
          ? new TrialCancelledError('cancelled (the worker did not stop within the grace period and was killed)')
          : new Error(`the training worker ${how} during trial ${job.task.trialIndex} of ${job.task.model} at fraction ${job.task.fraction}${this.tail(state)}`),
      );
    } else if (job?.kind === 'audit' && job.sent) {
      this.active = null;
      this.endAudit(
        job,
        job.killedForCancel
          ? new CancelledError('cancelled (the worker did not stop within the grace period and was killed)')
          : new Error(`the training worker ${how} while running the audited model${this.tail(state)}`),
      );
    } else if (job?.kind === 'run' && job.sent) {
      this.active = null;
      if (job.killedForCancel) this.record(job, 'cancelled', `${job.cancelReason} (the worker did not stop within the grace period and was killed)`);
      else this.record(job, 'failed', `the training worker ${how} during the run${this.tail(state)}`);
    }
    void this.pump();
  }
}

let defaultHost: TrainingHost | null = null;

/** The process-wide host (one worker for the whole app). */
export function trainingHost(options?: TrainingHostOptions): TrainingHost {
  defaultHost ??= new TrainingHost(options);
  return defaultHost;
}

/**
 * Starts a training run in the shared worker process: the service the app and the bridge call.
 * @example const { runId, done, cancel } = startTrainingRun(dbPath, request, { onEvent: (e) => send(e) });
 */
export function startTrainingRun(dbPath: string, request: RunRequest, options: StartRunOptions & { host?: TrainingHost } = {}): TrainingRunHandle {
  return (options.host ?? trainingHost()).start(dbPath, request, options);
}

/**
 * Cancels a run by id: through the shared host when it runs there (returns at once), else by setting
 * the run's cancel flag in the workspace, which the worker running it (in any process) polls. Returns the
 * run's status at the time of the request, or undefined if there is no such run.
 */
export function cancelTrainingRun(dbPath: string, runId: number, reason?: string): RunStatus | undefined {
  const db = openWorkspace(dbPath);
  try {
    const status = requestRunCancel(db, runId);
    if (status === 'queued' || status === 'running') defaultHost?.cancelRun(runId, reason);
    return status;
  } finally {
    db.close();
  }
}

/** Stops the shared worker (after cancelling what is queued or running). */
export async function shutdownTrainingWorker(): Promise<void> {
  const host = defaultHost;
  defaultHost = null;
  await host?.close();
}
