/**
 * The vocabulary of the TensorFlow.js backend chain: what a user may ask for and what a run reports
 * having used. Plain data, stored with each run and shown by every face, so it lives apart from the
 * loaders (src-main/deep).
 */

/**
 * What a user may ask for; `auto` walks the whole chain. `onnxruntime` names ONNX Runtime's link: the
 * chain from it on (TF.js wasm, else cpu, holds the weights), failing where ONNX Runtime does not load.
 */
export const BACKEND_PREFERENCE_NAMES = ['auto', 'tensorflow', 'webgpu', 'onnxruntime', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCE_NAMES)[number];

export const BACKEND_PREFERENCES: readonly BackendPreference[] = BACKEND_PREFERENCE_NAMES;

/** tf.getBackend() names of the backends the chain can end on. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/**
 * One link of the chain. `tensorflow` has two: the CUDA build of libtensorflow (tfjs-node-gpu) and the
 * CPU build (tfjs-node); both register the backend name `tensorflow`. `webgpu` is TF.js's WebGPU backend
 * on Dawn's Node binding (the `webgpu` package): Vulkan, Metal or D3D12, whatever the GPU's vendor.
 */
export type CandidateId = 'tensorflow-gpu' | 'webgpu' | 'tensorflow-cpu' | 'wasm' | 'cpu';

/**
 * A link of the chain as the report lists it: the TF.js candidates, and `onnxruntime` between tfjs-node
 * and wasm. ONNX Runtime is no TF.js backend (the wasm or cpu backend still holds the weights), but where
 * the chain reaches the CPU it computes Fairbound's own CNNs (body training, latents, probabilities) on
 * every core, so the report shows it as the link that did that work.
 */
export type ChainLinkId = CandidateId | 'onnxruntime';

/** The WebGPU adapter a `webgpu` backend runs on, as Dawn reports it (GPUAdapterInfo and GPUSupportedLimits). */
export interface GpuAdapterReport {
  /** Human-readable driver/device line, e.g. "SwiftShader driver 5.0.0" or "NVIDIA GeForce RTX 4070". */
  readonly description: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  /** A CPU rasteriser (SwiftShader, lavapipe/llvmpipe, WARP) or WebGPU's fallback adapter. */
  readonly software: boolean;
  /** The limits that bound what TF.js can allocate and dispatch, in bytes or invocations. */
  readonly limits: {
    readonly maxBufferSize: number;
    readonly maxStorageBufferBindingSize: number;
    readonly maxComputeWorkgroupStorageSize: number;
    readonly maxComputeInvocationsPerWorkgroup: number;
    readonly maxComputeWorkgroupSizeX: number;
  };
}

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
  /** The GPU it runs on (webgpu only). */
  readonly adapter?: GpuAdapterReport;
}

export interface BackendAttempt {
  readonly candidate: ChainLinkId;
  readonly ok: boolean;
  /** Human-readable: why it failed, or what loaded. */
  readonly reason: string;
}

/** The selected backend and every candidate tried on the way, in order; stored with each run. */
export interface BackendReport extends LoadedBackend {
  readonly preference: BackendPreference;
  readonly attempts: readonly BackendAttempt[];
  /**
   * Where TF.js computes on the CPU (wasm, cpu), a run's CNN trains, infers and (full-model runs) computes the QSA's gradients on ONNX Runtime's CPU
   * kernels instead (src-main/deep/onnx/route.ts): which, e.g. 'onnxruntime-node 1.31.1 (CPU, 2 threads)'.
   * Reports since ONNX Runtime became a link also list it in `attempts`; older stored runs have only this.
   */
  readonly cpuEngine?: string;
}
