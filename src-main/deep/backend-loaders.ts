/**
 * The real loaders of the backend chain. Each makes its backend tf's active one or throws a
 * BackendUnavailableError whose message says, for a person, why not and what would fix it.
 *
 * Facts about the native packages (checked against @tensorflow/tfjs-node(-gpu) 4.22.0's
 * scripts/deps-constants.js and install.js, and the maintainers' answer in tensorflow/tfjs#8362):
 * their npm install downloads libtensorflow 2.9.1 and a prebuilt N-API addon from storage.googleapis.com;
 * prebuilt libtensorflow exists for cpu-linux-x86_64, cpu-darwin-x86_64, cpu-windows-x86_64 and the GPU
 * build for linux-x86_64 and windows-x86_64 only; the GPU build needs an NVIDIA driver ≥ 450, CUDA 11.2
 * and cuDNN 8.1 (it dlopens libcudart.so.11.0 and libcudnn.so.8; newer CUDA 12 / cuDNN 9 do not satisfy
 * those sonames). When the GPU build finds no CUDA it still loads and silently runs on the CPU, hence the
 * explicit device check below.
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { activate, firstLine, installedVersion, nodeRequire } from './backend-activate';
import { BackendUnavailableError, type BackendLoaders, type LoadedBackend } from './backend-types';
import { loadWebgpu } from './backend-webgpu';
import { registerWasmTrainingKernels } from './wasm-kernels/register';

const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const CPU_PACKAGE = '@tensorflow/tfjs-node';
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const LIBTENSORFLOW = 'libtensorflow 2.9.1';
const CUDA_NEEDS = 'an NVIDIA driver ≥ 450, CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0, libcudnn.so.8 on the library path)';

const NOT_INSTALLED: Readonly<Record<string, string>> = {
  [GPU_PACKAGE]:
    `${GPU_PACKAGE} is not installed (an optional dependency: its install downloads ${LIBTENSORFLOW} for CUDA and a prebuilt addon, ` +
    `which needs internet and Linux x86_64 or Windows x86_64; running it needs ${CUDA_NEEDS})`,
  [CPU_PACKAGE]:
    `${CPU_PACKAGE} is not installed (an optional dependency: its install downloads ${LIBTENSORFLOW} for the CPU and a prebuilt addon, ` +
    'which needs internet and Linux x86_64, macOS x86_64 or Windows x86_64)',
};

/** Which native package registered the `tensorflow` backend in this process, if any. */
let tensorflowProvider: { readonly pkg: string; readonly version: string } | undefined;

/** Loads a native package (CommonJS, so through require: its load error is the reason). */
function requireNative(pkg: string): string {
  const version = installedVersion(pkg);
  if (version === undefined) throw new BackendUnavailableError(NOT_INSTALLED[pkg]);
  try {
    nodeRequire(pkg);
  } catch (error) {
    throw new BackendUnavailableError(`${pkg} ${version} is installed but failed to load: ${firstLine(error)}`);
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    // A different @tensorflow/tfjs copy (nested in the package's own node_modules) got the registration.
    throw new BackendUnavailableError(
      `${pkg} ${version} loaded but registered its backend with another copy of @tensorflow/tfjs (ours is ${tf.version.tfjs}); install matching versions`,
    );
  }
  return version;
}

function isUsingGpuDevice(): boolean {
  return (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
}

async function loadTensorflowGpu(): Promise<LoadedBackend> {
  if (tensorflowProvider?.pkg === CPU_PACKAGE) {
    throw new BackendUnavailableError(`not tried: ${CPU_PACKAGE} is already loaded in this process, and two libtensorflow builds cannot share one`);
  }
  const version = tensorflowProvider?.version ?? requireNative(GPU_PACKAGE);
  tensorflowProvider = { pkg: GPU_PACKAGE, version };
  await activate('tensorflow');
  if (!isUsingGpuDevice()) {
    throw new BackendUnavailableError(
      `${GPU_PACKAGE} ${version} loaded but TensorFlow found no usable CUDA GPU; it needs ${CUDA_NEEDS}. Its CPU kernels are tried next`,
    );
  }
  return { name: 'tensorflow', package: GPU_PACKAGE, version, device: 'gpu' };
}

async function loadTensorflowCpu(): Promise<LoadedBackend> {
  // Both native packages register `tensorflow`; if the GPU build is already in (without a GPU), reuse it
  // rather than loading a second libtensorflow into the process.
  const provider = tensorflowProvider ?? { pkg: CPU_PACKAGE, version: requireNative(CPU_PACKAGE) };
  tensorflowProvider = provider;
  await activate('tensorflow');
  return { name: 'tensorflow', package: provider.pkg, version: provider.version, device: isUsingGpuDevice() ? 'gpu' : 'cpu' };
}

/** The folder holding the .wasm binaries, with a trailing separator as setWasmPaths wants a prefix. */
export function wasmBinariesFolder(): string {
  return join(dirname(nodeRequire.resolve(`${WASM_PACKAGE}/package.json`)), 'dist') + sep;
}

async function loadWasm(): Promise<LoadedBackend> {
  const version = installedVersion(WASM_PACKAGE);
  if (version === undefined) throw new BackendUnavailableError(`${WASM_PACKAGE} is not installed (a dependency: run npm install)`);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const folder = wasmBinariesFolder();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const binary = join(folder, simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
  if (!existsSync(binary)) throw new BackendUnavailableError(`${WASM_PACKAGE} ${version} is incomplete: ${binary} is missing`);
  // In Node the backend would otherwise look for the binaries next to whatever bundle imported it.
  wasm.setWasmPaths(folder);
  registerWasmTrainingKernels();
  await activate('wasm');
  // tfjs 4.22 never enables wasm threads under Node (tensorflow/tfjs#3830: its pthread workers are blob:
  // URLs, which worker_threads rejects), so this is 1 there.
  return { name: 'wasm', package: WASM_PACKAGE, version, simd, threads: wasm.getThreadsCount() };
}

async function loadCpu(): Promise<LoadedBackend> {
  await activate('cpu');
  return { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: tf.version['tfjs-backend-cpu'] };
}

export const defaultLoaders: BackendLoaders = {
  'tensorflow-gpu': loadTensorflowGpu,
  webgpu: loadWebgpu,
  'tensorflow-cpu': loadTensorflowCpu,
  wasm: loadWasm,
  cpu: loadCpu,
};
