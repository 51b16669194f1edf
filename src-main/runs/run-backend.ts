/**
 * A run's TF.js backend: the training process's chain for the run's preference. A head run reads its
 * tensors asynchronously throughout (training, weights, latents) and may get webgpu; a full-model run's
 * QSA reads gradients synchronously inside the engine's loop, which webgpu in Node cannot, so its chain
 * passes over webgpu with that reason.
 */
import { defaultLoaders, selectBackend, type BackendLoaders, type BackendReport } from '../deep/backends';
import { withOnnxRuntimeLink } from '../deep/onnx/link';
import type { RunInfo } from '../store/runs';

export async function selectRunBackend(info: RunInfo, loaders: BackendLoaders = defaultLoaders): Promise<BackendReport> {
  if (info.backendPreference === 'onnxruntime' && info.settings.pipeline !== 'head') {
    // ONNX Runtime computes a CNN's training and inference, not the gradients the engine's QSA reads.
    throw new Error(`backend 'onnxruntime' computes head runs' CNN only; a ${info.settings.pipeline} run needs a TF.js backend (auto, tensorflow, webgpu, wasm or cpu)`);
  }
  const report = await selectBackend(info.backendPreference, loaders, { syncReads: info.settings.pipeline !== 'head' });
  // A head run's body training and latents leave a CPU backend for ONNX Runtime (deep/onnx/route.ts): the
  // stored report lists it as the link that computed them, not only the TF.js backend that holds the model.
  return info.settings.pipeline === 'head' ? withOnnxRuntimeLink(report) : report;
}
