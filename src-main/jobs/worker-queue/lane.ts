/**
 * One lane of the deep worker queue (deep-worker-queue.ts): one worker process and the job it runs now.
 * Everything that belongs to a worker is the lane's: its job's messages (progress, the end), its
 * crash (which fails that job only; the lane starts a fresh worker for its next job), the stop and the
 * kill of a cancel, whether it keeps this process alive, and the trial sessions its worker has loaded
 * (a trial carries its session's spec and the worker opens the session on its first trial there, so a
 * session's trials may run on any lane; closing the session releases it in every lane that has it).
 * The queue owns the order and which lane gets the next job.
 */
import { workerEntryOf, WorkerProcess, type WorkerProcessListener, type WorkerProcessOptions } from '../worker-process';
import type { FromTrainingWorker } from '../worker-protocol';
import type { QueuedJob } from './queued-job';
import { TrialJob } from './trial-job';

/** How long a worker asked to shut down may take before it is killed (ms). */
const SHUTDOWN_GRACE_MS = 5000;

export class Lane implements WorkerProcessListener {
  private worker: WorkerProcess | null = null;
  private job: QueuedJob | null = null;
  /** The trial sessions the current worker has been sent a trial of (and so has loaded, or is loading). */
  private readonly sessions = new Set<number>();

  constructor(
    /** Its place among the queue's lanes (lane 0 is the queue's `workerPid`). */
    readonly index: number,
    private readonly options: WorkerProcessOptions,
    /** Called once its job has ended or could not start: the queue dispatches the next. */
    private readonly freed: () => void,
  ) {}

  /** The job it runs now (from its dispatch, while its worker starts, until it has ended). */
  get active(): QueuedJob | null {
    return this.job;
  }

  /** Its worker process's id while one is running. */
  get pid(): number | null {
    return this.worker && !this.worker.exited ? (this.worker.pid ?? null) : null;
  }

  /** Whether it has a worker that has not exited (started or starting). */
  get warm(): boolean {
    return this.worker !== null && !this.worker.exited;
  }

  /** Whether its worker has the session loaded (it was sent one of its trials). */
  hasSession(sessionId: number): boolean {
    return this.sessions.has(sessionId);
  }

  /**
   * Runs `job` (the lane is idle): starts its worker if it has none, then sends the job. Its end comes
   * from the worker (onMessage), from the worker's exit (onExit), or here when the worker cannot start.
   */
  async run(job: QueuedJob): Promise<void> {
    // Set before the first await: the queue sees the lane busy at once.
    this.job = job;
    let worker: WorkerProcess;
    try {
      worker = await this.ensureWorker();
    } catch (error) {
      this.job = null;
      job.failToStart(`the training worker could not be started: ${error instanceof Error ? error.message : String(error)}`);
      this.freed();
      return;
    }
    if (job.settled) {
      this.job = null;
      this.freed();
      return;
    }
    worker.hold(true);
    job.sent = true;
    if (job instanceof TrialJob) this.sessions.add(job.session.sessionId);
    await job.begin(worker);
  }

  /** Asks its running `job` to stop, through this lane's worker. */
  stop(job: QueuedJob): void {
    job.requestStop(this.job === job ? this.worker : null);
  }

  /** The grace period of `job`'s cancel is over: kills this lane's worker if it still runs it (onExit then ends it as cancelled). */
  killForCancel(job: QueuedJob): void {
    if (job.settled || this.job !== job || !this.worker) return;
    job.killedForCancel = true;
    this.worker.kill();
  }

  /** Releases a closed trial session in its worker, if that worker has it (after the trial in flight, worker side). */
  releaseSession(sessionId: number): void {
    if (!this.sessions.delete(sessionId)) return;
    if (this.worker && !this.worker.exited) this.worker.send({ type: 'trials-close', sessionId });
  }

  /** Lets an idle worker stop keeping this process alive. */
  unhold(): void {
    if (this.job === null && this.worker && !this.worker.exited) this.worker.hold(false);
  }

  /** Shuts its worker down (the lane is idle), killing it if it does not exit within the grace period. */
  async shutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker || worker.exited) return;
    worker.send({ type: 'shutdown' });
    const timer = setTimeout(() => worker.kill(), SHUTDOWN_GRACE_MS);
    await worker.exit;
    clearTimeout(timer);
  }

  private async ensureWorker(): Promise<WorkerProcess> {
    if (this.worker && !this.worker.exited) {
      await this.worker.ready;
      return this.worker;
    }
    const entry = await workerEntryOf(this.options);
    const worker = WorkerProcess.start(this.options, entry, this);
    this.worker = worker;
    this.sessions.clear();
    await worker.ready;
    return worker;
  }

  onMessage(worker: WorkerProcess, message: Exclude<FromTrainingWorker, { type: 'ready' }>): void {
    const job = this.job;
    const end = job?.accept(message);
    if (end === undefined) return;
    this.job = null;
    end();
    this.freed();
  }

  onExit(worker: WorkerProcess, how: string): void {
    if (this.worker === worker) {
      this.worker = null;
      this.sessions.clear();
    }
    const job = this.job;
    // A job whose start was never sent is ended by run() (the worker could not be started).
    if (job?.sent) {
      this.job = null;
      job.workerDied(how, worker.tail());
    }
    this.freed();
  }
}
