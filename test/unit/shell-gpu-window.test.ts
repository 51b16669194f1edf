/**
 * Invariants under test (Electron mocked: the binary is not needed): the GPU window is hidden, sandboxed,
 * context-isolated, loads the trainer page with its own preload, and gets its MessagePort by
 * webContents.postMessage; a page that never says `ready` is closed, not leaked; the hidden window closes
 * with the last visible one and is left out of appWindows(); the desktop app's `backends.report` adds the
 * window's webgpu/webgl attempts with the probe's reason, and the result matches the contract; once the
 * deep worker queue has the window (runsLink) the report says runs use it, and a job in flight fails with
 * the reason when the page crashes or Chromium's GPU process goes away.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backendsReport } from '../../src-shared/contract/schemas';
import { GPU_TRAINER_PORT_CHANNEL, type GpuProbe } from '../../src-shared/contract/gpu-trainer';
import type { Handler, ServiceContext } from '../../src-main/services';

const SWIFTSHADER: GpuProbe = {
  webgpu: { api: 'webgpu', available: false, software: false, adapter: null, reason: 'WebGPU offers no adapter', backendBundled: true },
  webgl: { api: 'webgl', available: true, software: true, adapter: 'ANGLE (SwiftShader)', reason: 'software renderer SwiftShader', backendBundled: true },
};

const electron = vi.hoisted(() => {
  /** The part of Node's EventEmitter the shell uses (vi.hoisted runs before imports). */
  class EventEmitter {
    private readonly listeners = new Map<string, ((...args: never[]) => void)[]>();
    on(event: string, listener: (...args: never[]) => void): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    once(event: string, listener: (...args: never[]) => void): this {
      const wrapped = (...args: never[]): void => {
        this.off(event, wrapped);
        listener(...args);
      };
      return this.on(event, wrapped);
    }
    off(event: string, listener: (...args: never[]) => void): this {
      this.listeners.set(event, (this.listeners.get(event) ?? []).filter((l) => l !== listener));
      return this;
    }
    listenerCount(event: string): number {
      return this.listeners.get(event)?.length ?? 0;
    }
    emit(event: string, ...args: unknown[]): void {
      for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
    }
  }
  /** A MessagePortMain pair where port1's posts reach `page` and the page's replies come back as 'message' events. */
  class FakePort extends EventEmitter {
    other: FakePort | undefined;
    closed = false;
    postMessage(message: unknown): void {
      state.page?.(message, (reply) => this.emit('message', { data: reply }));
    }
    start(): void {}
    close(): void {
      this.closed = true;
    }
  }
  class FakeWindow extends EventEmitter {
    destroyed = false;
    webContents = Object.assign(new EventEmitter(), {
      setWindowOpenHandler: vi.fn(),
      postMessage: vi.fn(),
      reload: vi.fn(),
    });
    constructor(readonly options: Record<string, unknown>) {
      super();
      state.windows.push(this);
      for (const listener of state.created) listener({}, this);
    }
    loadFile = vi.fn(async (_file: string) => undefined);
    loadURL = vi.fn(async (_url: string) => undefined);
    isDestroyed(): boolean {
      return this.destroyed;
    }
    destroy(): void {
      this.destroyed = true;
      state.windows.splice(state.windows.indexOf(this), 1);
      this.emit('closed');
    }
  }
  const state = {
    windows: [] as FakeWindow[],
    created: [] as ((event: unknown, window: FakeWindow) => void)[],
    ports: [] as FakePort[],
    /** app listeners other than browser-window-created (child-process-gone). */
    appListeners: new Map<string, ((...args: never[]) => void)[]>(),
    /** The fake page: answers each message the main side posts. */
    page: undefined as ((message: unknown, reply: (m: unknown) => void) => void) | undefined,
  };
  return {
    state,
    FakeWindow,
    module: {
      BrowserWindow: Object.assign(FakeWindow, { getAllWindows: () => [...state.windows] }),
      MessageChannelMain: class {
        port1 = new FakePort();
        port2 = new FakePort();
        constructor() {
          state.ports.push(this.port1);
        }
      },
      app: {
        on: (event: string, listener: (e: unknown, w: FakeWindow) => void) => {
          if (event === 'browser-window-created') state.created.push(listener);
          else state.appListeners.set(event, [...(state.appListeners.get(event) ?? []), listener as (...args: never[]) => void]);
        },
        off: (event: string, listener: (e: unknown, w: FakeWindow) => void) => {
          if (event === 'browser-window-created') state.created.splice(state.created.indexOf(listener), 1);
          else state.appListeners.set(event, (state.appListeners.get(event) ?? []).filter((l) => l !== (listener as unknown)));
        },
      },
    },
  };
});
vi.mock('electron', () => electron.module);

const { appWindows, GpuWindowProbe, GpuWindowSession, openGpuWindow, PROBE_RETRY_MS } = await import('../../src-main/shell/gpu-window');

/** A page that is ready, answers probes like Chromium on SwiftShader, and "trains" one batch. */
function swiftShaderPage(message: unknown, reply: (m: unknown) => void): void {
  const m = message as { type: string; id: number };
  if (m.type === 'probe') reply({ type: 'probe', id: m.id, probe: SWIFTSHADER });
  if (m.type === 'train') {
    reply({ type: 'progress', id: m.id, progress: { epoch: 0, batch: 0, batchesPerEpoch: 1, loss: 0.5, accuracy: 1, imagesPerSecond: 10 } });
    reply({
      type: 'trained',
      id: m.id,
      backend: { name: 'webgl', package: '@tensorflow/tfjs-backend-webgl', version: '4.22.0', adapter: 'ANGLE (SwiftShader)', software: true },
      weights: { names: ['head/bias'], shapes: [[1]], data: [Float32Array.of(0.25)] },
      result: { epochs: [], batches: 1, images: 2, seconds: 0.1 },
    });
  }
}

const JOB = {
  backend: 'webgl' as const,
  allowSoftware: true,
  model: { architecture: { name: 'x', description: '', defaultInputShape: [2, 2, 1] as const, layers: [{ kind: 'flatten' as const }, { kind: 'dense' as const, units: 'classes' as const }] }, inputShape: [2, 2, 1] as const, numClasses: 2, seed: 1 },
  images: { pixels: new Uint8Array(8), n: 2, height: 2, width: 2, channels: 1 },
  labels: Int32Array.of(0, 1),
  options: { epochs: 1, batchSize: 2, learningRate: 0.01, seed: 1 },
};

beforeEach(() => {
  electron.state.windows.length = 0;
  electron.state.created.length = 0;
  electron.state.ports.length = 0;
  electron.state.appListeners.clear();
  electron.state.page = swiftShaderPage;
});
afterEach(() => vi.useRealTimers());

/** Sends `ready` as the page does once it has its port (after loadFile and postMessage). */
function pageSaysReady(): void {
  const check = setInterval(() => {
    const port = electron.state.ports.at(-1);
    if (port !== undefined) {
      clearInterval(check);
      port.emit('message', { data: { type: 'ready', protocol: 1, tfjs: '4.22.0' } });
    }
  }, 1);
}

describe('the GPU window', () => {
  it('is a hidden, sandboxed window on the trainer page, connected by a MessagePort, and closes with the last visible window', async () => {
    const visible = new electron.FakeWindow({ show: true });
    pageSaysReady();
    const opened = await openGpuWindow('/app/out/main');
    const gpu = electron.state.windows[1];
    expect(gpu.options).toMatchObject({
      show: false,
      webPreferences: { preload: join('/app/out/main', '../preload/gpu-trainer.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false },
    });
    expect(gpu.loadFile).toHaveBeenCalledWith(join('/app/out/main', '../renderer/gpu-trainer.html'));
    expect(gpu.webContents.postMessage).toHaveBeenCalledWith(GPU_TRAINER_PORT_CHANNEL, null, [expect.anything()]);
    expect(opened.tfjs).toBe('4.22.0');
    expect(await opened.client.probe()).toEqual(SWIFTSHADER);
    expect(appWindows()).toEqual([visible]);

    visible.destroy();
    expect(gpu.isDestroyed()).toBe(true);
    expect(electron.state.ports[0].closed).toBe(true);
  });

  it('stops listening to the app windows when it closes, so reopening it does not pile up listeners', async () => {
    const visible = new electron.FakeWindow({ show: true });
    const before = visible.listenerCount('closed');
    for (let i = 0; i < 5; i++) {
      pageSaysReady();
      const opened = await openGpuWindow('/app/out/main');
      expect(visible.listenerCount('closed')).toBe(before + 1);
      opened.close();
      expect(visible.listenerCount('closed')).toBe(before);
    }
    // A window that is still open keeps closing with the last visible one.
    pageSaysReady();
    const opened = await openGpuWindow('/app/out/main');
    visible.destroy();
    expect(opened.isClosed()).toBe(true);
  });

  it('closes the window when the page never says ready', async () => {
    vi.useFakeTimers();
    const opening = openGpuWindow('/app/out/main').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await opening).toMatchObject({ message: 'the GPU trainer page did not answer after 30 s' });
    expect(electron.state.windows).toEqual([]);
  });
});

/** Opens a window whose page answers ready, counting the opens (probes and sessions share windows so). */
const opener = (counter: { opens: number }) => async () => {
  counter.opens++;
  pageSaysReady();
  return openGpuWindow('/app/out/main');
};

describe("the desktop app's backends report", () => {
  const base: Handler<'backends.report'> = () => ({ preferences: [{ preference: 'auto', candidates: ['tensorflow-gpu', 'tensorflow-cpu', 'wasm', 'cpu'] }], latest: null });
  const ctx = {} as ServiceContext;

  it("adds the window's links with the probe's reasons, probing once and closing the idle window", async () => {
    const counter = { opens: 0 };
    const probe = new GpuWindowProbe(opener(counter), 0);
    const report = await probe.withReport(base)({}, ctx);
    expect(backendsReport.parse(report)).toEqual(report);
    expect(report.gpuWindow).toMatchObject({
      usedByRuns: false,
      attempts: [
        { candidate: 'webgpu', ok: false, reason: 'webgpu unavailable: WebGPU offers no adapter' },
        { candidate: 'webgl', ok: false, reason: 'webgl skipped: software renderer SwiftShader' },
      ],
    });
    expect(electron.state.windows).toEqual([]);
    await probe.withReport(base)({}, ctx);
    expect(counter.opens).toBe(1);
  });

  it('says runs use the window once the deep worker queue has its link, which shares the cached probe and trains', async () => {
    const counter = { opens: 0 };
    const probe = new GpuWindowProbe(opener(counter), 0);
    const link = probe.runsLink();
    expect(await link.probe()).toEqual({ probe: SWIFTSHADER, tfjs: '4.22.0' });
    const report = await probe.withReport(base)({}, ctx);
    expect(backendsReport.parse(report)).toEqual(report);
    expect(report.gpuWindow).toMatchObject({ usedByRuns: true, note: expect.stringContaining('Head runs with backend auto train their body here') });
    expect(counter.opens).toBe(1);
    const trained = await link.train(JOB, {});
    expect(trained.weights.data[0]).toEqual(Float32Array.of(0.25));
  });

  it('says why when the window cannot be opened, and tries again only after PROBE_RETRY_MS', async () => {
    let opens = 0;
    let clock = 1_000_000;
    const probe = new GpuWindowProbe(
      async () => {
        opens++;
        throw new Error('gpu-trainer.html is missing');
      },
      undefined,
      () => clock,
    );
    const attempts = await probe.attempts();
    expect(attempts).toEqual([
      { candidate: 'webgpu', ok: false, reason: 'webgpu: the GPU window failed: gpu-trainer.html is missing' },
      { candidate: 'webgl', ok: false, reason: 'webgl: the GPU window failed: gpu-trainer.html is missing' },
    ]);
    // Head runs asking right after a failure get the kept reason without waiting on another window.
    clock += PROBE_RETRY_MS - 1;
    await probe.runsLink().probe();
    expect(opens).toBe(1);
    clock += 1;
    await probe.attempts();
    expect(opens).toBe(2);
  });
});

describe('the GPU window session (what a run would train through)', () => {
  it('trains through one window, relaying progress, keeps it while working and closes it when idle', async () => {
    const counter = { opens: 0 };
    const session = new GpuWindowSession(opener(counter), 60_000);
    const progress: number[] = [];
    const [a, b] = await Promise.all([session.train(JOB, { onProgress: (p) => progress.push(p.loss) }), session.probe()]);
    expect(a.weights.data[0]).toEqual(Float32Array.of(0.25));
    expect(b.probe).toEqual(SWIFTSHADER);
    expect(progress).toEqual([0.5]);
    expect(counter.opens).toBe(1);
    expect(electron.state.windows).toHaveLength(1);
    vi.useFakeTimers();
    await session.probe();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(electron.state.windows).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(electron.state.windows).toEqual([]);
  });

  it("fails a job in flight with the reason when the page crashes or the GPU process goes away", async () => {
    // A page that probes but never finishes a train job (it counts the jobs it got).
    let trainsReceived = 0;
    electron.state.page = (message, reply) => {
      if ((message as { type: string }).type === 'probe') swiftShaderPage(message, reply);
      if ((message as { type: string }).type === 'train') trainsReceived++;
    };
    const session = new GpuWindowSession(opener({ opens: 0 }), 60_000);
    const crashed = session.train(JOB).catch((e: unknown) => e);
    // The job is in flight once the page has it.
    await vi.waitFor(() => expect(trainsReceived).toBe(1));
    expect(electron.state.ports).toHaveLength(1);
    electron.state.windows[0].webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    expect(await crashed).toMatchObject({ name: 'GpuTrainerError', code: 'closed', message: "the GPU window's page went away (crashed, exit code 139)" });

    const lost = session.train(JOB).catch((e: unknown) => e);
    await vi.waitFor(() => expect(trainsReceived).toBe(2));
    expect(electron.state.ports).toHaveLength(2);
    // Another child process going away does not concern the window.
    for (const l of electron.state.appListeners.get('child-process-gone') ?? []) (l as (e: unknown, d: unknown) => void)({}, { type: 'Utility', reason: 'crashed' });
    expect(electron.state.windows).toHaveLength(1);
    for (const l of electron.state.appListeners.get('child-process-gone') ?? []) (l as (e: unknown, d: unknown) => void)({}, { type: 'GPU', reason: 'crashed' });
    expect(await lost).toMatchObject({ code: 'closed', message: 'the GPU process went away (crashed): the GPU window lost its graphics context' });
    expect(electron.state.windows).toEqual([]);
    expect(electron.state.appListeners.get('child-process-gone')).toEqual([]);
    session.close();
  });

  it('reopens the window after its page crashed', async () => {
    const counter = { opens: 0 };
    const session = new GpuWindowSession(opener(counter), 60_000);
    await session.probe();
    electron.state.windows[0].webContents.emit('render-process-gone');
    expect(electron.state.windows).toEqual([]);
    await session.probe();
    expect(counter.opens).toBe(2);
    session.close();
  });
});
