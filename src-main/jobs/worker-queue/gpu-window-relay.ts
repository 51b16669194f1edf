/**
 * The GPU window (desktop app) as the deep worker's runs reach it. The window is reachable from this
 * process only, so a head run with backend `auto` gets the window's cached adapter probe in its `start`
 * (its links join the run's chain), and when the chain picks one, the worker's `gpu-train` is carried
 * out here through the window's session, relaying progress; the run's cancel stops the window's job
 * between batches. One window job at a time: a new one waits until the previous has stopped (the page
 * trains one at a time), also when the queue's lanes run several runs at once.
 */
import type { GpuProbe, TrainedReply } from '../../../src-shared/contract/gpu-trainer';
import type { TrainHandlers, TrainJob } from '../../deep/backend-gpu-window';
import { CancelledError } from '../../deep/cancel';
import { firstIssue, serializeError } from '../envelope';
import type { WorkerProcess } from '../worker-process';
import { gpuRelayFromWorker, type GpuWindowStart } from '../worker-protocol';

/**
 * The desktop app's GPU window as the queue uses it (src-main/shell/gpu-window.ts, GpuWindowProbe.runsLink;
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

/** The run in the worker now, as the relay needs it. */
export interface RelayedRun {
  readonly runId: number;
  readonly cancelRequested: boolean;
  readonly cancelReason: string;
}

export class GpuWindowRelay {
  /** The window jobs in flight or waiting, by run (one per run; with several lanes, several runs may ask). */
  private readonly jobs = new Map<number, AbortController>();
  /** Settles once the window's last job has (a new one waits for it). */
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly link: GpuWindowLink | undefined) {}

  /** The window's probe for a run's start (the link caches it); undefined without a window. */
  async startInfo(): Promise<GpuWindowStart | undefined> {
    const link = this.link;
    if (link === undefined) return undefined;
    try {
      const { probe, tfjs, error } = await link.probe();
      return { probe: probe ?? null, tfjsVersion: tfjs, ...(error !== undefined ? { unavailableReason: error } : {}) };
    } catch (error) {
      return { probe: null, tfjsVersion: 'unknown', unavailableReason: `the GPU window failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** Stops the window's job of that run, if it has one (between batches; it then answers gpu-failed). */
  abort(runId: number, reason: string): void {
    this.jobs.get(runId)?.abort(reason);
  }

  /**
   * The worker's gpu-train / gpu-cancel (validated: the job is the run's data). The answer goes to the
   * worker that asked, as gpu-progress* then gpu-trained | gpu-failed; an error becomes data there.
   */
  onMessage(worker: WorkerProcess, raw: unknown, running: RelayedRun | null): void {
    const parsed = gpuRelayFromWorker.safeParse(raw);
    const runId = typeof raw === 'object' && raw !== null ? (raw as { runId?: unknown }).runId : undefined;
    const fail = (id: number, message: string): void => worker.send({ type: 'gpu-failed', runId: id, error: { name: 'Error', message }, cancelled: false });
    if (!parsed.success) {
      if (typeof runId === 'number') fail(runId, `the training worker sent a GPU window request that does not match the protocol: ${firstIssue(parsed.error)}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'gpu-cancel') {
      this.abort(message.runId, 'cancelled');
      return;
    }
    if (running === null || running.runId !== message.runId) {
      fail(message.runId, `run ${message.runId} is not the one running`);
      return;
    }
    const link = this.link;
    if (link === undefined) {
      fail(message.runId, 'this app has no GPU window');
      return;
    }
    const abort = new AbortController();
    if (running.cancelRequested) abort.abort(running.cancelReason);
    const entry = { runId: message.runId, abort };
    this.jobs.set(entry.runId, abort);
    const work = this.idle
      .then(() =>
        link.train(message.job, {
          signal: abort.signal,
          onProgress: (progress) => worker.send({ type: 'gpu-progress', runId: entry.runId, progress }),
        }),
      )
      .then(
        (trained) => worker.send({ type: 'gpu-trained', runId: entry.runId, trained }),
        (error: unknown) => worker.send({ type: 'gpu-failed', runId: entry.runId, error: serializeError(error), cancelled: error instanceof CancelledError || abort.signal.aborted }),
      )
      .finally(() => {
        if (this.jobs.get(entry.runId) === abort) this.jobs.delete(entry.runId);
      });
    this.idle = work;
  }
}
