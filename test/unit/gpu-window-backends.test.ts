// The desktop app's GPU-window links of the backend chain, without Electron or a browser:
// the adapter classification (a software renderer is never used), the chain's fall-through with an
// injected probe (webgpu → webgl → wasm, each skip with the probe's reason; absent outside the app; never
// in an explicit preference), the protocol's architecture schema against architectures.ts, and the
// client's request/reply bookkeeping over a fake port (progress routing, cancel, errors rebuilt, bad replies),
// and the page's asynchronous weight read-back against the synchronous one.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, buildModel, type LayerSpec } from '../../src-main/deep/architectures';
import { getWeightsByValue, getWeightsByValueAsync } from '../../src-main/deep/weights';
import { GpuTrainerClient, GpuTrainerError, gpuWindowLoaders, NO_GPU_WINDOW, type GpuTrainerTransport } from '../../src-main/deep/backend-gpu-window';
import { BackendUnavailableError, chainFor, selectBackend, type BackendLoaders, type CandidateId, type LoadedBackend } from '../../src-main/deep/backends';
import { CancelledError } from '../../src-main/deep/cancel';
import { architectureSpec, layerSpec, type AdapterProbe, type GpuProbe } from '../../src-shared/contract/gpu-trainer';
import { classifyWebgl, classifyWebgpu } from '../../src-main/deep/gpu-page/classify';

describe('adapter classification', () => {
  it.each([
    ['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)', 'software renderer SwiftShader'],
    ['llvmpipe (LLVM 15.0.6, 256 bits)', 'software renderer llvmpipe (Mesa)'],
    ['ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)', 'software renderer Microsoft Basic Render Driver (WARP)'],
    ['Apple Software Renderer', 'software renderer Apple Software Renderer'],
  ])('WebGL %s is software', (renderer, reason) => {
    expect(classifyWebgl(renderer, true)).toEqual({ software: true, reason });
  });

  it.each([
    'ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)',
    'ANGLE (AMD, AMD Radeon RX 6800 XT (0x000073BF) Direct3D11 vs_5_0 ps_5_0, D3D11)',
    'ANGLE (Intel, Mesa Intel(R) Xe Graphics (TGL GT2), OpenGL 4.6)',
  ])('WebGL %s is a GPU', (renderer) => {
    expect(classifyWebgl(renderer, true)).toEqual({ software: false, reason: `GPU ${renderer}` });
  });

  it('does not trust a masked renderer, and flags a GPU without float32 render targets', () => {
    expect(classifyWebgl(null, true).software).toBe(true);
    expect(classifyWebgl('ANGLE (Intel, Intel HD Graphics 4000)', false).reason).toMatch(/cannot render to float32/);
  });

  it('treats the WebGPU fallback adapter and SwiftShader as software, a named GPU as hardware', () => {
    const facts = { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false };
    expect(classifyWebgpu({ ...facts, isFallbackAdapter: true })).toEqual({ software: true, reason: 'software adapter: the WebGPU fallback adapter' });
    expect(classifyWebgpu({ ...facts, vendor: 'google', architecture: 'swiftshader' })).toEqual({ software: true, reason: 'software adapter SwiftShader' });
    expect(classifyWebgpu({ ...facts, vendor: 'apple', architecture: 'metal-3' })).toEqual({ software: false, reason: 'GPU apple metal-3' });
  });
});

const native: Readonly<Record<CandidateId, LoadedBackend>> = {
  'tensorflow-gpu': { name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', version: '4.22.0', device: 'gpu' },
  'tensorflow-cpu': { name: 'tensorflow', package: '@tensorflow/tfjs-node', version: '4.22.0', device: 'cpu' },
  wasm: { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version: '4.22.0', simd: true, threads: 1 },
  cpu: { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: '4.22.0' },
};

/** The Node links with only wasm and cpu loading (this machine), plus whatever `extra` adds. */
function loaders(extra: Partial<BackendLoaders> = {}): BackendLoaders {
  const absent = (id: CandidateId) => async (): Promise<LoadedBackend> => {
    throw new BackendUnavailableError(`${id} is not installed (test)`);
  };
  return { 'tensorflow-gpu': absent('tensorflow-gpu'), 'tensorflow-cpu': absent('tensorflow-cpu'), wasm: async () => native.wasm, cpu: async () => native.cpu, ...extra };
}

function adapter(api: 'webgpu' | 'webgl', fields: Partial<AdapterProbe>): AdapterProbe {
  return { api, available: true, software: false, adapter: null, reason: '', backendBundled: true, ...fields };
}

const SWIFTSHADER: GpuProbe = {
  webgpu: adapter('webgpu', { software: true, adapter: 'google swiftshader', reason: 'software adapter: the WebGPU fallback adapter (SwiftShader)' }),
  webgl: adapter('webgl', { software: true, adapter: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)', reason: 'software renderer SwiftShader' }),
};
const APPLE: GpuProbe = {
  webgpu: adapter('webgpu', { available: false, reason: 'WebGPU offers no adapter' }),
  webgl: adapter('webgl', { adapter: 'ANGLE (Apple, ANGLE Metal Renderer: Apple M1)', reason: 'GPU ANGLE (Apple, ANGLE Metal Renderer: Apple M1)' }),
};

describe('the chain with the GPU window', () => {
  it('is unchanged without the window (CLI, worker process): no webgpu/webgl attempts', async () => {
    const report = await selectBackend('auto', loaders());
    expect(report.attempts.map((a) => a.candidate)).toEqual(['tensorflow-gpu', 'tensorflow-cpu', 'wasm']);
  });

  it('skips software adapters with the probe reason and falls through to wasm', async () => {
    const report = await selectBackend('auto', loaders(gpuWindowLoaders(SWIFTSHADER, { tfjsVersion: '4.22.0' })));
    expect(report.name).toBe('wasm');
    expect(report.attempts).toEqual([
      { candidate: 'tensorflow-gpu', ok: false, reason: 'tensorflow-gpu is not installed (test)' },
      { candidate: 'tensorflow-cpu', ok: false, reason: 'tensorflow-cpu is not installed (test)' },
      { candidate: 'webgpu', ok: false, reason: 'webgpu skipped: software adapter: the WebGPU fallback adapter (SwiftShader)' },
      { candidate: 'webgl', ok: false, reason: 'webgl skipped: software renderer SwiftShader' },
      { candidate: 'wasm', ok: true, reason: '@tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread' },
    ]);
  });

  it('takes webgl on a real GPU when webgpu has no adapter, and says where it runs', async () => {
    const report = await selectBackend('auto', loaders(gpuWindowLoaders(APPLE, { tfjsVersion: '4.22.0' })));
    expect(report).toMatchObject({ name: 'webgl', package: '@tensorflow/tfjs-backend-webgl', where: 'gpu-window', adapter: 'ANGLE (Apple, ANGLE Metal Renderer: Apple M1)' });
    expect(report.attempts.slice(2)).toEqual([
      { candidate: 'webgpu', ok: false, reason: 'webgpu unavailable: WebGPU offers no adapter' },
      { candidate: 'webgl', ok: true, reason: "@tensorflow/tfjs-backend-webgl 4.22.0, ANGLE (Apple, ANGLE Metal Renderer: Apple M1), in the desktop app's GPU window" },
    ]);
  });

  it('prefers webgpu over webgl on a real GPU, and a native CUDA build over both', async () => {
    const both: GpuProbe = { webgpu: adapter('webgpu', { adapter: 'amd rdna-2' }), webgl: APPLE.webgl };
    expect((await selectBackend('auto', loaders(gpuWindowLoaders(both, { tfjsVersion: '4.22.0' })))).name).toBe('webgpu');
    const cuda = loaders({ ...gpuWindowLoaders(both, { tfjsVersion: '4.22.0' }), 'tensorflow-gpu': async () => native['tensorflow-gpu'] });
    const report = await selectBackend('auto', cuda);
    expect(report.name).toBe('tensorflow');
    expect(report.attempts).toHaveLength(1);
  });

  it('reports a window that could not be opened, and never adds the window to an explicit preference', async () => {
    const report = await selectBackend('auto', loaders(gpuWindowLoaders(undefined, { tfjsVersion: '4.22.0', unavailableReason: 'the GPU window did not load: boom' })));
    expect(report.attempts[2]).toEqual({ candidate: 'webgpu', ok: false, reason: 'webgpu: the GPU window did not load: boom' });
    expect((await selectBackend('auto', loaders(gpuWindowLoaders(undefined, { tfjsVersion: '4.22.0' })))).attempts[3].reason).toBe(`webgl: ${NO_GPU_WINDOW}`);
    const withWindow = loaders(gpuWindowLoaders(APPLE, { tfjsVersion: '4.22.0' }));
    expect(chainFor('wasm', withWindow)).toEqual(['wasm']);
    expect(chainFor('tensorflow', withWindow)).toEqual(['tensorflow-gpu', 'tensorflow-cpu']);
    expect(chainFor('auto', withWindow)).toEqual(['tensorflow-gpu', 'tensorflow-cpu', 'webgpu', 'webgl', 'wasm', 'cpu']);
  });

  it('uses a software adapter only when forced (tests of the window on machines without a GPU)', async () => {
    const report = await selectBackend('auto', loaders(gpuWindowLoaders(SWIFTSHADER, { tfjsVersion: '4.22.0', allowSoftware: true })));
    expect(report).toMatchObject({ name: 'webgpu', where: 'gpu-window' });
  });
});

describe('reading weights asynchronously (the GPU page)', () => {
  it('gives what getWeightsByValue gives, batch-norm statistics included, and leaks no tensor', async () => {
    await tf.setBackend('cpu');
    const model = buildModel('tutorial-g-cnn', { numClasses: 3, seed: 4, inputShape: [12, 12, 1] });
    const before = tf.memory().numTensors;
    const async = await getWeightsByValueAsync(model);
    expect(tf.memory().numTensors).toBe(before);
    expect(async).toEqual(getWeightsByValue(model));
    model.dispose();
  });
});

describe('the protocol', () => {
  it("describes architectures.ts's networks: both tutorial CNNs parse unchanged", () => {
    for (const arch of Object.values(ARCHITECTURES)) expect(architectureSpec.parse(arch)).toEqual(arch);
    expectTypeOf<z.infer<typeof layerSpec>>().toExtend<LayerSpec>();
    expectTypeOf<LayerSpec>().toExtend<z.input<typeof layerSpec>>();
    expect(layerSpec.safeParse({ kind: 'conv2d', filters: 0, kernelSize: 3, padding: 'same' }).success).toBe(false);
  });
});

/** Both ends of an in-memory port: what the client posts, and a way to answer as the page. */
function fakePort(): { transport: GpuTrainerTransport; sent: unknown[]; reply: (message: unknown) => void; closed: () => boolean } {
  const sent: unknown[] = [];
  let listener: ((message: unknown) => void) | undefined;
  let closed = false;
  return {
    transport: {
      post: (message) => sent.push(message),
      onMessage: (l) => {
        listener = l;
        return () => (listener = undefined);
      },
      close: () => (closed = true),
    },
    sent,
    reply: (message) => listener?.(message),
    closed: () => closed,
  };
}

const JOB = {
  backend: 'webgl' as const,
  model: { architecture: ARCHITECTURES['tutorial-g-cnn'], inputShape: [28, 28, 1] as [number, number, number], numClasses: 10, seed: 1 },
  images: { pixels: new Uint8Array(0), n: 0, height: 28, width: 28, channels: 1 },
  labels: new Int32Array(0),
  options: { epochs: 1, batchSize: 10, learningRate: 0.001, seed: 1 },
};

describe('GpuTrainerClient', () => {
  it('matches replies to requests by id, routes progress, and rebuilds errors', async () => {
    const port = fakePort();
    const client = new GpuTrainerClient(port.transport);
    const progress: number[] = [];
    const training = client.train(JOB, { onProgress: (p) => progress.push(p.batch) });
    const probing = client.probe();
    expect(port.sent).toMatchObject([
      { type: 'train', id: 1, backend: 'webgl' },
      { type: 'probe', id: 2 },
    ]);
    port.reply({ type: 'probe', id: 2, probe: SWIFTSHADER });
    await expect(probing).resolves.toEqual(SWIFTSHADER);
    port.reply({ type: 'progress', id: 1, progress: { epoch: 0, batch: 0, batchesPerEpoch: 2, loss: 0.7, accuracy: 0.5, imagesPerSecond: 10 } });
    port.reply({ type: 'error', id: 1, error: { name: 'RangeError', code: 'invalid_input', message: 'no rows' } });
    await expect(training).rejects.toMatchObject({ name: 'GpuTrainerError', code: 'invalid_input', message: 'no rows', remoteName: 'RangeError' });
    expect(progress).toEqual([0]);
  });

  it('sends cancel on abort and rejects with CancelledError on the page\'s answer', async () => {
    const port = fakePort();
    const client = new GpuTrainerClient(port.transport);
    const controller = new AbortController();
    const training = client.train(JOB, { signal: controller.signal });
    controller.abort();
    expect(port.sent.at(-1)).toEqual({ type: 'cancel', id: 1 });
    port.reply({ type: 'cancelled', id: 1, message: 'training cancelled at epoch 1, batch 2' });
    await expect(training).rejects.toBeInstanceOf(CancelledError);
  });

  it('rejects on a reply that breaks the protocol, and everything pending on close', async () => {
    const port = fakePort();
    const client = new GpuTrainerClient(port.transport);
    const first = client.probe();
    port.reply({ type: 'probe', id: 1, probe: { webgl: 'fast' } });
    await expect(first).rejects.toMatchObject({ code: 'bad_reply' });
    const second = client.probe();
    client.close();
    await expect(second).rejects.toBeInstanceOf(GpuTrainerError);
    expect(port.closed()).toBe(true);
    await expect(client.probe()).rejects.toMatchObject({ code: 'closed' });
  });
});
