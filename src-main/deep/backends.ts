/**
 * The TensorFlow.js backend chain of design.md §3: with `auto`, the first candidate that loads wins,
 * `tensorflow` (tfjs-node-gpu, CUDA) → `tensorflow` (tfjs-node, CPU libtensorflow) → `wasm` (SIMD) → `cpu`.
 * An explicit preference tries only its own candidates and fails loudly rather than silently running
 * somewhere else: a user who asked for `tensorflow` must learn why they did not get it.
 * (The Electron app's webgpu/webgl renderer link lives with the renderer, not here.)
 */
import { defaultLoaders } from './backend-loaders';
import {
  BackendSelectionError,
  BackendUnavailableError,
  type BackendAttempt,
  type BackendLoaders,
  type BackendPreference,
  type BackendReport,
  type CandidateId,
  type LoadedBackend,
} from './backend-types';

export * from './backend-types';
export { defaultLoaders } from './backend-loaders';

/** Candidates in chain order for each preference. */
export const CANDIDATES_BY_PREFERENCE: Readonly<Record<BackendPreference, readonly CandidateId[]>> = {
  auto: ['tensorflow-gpu', 'tensorflow-cpu', 'wasm', 'cpu'],
  tensorflow: ['tensorflow-gpu', 'tensorflow-cpu'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

/**
 * Makes the chosen backend tf's active one and reports what was tried. Throws BackendSelectionError
 * (with every attempt's reason) when none of the preference's candidates loads.
 * @example const report = await selectBackend('auto'); // { name: 'wasm', simd: true, attempts: [...] }
 */
export async function selectBackend(preference: BackendPreference = 'auto', loaders: BackendLoaders = defaultLoaders): Promise<BackendReport> {
  const candidates = CANDIDATES_BY_PREFERENCE[preference];
  if (candidates === undefined) throw new RangeError(`selectBackend: unknown preference '${String(preference)}' (auto, tensorflow, wasm, cpu)`);
  const attempts: BackendAttempt[] = [];
  for (const candidate of candidates) {
    let loaded: LoadedBackend;
    try {
      loaded = await loaders[candidate]();
    } catch (error) {
      attempts.push({ candidate, ok: false, reason: failureReason(candidate, error) });
      continue;
    }
    attempts.push({ candidate, ok: true, reason: describeLoaded(loaded) });
    return { ...loaded, preference, attempts };
  }
  throw new BackendSelectionError(preference, attempts);
}

function failureReason(candidate: CandidateId, error: unknown): string {
  if (error instanceof BackendUnavailableError) return error.message;
  // An unexpected throw is still a reason to fall through, but say it was unexpected.
  const message = error instanceof Error ? error.message : String(error);
  return `${candidate} loader failed unexpectedly: ${message.split('\n')[0]}`;
}

/** One line for humans, e.g. "@tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread". */
export function describeLoaded(b: LoadedBackend): string {
  const parts = [`${b.package} ${b.version}`];
  if (b.device !== undefined) parts.push(b.device === 'gpu' ? 'CUDA GPU' : 'libtensorflow on CPU');
  if (b.simd !== undefined) parts.push(b.simd ? 'SIMD' : 'no SIMD (slower)');
  if (b.threads !== undefined) parts.push(`${b.threads} thread${b.threads === 1 ? '' : 's'}`);
  return parts.join(', ');
}
