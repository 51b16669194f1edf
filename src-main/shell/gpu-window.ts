/**
 * The desktop app's GPU window: a hidden, sandboxed BrowserWindow on the GPU trainer page
 * (src-renderer/gpu-trainer.html), where TF.js's webgpu and webgl backends can reach the GPU of an Apple,
 * AMD or Intel machine. Thin: the page does the probing and training; the protocol, its client and the
 * chain's loaders are Electron-free (src-shared/contract/gpu-trainer.ts, src-main/deep/backend-gpu-window.ts).
 *
 * Lifecycle: opened on demand, never shown, navigation refused; closed after a minute without work, or
 * with the last visible window (a hidden window would otherwise keep `window-all-closed` from firing), or
 * when its page crashes or Chromium's GPU process goes away (the page's WebGL/WebGPU context is then lost);
 * reopened on the next use (GpuWindowSession). A job in flight then fails with that reason, which a run
 * records as its error.
 * Electron's binary is not available on the build machines: this file is type-checked only.
 */
import { join } from 'node:path';
import { app, BrowserWindow, MessageChannelMain } from 'electron';
import { GPU_TRAINER_PORT_CHANNEL, type GpuProbe, type TrainedReply } from '../../src-shared/contract/gpu-trainer';
import { GpuTrainerClient, gpuWindowLoaders, type GpuTrainerTransport, type TrainHandlers, type TrainJob } from '../deep/backend-gpu-window';
import { GPU_WINDOW_CANDIDATES, tryCandidates } from '../deep/backend-chain';
import type { BackendAttempt } from '../deep/backend-types';
import type { GpuWindowLink } from '../jobs/worker-queue/gpu-window-relay';
import type { Handler } from '../services';

/** The page must say `ready` within this long (it loads TF.js, ~3 MB, from disk). */
const READY_TIMEOUT_MS = 30_000;

/** Windows of the app other than the hidden GPU window: what menus, events and focus should see. */
const gpuWindows = new WeakSet<BrowserWindow>();
export function appWindows(): BrowserWindow[] {
  return BrowserWindow.getAllWindows().filter((w) => !gpuWindows.has(w));
}

export interface OpenedGpuWindow {
  readonly client: GpuTrainerClient;
  /** TF.js's version in the page (the loaders report it). */
  readonly tfjs: string;
  /** Whether the window is gone (closed here, crashed, or closed with the last visible window). */
  isClosed(): boolean;
  close(): void;
}

function rejectAfter(ms: number, what: string): Promise<never> {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`${what} after ${ms / 1000} s`)), ms).unref());
}

/** Opens the hidden window and connects to its page; rejects (and closes the window) if the page does not come up. */
export async function openGpuWindow(bundleDir: string = import.meta.dirname, devServer = process.env.ELECTRON_RENDERER_URL): Promise<OpenedGpuWindow> {
  const window = new BrowserWindow({
    show: false,
    width: 320,
    height: 240,
    title: 'Fairbound GPU trainer',
    webPreferences: {
      preload: join(bundleDir, '../preload/gpu-trainer.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      // A hidden window counts as in the background: do not slow its timers and tasks while it trains.
      backgroundThrottling: false,
    },
  });
  gpuWindows.add(window);
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));

  let client: GpuTrainerClient | undefined;
  let closed = false;
  /** The app windows whose 'closed' this window listens to, with the listener: removed when it closes. */
  const watched = new Map<BrowserWindow, () => void>();
  const close = (reason?: string): void => {
    closed = true;
    for (const [w, listener] of watched) w.off('closed', listener);
    watched.clear();
    client?.close(reason);
    if (!window.isDestroyed()) window.destroy();
    app.off('child-process-gone', onChildGone);
  };
  // A crashed or killed page fails whatever was pending (the client rejects with code `closed` and why).
  window.webContents.on('render-process-gone', (_event: unknown, details?: { reason?: string; exitCode?: number }) =>
    close(`the GPU window's page went away (${details?.reason ?? 'gone'}${details?.exitCode !== undefined ? `, exit code ${details.exitCode}` : ''})`),
  );
  // Chromium restarts a crashed GPU process, but the page's WebGL/WebGPU context is lost with it: a job in
  // flight would go on with broken state, so it fails and the next use gets a fresh window.
  const onChildGone = (_event: unknown, details: { type: string; reason: string }): void => {
    if (details.type === 'GPU') close(`the GPU process went away (${details.reason}): the GPU window lost its graphics context`);
  };
  app.on('child-process-gone', onChildGone);
  // The hidden window must not outlive the visible ones.
  const closeIfAlone = (): void => {
    if (appWindows().every((w) => w.isDestroyed())) close('the GPU window was closed with the last window of the app');
  };
  const watch = (w: BrowserWindow): void => {
    if (closed || watched.has(w)) return;
    const listener = (): void => {
      watched.delete(w);
      closeIfAlone();
    };
    watched.set(w, listener);
    w.on('closed', listener);
  };
  appWindows().forEach(watch);
  const onCreated = (_event: unknown, w: BrowserWindow): void => {
    if (!gpuWindows.has(w)) watch(w);
  };
  app.on('browser-window-created', onCreated);
  window.once('closed', () => app.off('browser-window-created', onCreated));

  try {
    if (devServer) await window.loadURL(`${devServer}/gpu-trainer.html`);
    else await window.loadFile(join(bundleDir, '../renderer/gpu-trainer.html'));
    const { port1, port2 } = new MessageChannelMain();
    const transport: GpuTrainerTransport = {
      // MessagePortMain transfers ports only: typed arrays are structured-cloned (copied) both ways.
      post: (message) => port1.postMessage(message),
      onMessage: (listener) => {
        const handler = (event: { data: unknown }): void => listener(event.data);
        port1.on('message', handler);
        return () => port1.off('message', handler);
      },
      close: () => port1.close(),
    };
    client = new GpuTrainerClient(transport);
    port1.start();
    window.webContents.postMessage(GPU_TRAINER_PORT_CHANNEL, null, [port2]);
    const ready = await Promise.race([client.ready, rejectAfter(READY_TIMEOUT_MS, 'the GPU trainer page did not answer')]);
    return { client, tfjs: ready.tfjs, isClosed: () => closed || window.isDestroyed(), close: () => close() };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * One GPU window shared by probing and training: opened on first use, kept while it works, closed after
 * `idleMs` without work (a page holding TF.js and a GPU context costs memory), reopened after a crash.
 * `train` is what a run's training step calls (see trainOnGpuWindow in src-main/deep/backend-gpu-train.ts).
 */
export class GpuWindowSession {
  private opened: Promise<OpenedGpuWindow> | undefined;
  private working = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly open: () => Promise<OpenedGpuWindow> = () => openGpuWindow(),
    private readonly idleMs = 60_000,
  ) {}

  probe(): Promise<{ readonly probe: GpuProbe; readonly tfjs: string }> {
    return this.use(async (w) => ({ probe: await w.client.probe(), tfjs: w.tfjs }));
  }

  train(job: TrainJob, handlers: TrainHandlers = {}): Promise<TrainedReply> {
    return this.use((w) => w.client.train(job, handlers));
  }

  /** The open window, or a new one when there is none or it went away (crash, last visible window closed). */
  private async window(): Promise<OpenedGpuWindow> {
    const current = this.opened;
    if (current !== undefined) {
      const w = await current.catch(() => undefined);
      if (w !== undefined && !w.isClosed()) return w;
      // Another caller may have reopened it meanwhile.
      if (this.opened !== current) return this.window();
    }
    const opening = this.open();
    this.opened = opening;
    opening.catch(() => {
      if (this.opened === opening) this.opened = undefined;
    });
    return opening;
  }

  close(): void {
    clearTimeout(this.idleTimer);
    const opened = this.opened;
    this.opened = undefined;
    void opened?.then((w) => w.close(), () => undefined);
  }

  private async use<T>(work: (w: OpenedGpuWindow) => Promise<T>): Promise<T> {
    clearTimeout(this.idleTimer);
    this.working++;
    try {
      return await work(await this.window());
    } finally {
      this.working--;
      if (this.working === 0) {
        if (this.idleMs === 0) this.close();
        else this.idleTimer = setTimeout(() => this.close(), this.idleMs).unref();
      }
    }
  }
}

/** What the report says where the window is not handed to the deep worker queue. */
const NOT_USED_BY_RUNS =
  'Runs train in the worker process (tensorflow, wasm or cpu): this app does not hand the GPU window to its deep worker queue.';

/** What the report says where it is (the desktop app: main.ts passes runsLink() to the deep worker queue). */
const USED_BY_RUNS =
  "Head runs with backend auto train their body here when the chain picks webgpu or webgl; latent features, the head QSA, full-model runs and experiments' deep trials stay in the training worker process.";

/**
 * The GPU window's links for the report, from the session's probe (kept: the adapter does not change
 * while the app runs). A failure is kept for PROBE_RETRY_MS only: a window that cannot open may wait up to
 * its ready timeout, and every head run with backend auto asks, so they should not each pay it; a later
 * report or run tries again.
 */
export const PROBE_RETRY_MS = 5 * 60_000;

export class GpuWindowProbe {
  readonly session: GpuWindowSession;
  private readonly now: () => number;
  private result: Promise<{ readonly probe: GpuProbe | undefined; readonly tfjs: string; readonly error?: string }> | undefined;
  private linked = false;

  private failedAt: number | undefined;

  constructor(open?: () => Promise<OpenedGpuWindow>, idleMs?: number, now: () => number = Date.now) {
    this.session = new GpuWindowSession(open, idleMs);
    this.now = now;
  }

  private probeOnce(): Promise<{ readonly probe: GpuProbe | undefined; readonly tfjs: string; readonly error?: string }> {
    if (this.failedAt !== undefined && this.now() - this.failedAt >= PROBE_RETRY_MS) {
      this.result = undefined;
      this.failedAt = undefined;
    }
    this.result ??= this.session.probe().catch((error: unknown) => {
      this.failedAt = this.now();
      return { probe: undefined, tfjs: 'unknown', error: `the GPU window failed: ${error instanceof Error ? error.message : String(error)}` };
    });
    return this.result;
  }

  /**
   * The window for the deep worker queue (DeepWorkerQueueOptions.gpuWindow): this cached probe for the runs'
   * chain, and the session's train. From then on the report says runs use the window.
   */
  runsLink(): GpuWindowLink {
    this.linked = true;
    return { probe: () => this.probeOnce(), train: (job, handlers) => this.session.train(job, handlers) };
  }

  /** webgpu then webgl as the chain would try them, each with its reason. */
  async attempts(): Promise<BackendAttempt[]> {
    const { probe, tfjs, error } = await this.probeOnce();
    const gpu = gpuWindowLoaders(probe, { tfjsVersion: tfjs, ...(error !== undefined ? { unavailableReason: error } : {}) });
    // Only the GPU links are tried: the native and wasm links belong to the worker process, not main.
    return (await tryCandidates(GPU_WINDOW_CANDIDATES, gpu)).attempts;
  }

  /** The `backends.report` route of the desktop app: the services' report plus the GPU window's links. */
  withReport(base: Handler<'backends.report'>): Handler<'backends.report'> {
    return async (input, ctx) => {
      const report = await base(input, ctx);
      const usedByRuns = this.linked;
      return { ...report, gpuWindow: { attempts: await this.attempts(), usedByRuns, note: usedByRuns ? USED_BY_RUNS : NOT_USED_BY_RUNS } };
    };
  }
}
