/**
 * The desktop app's GPU links of the backend chain: TF.js's webgpu and webgl backends in
 * a hidden renderer window (src-main/deep/gpu-page, opened by src-main/shell/gpu-window.ts), used only
 * when the window's adapter is a real GPU — the GPU path for Apple, AMD and Intel, which CUDA does not
 * cover. On a software adapter (SwiftShader, llvmpipe, WARP, the WebGPU fallback adapter) the window's
 * shaders run on the CPU, slower than wasm's XNNPACK, so the chain skips them and says why.
 *
 * Electron-free: the client talks to the page over any MessagePort-like transport, so tests drive the
 * real page in Chromium with it, and the chain logic is tested with an injected probe.
 */
import {
  gpuTrainerReply,
  type GpuBackendName,
  type GpuProbe,
  type GpuTrainerErrorCode,
  type GpuTrainerReply,
  type TrainedReply,
} from '../../src-shared/contract/gpu-trainer';
import type { ArchitectureSpec, InitScheme } from './architecture-specs';
import { BackendUnavailableError, type BackendLoader, type GpuWindowCandidateId, type LoadedBackend } from './backend-types';
import { CancelledError } from './cancel';
import type { ImageSet } from './images';
import type { TrainOptions } from './train';
import type { WeightsByValue } from './weights';

const PACKAGES: Readonly<Record<GpuBackendName, string>> = { webgpu: '@tensorflow/tfjs-backend-webgpu', webgl: '@tensorflow/tfjs-backend-webgl' };

/** Why the GPU links are missing where there is no window (the reason when the app could not open it). */
export const NO_GPU_WINDOW = 'only in the desktop app (TF.js in a hidden renderer window)';

/**
 * Loaders for the chain from the window's probe: a real GPU loads (the run would train in the window),
 * a software or missing adapter fails with the probe's reason, e.g. "webgl skipped: software renderer
 * SwiftShader". `probe` undefined (the window could not be opened) fails with `unavailableReason`.
 * `allowSoftware` is for tests of the window's training path on machines without a GPU.
 */
export function gpuWindowLoaders(
  probe: GpuProbe | undefined,
  options: { readonly tfjsVersion: string; readonly unavailableReason?: string; readonly allowSoftware?: boolean },
): Readonly<Record<GpuWindowCandidateId, BackendLoader>> {
  const loader =
    (api: GpuBackendName): BackendLoader =>
    async (): Promise<LoadedBackend> => {
      if (probe === undefined) throw new BackendUnavailableError(`${api}: ${options.unavailableReason ?? NO_GPU_WINDOW}`);
      const p = probe[api];
      if (!p.available) throw new BackendUnavailableError(`${api} unavailable: ${p.reason}`);
      if (!p.backendBundled) throw new BackendUnavailableError(`${api} unavailable: ${PACKAGES[api]} is not bundled in the GPU window`);
      if (p.software && options.allowSoftware !== true) throw new BackendUnavailableError(`${api} skipped: ${p.reason}`);
      return { name: api, package: PACKAGES[api], version: options.tfjsVersion, ...(p.adapter !== null ? { adapter: p.adapter } : {}), where: 'gpu-window' };
    };
  return { webgpu: loader('webgpu'), webgl: loader('webgl') };
}

/** A MessagePort as either side sees it (DOM MessagePort, Electron's MessagePortMain, a test's bridge). */
export interface GpuTrainerTransport {
  post(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  /** Returns the unsubscribe function. */
  onMessage(listener: (message: unknown) => void): () => void;
  close(): void;
}

/** An `error` reply rebuilt on this side as a typed error, with the page's code and stack. */
export class GpuTrainerError extends Error {
  override readonly name = 'GpuTrainerError';

  constructor(
    readonly code: GpuTrainerErrorCode | 'closed' | 'bad_reply',
    message: string,
    readonly remoteName?: string,
    readonly remoteStack?: string,
  ) {
    super(message);
  }
}

/** A train request as this side holds it (readonly shapes of src-main/deep); the page validates it on arrival. */
export interface TrainJob {
  readonly backend: GpuBackendName;
  /** Train even on a software adapter (tests); the chain never sets it. */
  readonly allowSoftware?: boolean;
  readonly model: {
    readonly architecture: ArchitectureSpec;
    readonly inputShape: readonly [number, number, number];
    readonly numClasses: number;
    readonly seed: number;
    readonly init?: InitScheme;
    /** The run's stored initial weights (else drawn from `seed`, which gives the same values). */
    readonly initialWeights?: WeightsByValue;
  };
  readonly images: ImageSet;
  readonly labels: Int32Array;
  /** The rows to train on (the candidate rows); all when absent. */
  readonly rows?: Int32Array;
  readonly options: Omit<TrainOptions, 'signal' | 'onBatch'>;
}

export interface TrainHandlers {
  readonly onProgress?: (progress: Extract<GpuTrainerReply, { type: 'progress' }>['progress']) => void;
  /** Aborting sends `cancel`; the promise then rejects with a CancelledError once the page stops between batches. */
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly resolve: (reply: GpuTrainerReply) => void;
  readonly reject: (error: Error) => void;
  readonly onProgress?: TrainHandlers['onProgress'];
}

/**
 * Main's side of the protocol: request ids, reply validation, progress routing, cancel. Replies that do
 * not match the protocol reject their request (or all of them, when they carry no id) rather than being
 * trusted.
 */
export class GpuTrainerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly unsubscribe: () => void;
  private closed = false;
  /** Resolves with the page's `ready` message (protocol version, tfjs version). */
  readonly ready: Promise<Extract<GpuTrainerReply, { type: 'ready' }>>;
  private resolveReady!: (reply: Extract<GpuTrainerReply, { type: 'ready' }>) => void;

  constructor(private readonly transport: GpuTrainerTransport) {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.unsubscribe = transport.onMessage((message) => this.receive(message));
  }

  probe(): Promise<GpuProbe> {
    return this.request({ type: 'probe' }).then((reply) => (reply as Extract<GpuTrainerReply, { type: 'probe' }>).probe);
  }

  /** Trains in the page; resolves with the trained weights, rejects with GpuTrainerError or CancelledError. */
  train(job: TrainJob, handlers: TrainHandlers = {}): Promise<TrainedReply> {
    const { signal } = handlers;
    if (signal?.aborted) return Promise.reject(new CancelledError('training cancelled before it started'));
    const id = this.nextId++;
    const onAbort = (): void => {
      if (this.pending.has(id) && !this.closed) this.transport.post({ type: 'cancel', id });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    return this.request({ ...job, type: 'train' }, handlers.onProgress, id)
      .then((reply) => reply as TrainedReply)
      .finally(() => signal?.removeEventListener('abort', onAbort));
  }

  /**
   * Rejects everything pending with `reason` (e.g. the window's page crashed); the page itself stays (its
   * window belongs to the caller).
   */
  close(reason = 'the GPU trainer connection was closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.transport.close();
    this.failAll(new GpuTrainerError('closed', reason));
  }

  private request(body: Record<string, unknown>, onProgress?: TrainHandlers['onProgress'], id = this.nextId++): Promise<GpuTrainerReply> {
    if (this.closed) return Promise.reject(new GpuTrainerError('closed', 'the GPU trainer connection is closed'));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      this.transport.post({ ...body, id });
    });
  }

  private failAll(error: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }

  private receive(message: unknown): void {
    const parsed = gpuTrainerReply.safeParse(message);
    if (!parsed.success) {
      const id = typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
      const error = new GpuTrainerError('bad_reply', `the GPU trainer sent a reply that does not match the protocol: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (pending !== undefined) {
        this.pending.delete(id as number);
        pending.reject(error);
      } else this.failAll(error);
      return;
    }
    const reply = parsed.data;
    if (reply.type === 'ready') {
      this.resolveReady(reply);
      return;
    }
    const pending = reply.id === null ? undefined : this.pending.get(reply.id);
    if (pending === undefined) {
      // An error without a usable id answers a message we cannot match: every caller must hear of it.
      if (reply.type === 'error' && reply.id === null) this.failAll(new GpuTrainerError(reply.error.code, reply.error.message, reply.error.name, reply.error.stack));
      // Otherwise: progress or a late answer for a request already settled.
      return;
    }
    const id = reply.id as number;
    switch (reply.type) {
      case 'progress':
        pending.onProgress?.(reply.progress);
        return;
      case 'cancelled':
        this.pending.delete(id);
        pending.reject(new CancelledError(reply.message));
        return;
      case 'error':
        this.pending.delete(id);
        pending.reject(new GpuTrainerError(reply.error.code, reply.error.message, reply.error.name, reply.error.stack));
        return;
      case 'probe':
      case 'trained':
        this.pending.delete(id);
        pending.resolve(reply);
        return;
    }
  }
}
