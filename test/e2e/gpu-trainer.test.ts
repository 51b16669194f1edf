// The desktop app's GPU trainer page (src-renderer/gpu-trainer.html, built into out/renderer by
// `npm run build:app`) in Debian's chromium with software WebGL (ANGLE on SwiftShader), driven through
// the same client the Electron main process uses (GpuTrainerClient) over a MessagePort. Invariants:
// the probe classifies SwiftShader as software, so the chain skips webgl (and webgpu) and ends on the
// next link; forced onto software webgl, training a tiny CNN gives the weights the cpu backend gives for
// the same seed, data and options (within float32 tolerance, see below), on webgpu too where chromium offers
// its SwiftShader adapter; trainOnGpuWindow (what a run would call) trains the given model on the given rows
// and writes the weights back, like trainClassifier; cancel stops between batches;
// a malformed message gets an error reply, not silence. Fails on any page or console error.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, type ArchitectureSpec } from '../../src-main/deep/architectures';
import { trainOnGpuWindow } from '../../src-main/deep/backend-gpu-train';
import { GpuTrainerError, gpuWindowLoaders, type GpuTrainerClient, type GpuTrainerTransport, type TrainJob } from '../../src-main/deep/backend-gpu-window';
import { BackendUnavailableError, selectBackend, type BackendLoaders } from '../../src-main/deep/backends';
import { CancelledError } from '../../src-main/deep/cancel';
import { bandImages } from '../support/band-images';
import { trainClassifier } from '../../src-main/deep/train';
import { getWeightsByValue, setWeights, type WeightsByValue } from '../../src-main/deep/weights';
import type { GpuProbe } from '../../src-shared/contract/gpu-trainer';
import { chromiumAvailable } from '../support/chromium';
import { REQUIRE_ALL } from '../support/prerequisites';
import { openTrainerPage, type TrainerPage } from '../support/gpu-trainer-page';

/** A CNN small enough for SwiftShader: conv → ReLU → pool → batch norm → dense head (every layer kind the tutorials use). */
const TINY_CNN: ArchitectureSpec = {
  name: 'tiny-cnn',
  description: 'test network',
  defaultInputShape: [8, 8, 1],
  layers: [
    { kind: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    { kind: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
    { kind: 'flatten' },
    { kind: 'dense', units: 'classes' },
  ],
};

const MODEL_SEED = 11;
const data = bandImages({ n: 48, height: 8, width: 8, numClasses: 2, seed: 5 });

function job(options: Partial<TrainJob['options']> = {}, allowSoftware = true, backend: TrainJob['backend'] = 'webgl'): TrainJob {
  return {
    backend,
    allowSoftware,
    model: { architecture: TINY_CNN, inputShape: [8, 8, 1], numClasses: 2, seed: MODEL_SEED },
    images: data.images,
    labels: data.labels,
    options: { epochs: 2, batchSize: 16, learningRate: 0.01, seed: 3, ...options },
  };
}

/**
 * The GPU page's trained weights against the cpu backend's, tensor by tensor, relative to how far
 * training moved each tensor from `initial`.
 */
function expectSameTraining(trained: WeightsByValue, reference: WeightsByValue, initial: WeightsByValue): void {
  expect(trained.names).toEqual(reference.names);
  expect(trained.shapes).toEqual(reference.shapes);
  // Tolerance: both sides compute in float32 but in different orders and with different kernels (GLSL
  // shaders on SwiftShader vs JS loops), so single ops differ by a few ulps (~1e-7 relative). Compare
  // each tensor's difference with how far training moved it (six Adam steps of lr 0.01: ~0.05): measured
  // here at ≤ 1.1e-6 of the move. Adam divides each gradient by its own RMS, which can amplify the
  // difference of a near-zero gradient, and a real GPU's arithmetic differs from SwiftShader's, so the
  // bound is 1e-4, a hundredfold margin; a wrong gradient, batch order or initial weight gives order 1.
  for (let t = 0; t < reference.names.length; t++) {
    const gpu = trained.data[t];
    const cpu = reference.data[t];
    const init = initial.data[t];
    let diff = 0;
    let moved = 0;
    for (let i = 0; i < cpu.length; i++) {
      diff = Math.max(diff, Math.abs(gpu[i] - cpu[i]));
      moved = Math.max(moved, Math.abs(cpu[i] - init[i]));
    }
    expect(moved, `${reference.names[t]} must have changed`).toBeGreaterThan(0);
    expect(diff / moved, `${reference.names[t]}: max |gpu − cpu| = ${diff}, max change ${moved}`).toBeLessThan(1e-4);
  }
}

describe.skipIf(!chromiumAvailable())('GPU trainer page in chromium (software WebGL)', () => {
  let page: TrainerPage;
  let client: GpuTrainerClient;
  let transport: GpuTrainerTransport;
  let probe: GpuProbe;

  beforeAll(async () => {
    // WebGPU enabled so the probe sees whatever adapter this build offers (none, or SwiftShader).
    page = await openTrainerPage({ webgpu: true });
    ({ client, transport } = page);
    expect(page.ready).toEqual({ type: 'ready', protocol: 1, tfjs: tf.version.tfjs });
    probe = await client.probe();
  });
  afterAll(async () => {
    await page?.close();
  });

  it('classifies SwiftShader WebGL as software, so the chain skips the GPU window and ends on the next link', async () => {
    expect(probe.webgl).toMatchObject({ api: 'webgl', available: true, software: true, backendBundled: true });
    expect(probe.webgl.adapter).toMatch(/SwiftShader/);
    expect(probe.webgl.reason).toBe('software renderer SwiftShader');
    // WebGPU here is either absent or SwiftShader's fallback adapter: never a GPU the chain would use.
    expect(probe.webgpu.backendBundled).toBe(true);
    expect(probe.webgpu.available === false || probe.webgpu.software).toBe(true);

    const fail = (id: string) => async () => {
      throw new BackendUnavailableError(`${id} is not installed (test)`);
    };
    const loaders: BackendLoaders = {
      'tensorflow-gpu': fail('tensorflow-gpu'),
      'tensorflow-cpu': fail('tensorflow-cpu'),
      wasm: async () => ({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version: '4.22.0', simd: true, threads: 1 }),
      cpu: fail('cpu'),
      ...gpuWindowLoaders(probe, { tfjsVersion: tf.version.tfjs }),
    };
    const report = await selectBackend('auto', loaders);
    expect(report.name).toBe('wasm');
    expect(report.attempts.map((a) => a.candidate)).toEqual(['tensorflow-gpu', 'tensorflow-cpu', 'webgpu', 'webgl', 'wasm']);
    expect(report.attempts[3]).toEqual({ candidate: 'webgl', ok: false, reason: 'webgl skipped: software renderer SwiftShader' });
    expect(report.attempts[2].reason).toMatch(/^webgpu (unavailable|skipped): /);
    expect(page.problems).toEqual([]);
  });

  it('refuses to train on the software adapter unless forced', async () => {
    const error = await client.train(job({}, false)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuTrainerError);
    expect(error).toMatchObject({ code: 'software_adapter', message: 'webgl skipped: software renderer SwiftShader' });
  });

  // WebGPU: Debian's chromium offers SwiftShader's fallback adapter when --enable-unsafe-webgpu is given;
  // a build without it skips that case (the probe test above still checks it is never used unforced).
  it.for(['webgl', 'webgpu'] as const)('trains on %s (forced) to the weights the cpu backend trains from the same seed and data', async (backend, context) => {
    if (backend === 'webgpu' && !probe.webgpu.available) {
      if (REQUIRE_ALL) throw new Error('missing prerequisite: a WebGPU adapter in chromium (--enable-unsafe-webgpu, SwiftShader)');
      context.skip();
    }
    const progress: number[] = [];
    const trained = await client.train(job({}, true, backend), { onProgress: (p) => progress.push(p.loss) });
    expect(trained.backend).toMatchObject({ name: backend, package: `@tensorflow/tfjs-backend-${backend}`, software: true });
    expect(trained.result).toMatchObject({ batches: 6, images: 96 });
    expect(progress).toHaveLength(6);

    // The reference: the same code on tfjs's cpu backend in this process.
    await tf.setBackend('cpu');
    const model = buildModel(TINY_CNN, { numClasses: 2, seed: MODEL_SEED, inputShape: [8, 8, 1] });
    const initial = getWeightsByValue(model);
    const cpuLosses: number[] = [];
    const { options } = job();
    await trainClassifier(model, data.images, data.labels, { start: 0, end: data.images.n }, { ...options, onBatch: (p) => cpuLosses.push(p.loss) });
    const reference = getWeightsByValue(model);
    model.dispose();

    expectSameTraining(trained.weights, reference, initial);
    for (let b = 0; b < cpuLosses.length; b++) expect(Math.abs(progress[b] - cpuLosses[b])).toBeLessThan(1e-4 * Math.max(1, cpuLosses[b]));
    expect(page.problems).toEqual([]);
  });

  it('trainOnGpuWindow is a drop-in for trainClassifier: this model\'s weights, the given rows, weights written back', async () => {
    // The candidate rows only, in their given order, from a model whose weights are not the seed's draw.
    const rows = Int32Array.from({ length: 32 }, (_, i) => 47 - i);
    const options = { epochs: 2, batchSize: 16, learningRate: 0.01, seed: 9, shuffle: false };
    await tf.setBackend('cpu');
    const make = (): tf.LayersModel => {
      const model = buildModel(TINY_CNN, { numClasses: 2, seed: MODEL_SEED, inputShape: [8, 8, 1] });
      setWeights(model, getWeightsByValue(buildModel(TINY_CNN, { numClasses: 2, seed: MODEL_SEED + 1, inputShape: [8, 8, 1], init: 'glorot' })));
      return model;
    };
    const viaWindow = make();
    const initial = getWeightsByValue(viaWindow);
    const progress: number[] = [];
    const result = await trainOnGpuWindow((j, h) => client.train({ ...j, allowSoftware: true }, h), 'webgl', viaWindow, data.images, data.labels, rows, {
      ...options,
      onBatch: (p) => progress.push(p.batch),
    });
    expect(result).toMatchObject({ batches: 4, images: 64 });
    expect(progress).toEqual([0, 1, 0, 1]);
    const local = make();
    await trainClassifier(local, data.images, data.labels, rows, options);
    expectSameTraining(getWeightsByValue(viaWindow), getWeightsByValue(local), initial);
    viaWindow.dispose();
    local.dispose();
    expect(page.problems).toEqual([]);
  });

  it('cancels between batches and keeps answering', async () => {
    const controller = new AbortController();
    let batches = 0;
    const outcome = await client
      .train(job({ epochs: 200, batchSize: 8 }), {
        signal: controller.signal,
        onProgress: () => {
          batches++;
          if (batches === 2) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(CancelledError);
    // How many batches run before the cancel arrives depends on the round trip through Playwright; the page
    // must stop between batches, say where, and have reported every batch it ran before that point.
    const [, epoch, batch] = /^training cancelled at epoch (\d+), batch (\d+)$/.exec((outcome as Error).message) ?? [];
    const ran = (Number(epoch) - 1) * 6 + Number(batch) - 1;
    expect(ran).toBeGreaterThanOrEqual(2);
    expect(ran).toBeLessThan(200 * 6);
    expect(batches).toBe(ran);
    // The page is free again: a new job is not refused as busy.
    const trained = await client.train(job({ epochs: 1 }));
    expect(trained.result.batches).toBe(3);
    expect(page.problems).toEqual([]);
  });

  it('answers a malformed message with an error reply', async () => {
    const replies: unknown[] = [];
    const off = transport.onMessage((message) => replies.push(message));
    try {
      transport.post({ type: 'train', id: 9001, backend: 'webgl' });
      transport.post('not a message');
      await expect.poll(() => replies.length).toBe(2);
      expect(replies[0]).toMatchObject({ type: 'error', id: 9001, error: { code: 'bad_message' } });
      expect((replies[0] as { error: { message: string } }).error.message).toMatch(/^not a GPU trainer request: model: /);
      expect(replies[1]).toMatchObject({ type: 'error', id: null, error: { code: 'bad_message' } });
    } finally {
      off();
    }
    // An id-less error fails whatever is pending; nothing was. The connection still serves requests.
    expect((await client.probe()).webgl.software).toBe(true);
    expect(page.problems).toEqual([]);
  });
});
