/**
 * The TensorFlow.js backend chain: with `auto`, the first candidate that loads wins,
 * `tensorflow` (tfjs-node-gpu, CUDA) → `webgpu` (Dawn on a real GPU: Vulkan, Metal, D3D12) → `tensorflow`
 * (tfjs-node, CPU libtensorflow) → `wasm` (SIMD) → `cpu`. An explicit preference tries only its own
 * candidates and fails loudly rather than silently running somewhere else: a user who asked for
 * `tensorflow` must learn why they did not get it. The same chain serves the CLI, `fairbound serve` and
 * the desktop app: all train in the training worker process (src-main/jobs).
 */
import { defaultLoaders } from './backend-loaders';
import { chainFor, tryCandidates } from './backend-chain';
import { BackendSelectionError, type BackendLoaders, type BackendPreference, type BackendReport } from './backend-types';

// The chain's order and walk are tfjs-free (backend-chain.ts, for the main process); this module adds the
// default loaders, which import TensorFlow.js.
export * from './backend-types';
export * from './backend-chain';
export { defaultLoaders } from './backend-loaders';

export interface SelectOptions {
  /**
   * Whether the work reads tensors synchronously (LoadRequest.syncReads). Default true: only callers
   * that read asynchronously throughout (a head run, qsa-head and cnn trials, `fairbound backends`, the
   * bench) say false and may get webgpu.
   */
  readonly syncReads?: boolean;
}

/**
 * Makes the chosen backend tf's active one and reports what was tried. Throws BackendSelectionError
 * (with every attempt's reason) when none of the preference's candidates loads.
 * @example const report = await selectBackend('auto'); // { name: 'wasm', simd: true, attempts: [...] }
 */
export async function selectBackend(
  preference: BackendPreference = 'auto',
  loaders: BackendLoaders = defaultLoaders,
  options: SelectOptions = {},
): Promise<BackendReport> {
  const { loaded, attempts } = await tryCandidates(chainFor(preference), loaders, { preference, syncReads: options.syncReads ?? true });
  if (loaded === undefined) throw new BackendSelectionError(preference, attempts);
  return { ...loaded, preference, attempts };
}
