/**
 * A run's TF.js backend: the training process's chain for the run's preference. Either pipeline reads
 * its tensors asynchronously throughout (a head run's training, weights and latents; a full-model run's
 * QSA through runQsaAsync and the model's asynchronous reads), so either may get webgpu.
 */
import { defaultLoaders, selectBackend, type BackendLoaders, type BackendReport } from '../deep/backends';
import { withOnnxRuntimeLink } from '../deep/onnx/link';
import type { RunInfo } from '../store/runs';

export async function selectRunBackend(info: RunInfo, loaders: BackendLoaders = defaultLoaders): Promise<BackendReport> {
  const report = await selectBackend(info.backendPreference, loaders, { syncReads: false });
  // A head run's body training and latents, and a full-model run's QSA, leave a CPU backend for ONNX
  // Runtime (deep/onnx/route.ts): the stored report lists it as the link that computed them, not only the
  // TF.js backend that holds the model.
  return info.settings.pipeline === 'pretrained' ? report : withOnnxRuntimeLink(report);
}
