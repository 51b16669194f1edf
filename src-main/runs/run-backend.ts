/**
 * A run's TF.js backend: the process's own chain, or — for a head run in the desktop app, given the GPU
 * window's probe — the chain with the window's webgpu/webgl links, where only the body then trains.
 */
import type { GpuBackendName, GpuProbe } from '../../src-shared/contract/gpu-trainer';
import type { GpuWindowTrain } from '../deep/backend-gpu-train';
import { gpuWindowLoaders } from '../deep/backend-gpu-window';
import { defaultLoaders, selectBackend, type BackendLoaders, type BackendReport } from '../deep/backends';
import type { RunInfo } from '../store/runs';

/** The GPU window as a run sees it: the adapters' probe for the chain, and how to train there. */
export interface RunGpuWindow {
  /** undefined: the window could not be opened (`unavailableReason` says why). */
  readonly probe: GpuProbe | undefined;
  readonly tfjsVersion: string;
  readonly unavailableReason?: string;
  readonly train: GpuWindowTrain;
}

/** Where the body trains when not in this process. */
export interface GpuBodyTraining {
  readonly backend: GpuBackendName;
  readonly adapter: string | undefined;
  readonly train: GpuWindowTrain;
}

/**
 * The run's backend (see the file comment): the chain with the GPU window's links for a head run when
 * the app gave a probe, else the process's own chain. tf's active backend is always a local one.
 */
export async function selectRunBackend(info: RunInfo, ctx: { readonly backendLoaders?: BackendLoaders; readonly gpuWindow?: RunGpuWindow }): Promise<{ readonly report: BackendReport; readonly gpu: GpuBodyTraining | null }> {
  const local = ctx.backendLoaders ?? defaultLoaders;
  const gpuWindow = ctx.gpuWindow;
  if (gpuWindow === undefined || info.settings.pipeline !== 'head') return { report: await selectBackend(info.backendPreference, local), gpu: null };
  const gpuLoaders = gpuWindowLoaders(gpuWindow.probe, {
    tfjsVersion: gpuWindow.tfjsVersion,
    ...(gpuWindow.unavailableReason !== undefined ? { unavailableReason: gpuWindow.unavailableReason } : {}),
  });
  const chosen = await selectBackend(info.backendPreference, { ...local, ...gpuLoaders });
  if (chosen.where !== 'gpu-window' || (chosen.name !== 'webgpu' && chosen.name !== 'webgl')) return { report: chosen, gpu: null };
  // The window's loaders leave tf alone: latents and the QSA get a backend here, from the chain without them.
  const here = await selectBackend(info.backendPreference, local);
  return { report: { ...chosen, local: here }, gpu: { backend: chosen.name, adapter: chosen.adapter, train: gpuWindow.train } };
}

