/**
 * A run's TF.js backend: the training process's chain for the run's preference. A head run reads its
 * tensors asynchronously throughout (training, weights, latents) and may get webgpu; a full-model run's
 * QSA reads gradients synchronously inside the engine's loop, which webgpu in Node cannot, so its chain
 * passes over webgpu with that reason.
 */
import { defaultLoaders, selectBackend, type BackendLoaders, type BackendReport } from '../deep/backends';
import type { RunInfo } from '../store/runs';

export function selectRunBackend(info: RunInfo, loaders: BackendLoaders = defaultLoaders): Promise<BackendReport> {
  return selectBackend(info.backendPreference, loaders, { syncReads: info.settings.pipeline !== 'head' });
}
