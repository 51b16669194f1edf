/**
 * The backend chain's order and walk, without any loader: the Electron main process
 * walks the GPU window's links with it (src-main/shell/gpu-window.ts) and must never load TensorFlow.js,
 * which the default loaders import (backend-loaders.ts). backends.ts adds selectBackend with those
 * default loaders for the processes that train.
 */
import {
  BackendUnavailableError,
  type BackendAttempt,
  type BackendLoader,
  type BackendLoaders,
  type BackendPreference,
  type CandidateId,
  type ChainCandidateId,
  type GpuWindowCandidateId,
  type LoadedBackend,
} from './backend-types';

/**
 * Candidates in chain order for each preference; also what backends.report lists (services/runs.ts),
 * which is why this module must not load TensorFlow.js.
 */
export const CANDIDATES_BY_PREFERENCE: Readonly<Record<BackendPreference, readonly CandidateId[]>> = {
  auto: ['tensorflow-gpu', 'tensorflow-cpu', 'wasm', 'cpu'],
  tensorflow: ['tensorflow-gpu', 'tensorflow-cpu'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

/** Where the GPU window's links go in the `auto` chain: after the native links, before wasm. */
export const GPU_WINDOW_CANDIDATES: readonly GpuWindowCandidateId[] = ['webgpu', 'webgl'];

/**
 * The candidates `preference` tries with these loaders: the GPU window's links join `auto` only when
 * their loaders are given (the desktop app). An explicit preference never includes them: the contract's
 * preferences name libraries a Node process can load.
 */
export function chainFor(preference: BackendPreference, loaders: BackendLoaders): readonly ChainCandidateId[] {
  const candidates = CANDIDATES_BY_PREFERENCE[preference];
  if (candidates === undefined) throw new RangeError(`selectBackend: unknown preference '${String(preference)}' (auto, tensorflow, wasm, cpu)`);
  if (preference !== 'auto') return candidates;
  const gpu = GPU_WINDOW_CANDIDATES.filter((id) => loaders[id] !== undefined);
  const at = candidates.indexOf('wasm');
  return [...candidates.slice(0, at), ...gpu, ...candidates.slice(at)];
}

/**
 * Tries `candidates` in order until one loads; every attempt is reported. Also used on its own by the
 * desktop app to report the GPU window's links (src-main/shell/gpu-window.ts).
 */
export async function tryCandidates(
  candidates: readonly ChainCandidateId[],
  loaders: Readonly<Partial<Record<ChainCandidateId, BackendLoader>>>,
): Promise<{ readonly loaded: LoadedBackend | undefined; readonly attempts: BackendAttempt[] }> {
  const attempts: BackendAttempt[] = [];
  for (const candidate of candidates) {
    let loaded: LoadedBackend;
    try {
      const loader = loaders[candidate];
      // chainFor only lists GPU-window links whose loader is there.
      if (loader === undefined) throw new BackendUnavailableError(`${candidate}: no loader in this process`);
      loaded = await loader();
    } catch (error) {
      attempts.push({ candidate, ok: false, reason: failureReason(candidate, error) });
      continue;
    }
    attempts.push({ candidate, ok: true, reason: describeLoaded(loaded) });
    return { loaded, attempts };
  }
  return { loaded: undefined, attempts };
}

function failureReason(candidate: ChainCandidateId, error: unknown): string {
  if (error instanceof BackendUnavailableError) return error.message;
  // An unexpected throw is still a reason to fall through, but say it was unexpected.
  const message = error instanceof Error ? error.message : String(error);
  return `${candidate} loader failed unexpectedly: ${message.split('\n')[0]}`;
}

/** One line for humans, e.g. "@tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread". */
export function describeLoaded(b: LoadedBackend): string {
  const parts = [`${b.package} ${b.version}`];
  if (b.adapter !== undefined) parts.push(b.adapter);
  if (b.where === 'gpu-window') parts.push("in the desktop app's GPU window");
  if (b.device !== undefined) parts.push(b.device === 'gpu' ? 'CUDA GPU' : 'libtensorflow on CPU');
  if (b.simd !== undefined) parts.push(b.simd ? 'SIMD' : 'no SIMD (slower)');
  if (b.threads !== undefined) parts.push(`${b.threads} thread${b.threads === 1 ? '' : 's'}`);
  return parts.join(', ');
}
