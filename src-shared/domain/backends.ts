/**
 * The vocabulary of the TensorFlow.js backend chain: what a user may ask for and what a run reports
 * having used. Plain data, stored with each run and shown by every face, so it lives apart from the
 * loaders (src-main/deep).
 */

/** What a user may ask for; `auto` walks the whole chain. */
export const BACKEND_PREFERENCE_NAMES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCE_NAMES)[number];

export const BACKEND_PREFERENCES: readonly BackendPreference[] = BACKEND_PREFERENCE_NAMES;

/** tf.getBackend() names of the backends the chain can end on (webgpu/webgl: in the desktop app's GPU window). */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/**
 * One link of the chain. `tensorflow` has two: the CUDA build of libtensorflow (tfjs-node-gpu) and the
 * CPU build (tfjs-node); both register the backend name `tensorflow`.
 */
export type CandidateId = 'tensorflow-gpu' | 'tensorflow-cpu' | 'wasm' | 'cpu';

/**
 * Links that exist only in the Electron app: TF.js's webgpu and webgl backends in a hidden renderer
 * window (src-main/shell/gpu-window.ts), used when its adapter is a real GPU. They cannot be loaded
 * into a Node process, so no default loader exists: the desktop app injects them (gpuWindowLoaders).
 */
export type GpuWindowCandidateId = 'webgpu' | 'webgl';

export type ChainCandidateId = CandidateId | GpuWindowCandidateId;

/** What a loader reports once its backend is the active one. */
export interface LoadedBackend {
  readonly name: BackendName;
  /** npm package that provides it. */
  readonly package: string;
  readonly version: string;
  /** Where libtensorflow runs (tensorflow only). */
  readonly device?: 'gpu' | 'cpu';
  /** WebAssembly SIMD in use (wasm only). */
  readonly simd?: boolean;
  /** Threads of the wasm backend's XNNPACK pool (wasm only). */
  readonly threads?: number;
  /** The GPU as the browser names it (webgpu/webgl only). */
  readonly adapter?: string;
  /** Set when the backend runs outside this process: in the desktop app's hidden GPU window. */
  readonly where?: 'gpu-window';
}

export interface BackendAttempt {
  readonly candidate: ChainCandidateId;
  readonly ok: boolean;
  /** Human-readable: why it failed, or what loaded. */
  readonly reason: string;
}

/** The selected backend and every candidate tried on the way, in order; stored with each run. */
export interface BackendReport extends LoadedBackend {
  readonly preference: BackendPreference;
  readonly attempts: readonly BackendAttempt[];
  /**
   * When the chosen backend is in the GPU window (where: 'gpu-window', body training of a head run): the
   * backend that does the rest in the training process (latent features, the QSA), chosen by the chain
   * without the window's links.
   */
  readonly local?: BackendReport;
}
