/**
 * Types of the TensorFlow.js backend chain (design.md §3), shared by the selection logic
 * (backends.ts) and the real loaders (backend-loaders.ts) without an import cycle between them.
 */

/** What a user may ask for; `auto` walks the whole chain. */
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** tf.getBackend() names of the backends the chain can end on. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/**
 * One link of the chain. `tensorflow` has two: the CUDA build of libtensorflow (tfjs-node-gpu) and the
 * CPU build (tfjs-node); both register the backend name `tensorflow`.
 */
export type CandidateId = 'tensorflow-gpu' | 'tensorflow-cpu' | 'wasm' | 'cpu';

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
}

/** Loads one candidate and makes it tf's active backend, or throws (ideally a BackendUnavailableError). */
export type BackendLoader = () => Promise<LoadedBackend>;

export type BackendLoaders = Readonly<Record<CandidateId, BackendLoader>>;

export interface BackendAttempt {
  readonly candidate: CandidateId;
  readonly ok: boolean;
  /** Human-readable: why it failed, or what loaded. */
  readonly reason: string;
}

/** The selected backend and every candidate tried on the way, in order; stored with each run. */
export interface BackendReport extends LoadedBackend {
  readonly preference: BackendPreference;
  readonly attempts: readonly BackendAttempt[];
}

/** A loader's expected failure: the message is the whole human-readable reason. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/** No candidate of the preference loaded; carries each attempt's reason. */
export class BackendSelectionError extends Error {
  override readonly name = 'BackendSelectionError';

  constructor(
    readonly preference: BackendPreference,
    readonly attempts: readonly BackendAttempt[],
  ) {
    super(
      `no ${preference === 'auto' ? 'TensorFlow.js backend' : `'${preference}' backend`} could be loaded: ` +
        attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; '),
    );
  }
}
