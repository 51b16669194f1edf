/**
 * The TensorFlow.js backend chain: with `auto`, the first candidate that loads wins,
 * `tensorflow` (tfjs-node-gpu, CUDA) → `tensorflow` (tfjs-node, CPU libtensorflow) → `wasm` (SIMD) → `cpu`.
 * An explicit preference tries only its own candidates and fails loudly rather than silently running
 * somewhere else: a user who asked for `tensorflow` must learn why they did not get it.
 * In the Electron app only, `webgpu` then `webgl` (TF.js in a hidden renderer window on a real GPU) come
 * between the native links and wasm: the app passes their loaders (backend-gpu-window.ts, built from the
 * window's adapter probe); elsewhere they are absent from the chain and from its report.
 */
import { defaultLoaders } from './backend-loaders';
import { chainFor, tryCandidates } from './backend-chain';
import { BackendSelectionError, type BackendLoaders, type BackendPreference, type BackendReport } from './backend-types';

// The chain's order and walk are tfjs-free (backend-chain.ts, for the Electron main process); this module
// adds the default loaders, which import TensorFlow.js.
export * from './backend-types';
export * from './backend-chain';
export { defaultLoaders } from './backend-loaders';

/**
 * Makes the chosen backend tf's active one and reports what was tried. Throws BackendSelectionError
 * (with every attempt's reason) when none of the preference's candidates loads.
 * @example const report = await selectBackend('auto'); // { name: 'wasm', simd: true, attempts: [...] }
 */
export async function selectBackend(preference: BackendPreference = 'auto', loaders: BackendLoaders = defaultLoaders): Promise<BackendReport> {
  const { loaded, attempts } = await tryCandidates(chainFor(preference, loaders), loaders);
  if (loaded === undefined) throw new BackendSelectionError(preference, attempts);
  return { ...loaded, preference, attempts };
}
