/**
 * The `webgpu` link of the chain: TF.js's WebGPU backend (@tensorflow/tfjs-backend-webgpu) on Dawn's
 * Node binding (the optional `webgpu` package, prebuilt dawn.node for Linux, Windows and macOS). Dawn
 * reaches the GPU through Vulkan on Linux, D3D12 on Windows and Metal on macOS, whatever its vendor,
 * without CUDA. It runs in the training worker process, so the CLI, `fairbound serve` and the desktop
 * app share it.
 *
 * Software adapters (SwiftShader, lavapipe/llvmpipe, WARP, WebGPU's fallback adapter) run their shaders
 * on the CPU, slower than the CPU links; `auto` skips them and says so, `--backend webgpu` takes them
 * (that is how tests run this path on machines without a GPU: Debian's chromium ships SwiftShader's
 * Vulkan driver, found with LD_LIBRARY_PATH=/usr/lib/chromium
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json in the environment the process starts with;
 * the dynamic loader reads LD_LIBRARY_PATH only then, so Fairbound never sets it for a user).
 *
 * TF.js reads a GPU buffer synchronously (dataSync) only through an OffscreenCanvas, which Node lacks:
 * work that reads synchronously is refused here (LoadRequest.syncReads), and a synchronous read of a
 * value not already read asynchronously fails with a sentence saying so.
 */
import * as tf from '@tensorflow/tfjs';
import { activate, firstLine, installedVersion } from './backend-activate';
import { BackendUnavailableError, type GpuAdapterReport, type LoadedBackend, type LoadRequest } from './backend-types';

const DAWN_PACKAGE = 'webgpu';
const BACKEND_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/** The test hook that loses the device after this many queue submissions (tests of a lost GPU). */
export const LOSE_DEVICE_AFTER_SUBMITS_ENV = 'FAIRBOUND_TEST_WEBGPU_LOSE_AFTER_SUBMITS';

/** Names of software rasterisers as drivers report them in vendor, architecture, device or description. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

// The part of the WebGPU API used here (the `webgpu` package's types need the DOM library).
interface GpuAdapterInfoLike {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter?: boolean;
}
type LimitName = keyof GpuAdapterReport['limits'] | 'maxComputeWorkgroupsPerDimension';
interface GpuDeviceLike {
  readonly lost: Promise<{ readonly reason: string; readonly message: string }>;
  readonly queue: { submit(buffers: readonly unknown[]): void };
  destroy(): void;
}
interface GpuAdapterLike {
  readonly info: GpuAdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  readonly features: { has(name: string): boolean };
  readonly limits: Readonly<Record<LimitName, number>>;
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Partial<Record<LimitName, number>> }): Promise<GpuDeviceLike>;
}
interface GpuLike {
  requestAdapter(options: { powerPreference: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(options: string[]): GpuLike;
  readonly globals: object;
}
interface WebgpuBackendModule {
  readonly WebGPUBackend: new (device: GpuDeviceLike, adapterInfo: GpuAdapterInfoLike) => tf.KernelBackend;
}

/** The device TF.js runs on in this process; replaced after a loss. */
interface Session {
  readonly device: GpuDeviceLike;
  readonly adapter: GpuAdapterReport;
  /** "destroyed: device was destroyed" once Dawn reports the device lost. */
  lost: string | undefined;
}
let session: Session | undefined;

function adapterReport(adapter: GpuAdapterLike): GpuAdapterReport {
  const { vendor, architecture, device, description } = adapter.info;
  const fallback = adapter.info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  const l = adapter.limits;
  return {
    description,
    vendor,
    architecture,
    device,
    software: fallback || SOFTWARE_ADAPTER.test([vendor, architecture, device, description].join(' ')),
    limits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    },
  };
}

function adapterName(a: GpuAdapterReport): string {
  return a.description || a.device || `${a.vendor} ${a.architecture}`.trim() || 'unnamed adapter';
}

/** The reason `auto` passes over a software adapter. */
function softwareSkipReason(a: GpuAdapterReport): string {
  return `skipped in auto: adapter '${adapterName(a)}' is a software rasteriser (its shaders run on the CPU, slower than the CPU links); --backend webgpu uses it anyway`;
}

const NO_ADAPTER =
  'Dawn found no GPU adapter: it needs a GPU driver with Vulkan (Linux: libvulkan.so.1 and the vendor driver or mesa-vulkan-drivers), D3D12 (Windows 10+) or Metal (macOS)';

/** `navigator.gpu` as TF.js's webgpu backend reads it; Node ≥ 21 has a `navigator` of its own. */
function installNavigatorGpu(gpu: GpuLike): void {
  const holder = globalThis as { navigator?: object };
  if (holder.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}

/** Test hook (LOSE_DEVICE_AFTER_SUBMITS_ENV): destroys the device after n queue submissions. */
function armDeviceLossHook(device: GpuDeviceLike): void {
  const raw = process.env[LOSE_DEVICE_AFTER_SUBMITS_ENV];
  if (raw === undefined || raw === '') return;
  const after = Number(raw);
  if (!Number.isInteger(after) || after < 0) throw new BackendUnavailableError(`${LOSE_DEVICE_AFTER_SUBMITS_ENV} must be a non-negative integer, got '${raw}'`);
  const queue = device.queue;
  const submit = queue.submit.bind(queue);
  let submits = 0;
  queue.submit = (buffers) => {
    if (++submits === after) device.destroy();
    submit(buffers);
  };
}

function lostError(s: Session, cause: unknown): Error {
  return new Error(`the GPU device was lost (${s.lost}) on adapter '${adapterName(s.adapter)}'; the work on it stopped`, { cause });
}

/**
 * Makes the backend's failures readable: an asynchronous read on a lost device rejects with an empty
 * DOMException, and a synchronous read without a canvas with a ReferenceError about OffscreenCanvas.
 */
function patchReads(Backend: WebgpuBackendModule['WebGPUBackend']): void {
  const proto = Backend.prototype as tf.KernelBackend & { fairboundPatched?: true };
  if (proto.fairboundPatched) return;
  proto.fairboundPatched = true;
  const read = proto.read;
  proto.read = async function (this: tf.KernelBackend, dataId: object) {
    try {
      return await read.call(this, dataId);
    } catch (error) {
      const s = session;
      if (s !== undefined && s.lost === undefined) {
        // Dawn may settle `lost` just after the failed read.
        await Promise.race([s.device.lost, new Promise((resolve) => setTimeout(resolve, 200))]);
      }
      if (s?.lost !== undefined) throw lostError(s, error);
      throw error;
    }
  };
  const readSync = proto.readSync;
  proto.readSync = function (this: tf.KernelBackend, dataId: object) {
    try {
      return readSync.call(this, dataId);
    } catch (error) {
      if (session?.lost !== undefined) throw lostError(session, error);
      if (error instanceof ReferenceError && /OffscreenCanvas/.test(error.message)) {
        throw new Error('the webgpu backend cannot read a tensor synchronously in Node (dataSync needs an OffscreenCanvas); this work must read with data()', { cause: error });
      }
      throw error;
    }
  };
}

async function openDevice(request: LoadRequest): Promise<Session> {
  const dawnVersion = installedVersion(DAWN_PACKAGE);
  if (dawnVersion === undefined) {
    throw new BackendUnavailableError(
      `${DAWN_PACKAGE} is not installed (an optional dependency, Dawn's Node binding: prebuilt for Linux x64/arm64, Windows x64/arm64 and macOS; reinstall without --omit=optional)`,
    );
  }
  const backendVersion = installedVersion(BACKEND_PACKAGE);
  if (backendVersion === undefined) throw new BackendUnavailableError(`${BACKEND_PACKAGE} is not installed (a dependency: run npm install)`);
  let dawn: DawnModule;
  try {
    // A variable specifier: bundles leave the optional native package to be resolved at run time.
    const specifier = DAWN_PACKAGE;
    dawn = (await import(specifier)) as DawnModule;
  } catch (error) {
    throw new BackendUnavailableError(`${DAWN_PACKAGE} ${dawnVersion} is installed but failed to load: ${firstLine(error)}`);
  }
  // GPUBufferUsage, GPUMapMode … are globals in a browser; TF.js's backend uses them as such.
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) throw new BackendUnavailableError(NO_ADAPTER);
  const report = adapterReport(adapter);
  if (report.software && request.preference === 'auto') throw new BackendUnavailableError(softwareSkipReason(report));

  // The device as TF.js's own factory asks for it (base.ts of tfjs-backend-webgpu 4.22).
  const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  installNavigatorGpu(gpu);
  const { WebGPUBackend } = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as WebgpuBackendModule;
  patchReads(WebGPUBackend);
  // Importing the package registered a factory that requests an adapter of its own: use this device.
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info));
  const opened: Session = { device, adapter: report, lost: undefined };
  void device.lost.then((info) => {
    opened.lost = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
  });
  armDeviceLossHook(device);
  return opened;
}

export async function loadWebgpu(request: LoadRequest): Promise<LoadedBackend> {
  if (request.syncReads) {
    throw new BackendUnavailableError(
      'not for this work: it reads tensors synchronously, which the webgpu backend cannot do in Node (runs and the deep experiment models use webgpu; audits of TF.js models do not)',
    );
  }
  if (session !== undefined && session.lost !== undefined) {
    // A lost device stays lost: the next work gets a new one.
    session = undefined;
    try {
      tf.removeBackend('webgpu');
    } catch {
      // Disposing a backend whose device is gone may throw; it is unregistered either way.
    }
  }
  if (session === undefined) session = await openDevice(request);
  else if (session.adapter.software && request.preference === 'auto') throw new BackendUnavailableError(softwareSkipReason(session.adapter));
  await activate('webgpu');
  return { name: 'webgpu', package: BACKEND_PACKAGE, version: installedVersion(BACKEND_PACKAGE) ?? tf.version.tfjs, adapter: session.adapter };
}
