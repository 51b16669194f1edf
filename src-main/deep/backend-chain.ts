/**
 * The backend chain's order and walk, without any loader: services list the chain (backends.report) from
 * the main process, which must never load TensorFlow.js, and the default loaders import it
 * (backend-loaders.ts). backends.ts adds selectBackend with those loaders for the processes that train.
 */
import {
  BackendUnavailableError,
  type BackendAttempt,
  type BackendLoaders,
  type BackendPreference,
  type CandidateId,
  type ChainLinkId,
  type LoadedBackend,
  type LoadRequest,
} from './backend-types';

/**
 * Candidates in chain order for each preference; also what backends.report lists (services/runs.ts),
 * which is why this module must not load TensorFlow.js. The fastest CPU path (after tensorflow-cpu,
 * before wasm) joins `auto` here when it exists.
 */
export const CANDIDATES_BY_PREFERENCE: Readonly<Record<BackendPreference, readonly CandidateId[]>> = {
  auto: ['tensorflow-gpu', 'webgpu', 'tensorflow-cpu', 'wasm', 'cpu'],
  tensorflow: ['tensorflow-gpu', 'tensorflow-cpu'],
  webgpu: ['webgpu'],
  // ONNX Runtime's link is no TF.js backend: these hold the weights (deep/onnx/link.ts reports the link).
  onnxruntime: ['wasm', 'cpu'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

/**
 * The chain as reports list it (backends.report, `fairbound backends`): the candidates, with ONNX Runtime
 * where the chain reaches TF.js's CPU backends, whose work on Fairbound's own CNNs it takes over
 * (deep/onnx/link.ts adds its status to a selection's attempts).
 */
export const CHAIN_LINKS_BY_PREFERENCE: Readonly<Record<BackendPreference, readonly ChainLinkId[]>> = {
  auto: ['tensorflow-gpu', 'webgpu', 'tensorflow-cpu', 'onnxruntime', 'wasm', 'cpu'],
  tensorflow: CANDIDATES_BY_PREFERENCE.tensorflow,
  webgpu: CANDIDATES_BY_PREFERENCE.webgpu,
  onnxruntime: ['onnxruntime', 'wasm', 'cpu'],
  wasm: ['onnxruntime', 'wasm'],
  cpu: ['onnxruntime', 'cpu'],
};

/** The candidates `preference` tries, in order. */
export function chainFor(preference: BackendPreference): readonly CandidateId[] {
  const candidates = CANDIDATES_BY_PREFERENCE[preference];
  if (candidates === undefined) throw new RangeError(`selectBackend: unknown preference '${String(preference)}' (${Object.keys(CANDIDATES_BY_PREFERENCE).join(', ')})`);
  return candidates;
}

/** Tries `candidates` in order until one loads; every attempt is reported (TF.js's links only). */
export async function tryCandidates(
  candidates: readonly CandidateId[],
  loaders: BackendLoaders,
  request: LoadRequest,
): Promise<{ readonly loaded: LoadedBackend | undefined; readonly attempts: BackendAttempt[] }> {
  const attempts: BackendAttempt[] = [];
  for (const candidate of candidates) {
    let loaded: LoadedBackend;
    try {
      const loader = loaders[candidate];
      // Test loaders may leave a link out.
      if (loader === undefined) throw new BackendUnavailableError(`${candidate}: no loader in this process`);
      loaded = await loader(request);
    } catch (error) {
      attempts.push({ candidate, ok: false, reason: failureReason(candidate, error) });
      continue;
    }
    attempts.push({ candidate, ok: true, reason: describeLoaded(loaded) });
    return { loaded, attempts };
  }
  return { loaded: undefined, attempts };
}

function failureReason(candidate: ChainLinkId, error: unknown): string {
  if (error instanceof BackendUnavailableError) return error.message;
  // An unexpected throw is still a reason to fall through, but say it was unexpected.
  const message = error instanceof Error ? error.message : String(error);
  return `${candidate} loader failed unexpectedly: ${message.split('\n')[0]}`;
}

/** One line for humans, e.g. "@tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread". */
export function describeLoaded(b: LoadedBackend): string {
  const parts = [`${b.package} ${b.version}`];
  if (b.adapter !== undefined) {
    const a = b.adapter;
    parts.push(`adapter '${a.description || a.device}' (${[a.vendor, a.architecture].filter((s) => s !== '').join(' ') || 'vendor unknown'}${a.software ? ', software' : ''})`);
  }
  if (b.device !== undefined) parts.push(b.device === 'gpu' ? 'CUDA GPU' : 'libtensorflow on CPU');
  if (b.simd !== undefined) parts.push(b.simd ? 'SIMD' : 'no SIMD (slower)');
  if (b.threads !== undefined) parts.push(`${b.threads} thread${b.threads === 1 ? '' : 's'}`);
  return parts.join(', ');
}
