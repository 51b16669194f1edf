/**
 * ONNX Runtime as the chain's link between tfjs-node and wasm, in the report of a selection: where the
 * chain ends on TF.js's wasm or cpu backend, ONNX Runtime's CPU kernels compute Fairbound's own CNNs
 * (body training, latents, probabilities, the full-model QSA's predictions and gradients: route.ts,
 * inference.ts) on every core, and the TF.js backend holds the weights and computes the rest (layers
 * models from elsewhere).
 */
import { availableParallelism } from 'node:os';
import { BackendSelectionError, type BackendAttempt, type BackendReport } from '../backend-types';
import { firstLine } from '../backend-activate';
import { onnxReplaces } from '../inference';

/** What ONNX Runtime computes when it is the link in use. */
export const ONNX_RUNTIME_COMPUTES = "trains Fairbound's own CNNs and computes their latents, probabilities and the full-model QSA's gradients";

/**
 * `report` with ONNX Runtime's link inserted before the TF.js CPU backends it stands in front of (and its
 * `cpuEngine`, which runs stored before the link have alone), when that backend is wasm or cpu; else
 * unchanged. Throws BackendSelectionError where the user asked for `onnxruntime` and it does not load.
 */
export async function withOnnxRuntimeLink(report: BackendReport): Promise<BackendReport> {
  if (!onnxReplaces(report.name)) return report;
  let link: BackendAttempt;
  let cpuEngine: string | undefined;
  try {
    // Loaded here, not at the top: the native module is only needed when the chain reaches the CPU.
    const { ONNX_RUNTIME_VERSION } = await import('./session');
    cpuEngine = `onnxruntime-node ${ONNX_RUNTIME_VERSION} (CPU, ${availableParallelism()} threads)`;
    link = { candidate: 'onnxruntime', ok: true, reason: `${cpuEngine}: ${ONNX_RUNTIME_COMPUTES}; TF.js ${report.name} holds the weights and computes the rest` };
  } catch (error) {
    link = { candidate: 'onnxruntime', ok: false, reason: `onnxruntime-node failed to load: ${firstLine(error)}` };
  }
  // In chain order: in front of the first CPU link tried (the one that loaded, or a wasm that failed before cpu).
  const attempts = [...report.attempts];
  const at = attempts.findIndex((a) => onnxReplaces(a.candidate));
  attempts.splice(at < 0 ? attempts.length : at, 0, link);
  if (report.preference === 'onnxruntime' && !link.ok) throw new BackendSelectionError('onnxruntime', attempts);
  return { ...report, attempts, ...(cpuEngine !== undefined ? { cpuEngine } : {}) };
}
