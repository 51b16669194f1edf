// Invariants of the backend chain: with `auto` the first candidate that loads wins, in the
// order tfjs-node-gpu → webgpu → tfjs-node → wasm → cpu, and every attempt is reported with a human reason; an
// explicit preference never falls back silently. The native packages cannot be installed here, so the
// fall-through is tested with injected loaders and with the real loaders finding the packages absent.
import { describe, expect, it } from 'vitest';
import { runBackendsCommand } from '../../src-main/cli/commands/backends';
import {
  BackendSelectionError,
  BackendUnavailableError,
  defaultLoaders,
  selectBackend,
  type BackendLoaders,
  type CandidateId,
  type LoadedBackend,
} from '../../src-main/deep/backends';

const loaded: Readonly<Record<CandidateId, LoadedBackend>> = {
  'tensorflow-gpu': { name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', version: '4.22.0', device: 'gpu' },
  webgpu: {
    name: 'webgpu',
    package: '@tensorflow/tfjs-backend-webgpu',
    version: '4.22.0',
    adapter: {
      description: 'Test GPU',
      vendor: 'test',
      architecture: 'none',
      device: 'test-device',
      software: false,
      limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30, maxComputeWorkgroupStorageSize: 32768, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 },
    },
  },
  'tensorflow-cpu': { name: 'tensorflow', package: '@tensorflow/tfjs-node', version: '4.22.0', device: 'cpu' },
  wasm: { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version: '4.22.0', simd: true, threads: 1 },
  cpu: { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: '4.22.0' },
};

/** Loaders where `working` load and the rest fail with `reason`; records the call order. */
function fakeLoaders(working: readonly CandidateId[], calls: CandidateId[] = [], reasons: Partial<Record<CandidateId, () => never>> = {}): BackendLoaders {
  const make = (id: CandidateId) => async (): Promise<LoadedBackend> => {
    calls.push(id);
    const fail = reasons[id];
    if (fail) fail();
    if (!working.includes(id)) throw new BackendUnavailableError(`${id} is not installed (test)`);
    return loaded[id];
  };
  return { 'tensorflow-gpu': make('tensorflow-gpu'), webgpu: make('webgpu'), 'tensorflow-cpu': make('tensorflow-cpu'), wasm: make('wasm'), cpu: make('cpu') };
}

describe('selectBackend with injected loaders', () => {
  it('takes the first candidate that loads and stops there', async () => {
    const calls: CandidateId[] = [];
    const report = await selectBackend('auto', fakeLoaders(['tensorflow-cpu', 'wasm', 'cpu'], calls));
    expect(report).toMatchObject({ name: 'tensorflow', package: '@tensorflow/tfjs-node', device: 'cpu', preference: 'auto' });
    expect(calls).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow-cpu']);
    expect(report.attempts).toEqual([
      { candidate: 'tensorflow-gpu', ok: false, reason: 'tensorflow-gpu is not installed (test)' },
      { candidate: 'webgpu', ok: false, reason: 'webgpu is not installed (test)' },
      { candidate: 'tensorflow-cpu', ok: true, reason: '@tensorflow/tfjs-node 4.22.0, libtensorflow on CPU' },
    ]);
  });

  it('falls through to wasm when both native packages are absent, reporting each reason', async () => {
    const report = await selectBackend('auto', fakeLoaders(['wasm', 'cpu']));
    expect(report).toMatchObject({ name: 'wasm', simd: true, threads: 1 });
    expect(report.attempts.map((a) => [a.candidate, a.ok])).toEqual([
      ['tensorflow-gpu', false],
      ['webgpu', false],
      ['tensorflow-cpu', false],
      ['wasm', true],
    ]);
    expect(report.attempts[3].reason).toBe('@tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread');
  });

  it('treats a loader that throws an unexpected error as a failed attempt, and says so', async () => {
    const report = await selectBackend(
      'auto',
      fakeLoaders(['tensorflow-gpu', 'tensorflow-cpu', 'wasm', 'cpu'], [], {
        'tensorflow-gpu': () => {
          throw new TypeError('libcudart.so.11.0: cannot open shared object file\nstack…');
        },
      }),
    );
    expect(report.name).toBe('tensorflow');
    expect(report.attempts[0]).toEqual({
      candidate: 'tensorflow-gpu',
      ok: false,
      reason: 'tensorflow-gpu loader failed unexpectedly: libcudart.so.11.0: cannot open shared object file',
    });
    expect(report.package).toBe('@tensorflow/tfjs-node');
  });

  it('ends on cpu when nothing else loads', async () => {
    const report = await selectBackend('auto', fakeLoaders(['cpu']));
    expect(report.name).toBe('cpu');
    expect(report.attempts).toHaveLength(5);
  });

  it('fails with every reason when not even cpu loads', async () => {
    await expect(selectBackend('auto', fakeLoaders([]))).rejects.toThrow(BackendSelectionError);
  });

  it('an explicit preference that cannot load is an error naming why, never a fallback', async () => {
    const calls: CandidateId[] = [];
    const error = await selectBackend('tensorflow', fakeLoaders(['wasm', 'cpu'], calls)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendSelectionError);
    const e = error as BackendSelectionError;
    expect(e.preference).toBe('tensorflow');
    expect(e.message).toContain("no 'tensorflow' backend could be loaded");
    expect(e.message).toContain('tensorflow-gpu: tensorflow-gpu is not installed (test)');
    expect(e.message).toContain('tensorflow-cpu: tensorflow-cpu is not installed (test)');
    expect(calls).toEqual(['tensorflow-gpu', 'tensorflow-cpu']); // wasm and cpu were never tried

    await expect(selectBackend('wasm', fakeLoaders(['cpu']))).rejects.toThrow("no 'wasm' backend could be loaded: wasm: wasm is not installed (test)");
  });

  it('an explicit preference that loads tries only its own candidates', async () => {
    const calls: CandidateId[] = [];
    const report = await selectBackend('cpu', fakeLoaders(['tensorflow-gpu', 'cpu'], calls));
    expect(report).toMatchObject({ name: 'cpu', preference: 'cpu' });
    expect(calls).toEqual(['cpu']);
  });
});

describe('the real loaders on this machine (native packages absent)', () => {
  it('report the native packages as not installed, with what their install needs', async () => {
    const request = { preference: 'auto', syncReads: true } as const;
    const gpu = await defaultLoaders['tensorflow-gpu'](request).catch((e: unknown) => e);
    expect(gpu).toBeInstanceOf(BackendUnavailableError);
    expect((gpu as Error).message).toMatch(/@tensorflow\/tfjs-node-gpu is not installed .*libtensorflow 2\.9\.1.*CUDA 11\.2 and cuDNN 8\.1/);
    const cpu = await defaultLoaders['tensorflow-cpu'](request).catch((e: unknown) => e);
    expect((cpu as Error).message).toMatch(/@tensorflow\/tfjs-node is not installed .*needs internet/);
  });

  it('auto ends on wasm with SIMD, and an explicit tensorflow preference fails', async () => {
    const report = await selectBackend('auto');
    expect(report).toMatchObject({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', simd: true });
    expect(report.threads).toBeGreaterThanOrEqual(1);
    expect(report.attempts.map((a) => a.ok)).toEqual([false, false, false, true]);
    // Work that reads synchronously (the default) never loads Dawn.
    expect(report.attempts[1].reason).toMatch(/^not for this work: it reads tensors synchronously/);
    await expect(selectBackend('tensorflow')).rejects.toThrow(/tfjs-node-gpu is not installed/);
  });
});

describe('fairbound backends', () => {
  function capture(): { out: { stdout(t: string): void; stderr(t: string): void }; stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { out: { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t) }, stdout, stderr };
  }

  it('prints the report of auto as JSON', async () => {
    const c = capture();
    expect(await runBackendsCommand(['--json'], c.out, fakeLoaders(['wasm', 'cpu']))).toBe(0);
    const report = JSON.parse(c.stdout.join('')) as { name: string; cpuEngine: string; attempts: { candidate: string; ok: boolean; reason: string }[] };
    expect(report.name).toBe('wasm');
    // ONNX Runtime is listed as its own link, between tfjs-node and wasm, with what it computes.
    expect(report.attempts.map((a) => [a.candidate, a.ok])).toEqual([
      ['tensorflow-gpu', false],
      ['webgpu', false],
      ['tensorflow-cpu', false],
      ['onnxruntime', true],
      ['wasm', true],
    ]);
    expect(report.attempts[3].reason).toMatch(
      /^onnxruntime-node \d+\.\d+\.\d+ \(CPU, \d+ threads\): trains Fairbound's own CNNs and computes their latents, probabilities and the full-model QSA's gradients; TF\.js wasm holds the weights and computes the rest$/,
    );
    expect(report.attempts[3].reason.startsWith(report.cpuEngine)).toBe(true);
  });

  it('lists no ONNX Runtime link when the chain ends on a GPU or libtensorflow backend', async () => {
    const c = capture();
    expect(await runBackendsCommand(['--json'], c.out, fakeLoaders(['tensorflow-cpu', 'wasm']))).toBe(0);
    const report = JSON.parse(c.stdout.join('')) as { cpuEngine?: string; attempts: { candidate: string }[] };
    expect(report.attempts.map((a) => a.candidate)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow-cpu']);
    expect(report.cpuEngine).toBeUndefined();
  });

  it('--backend onnxruntime takes the chain from ONNX Runtime on: wasm holds the weights, else cpu', async () => {
    const calls: CandidateId[] = [];
    const c = capture();
    expect(await runBackendsCommand(['--backend', 'onnxruntime', '--json'], c.out, fakeLoaders(['cpu'], calls))).toBe(0);
    expect(calls).toEqual(['wasm', 'cpu']);
    const report = JSON.parse(c.stdout.join('')) as { name: string; preference: string; attempts: { candidate: string; ok: boolean }[] };
    expect(report).toMatchObject({ name: 'cpu', preference: 'onnxruntime' });
    expect(report.attempts.map((a) => [a.candidate, a.ok])).toEqual([
      ['onnxruntime', true],
      ['wasm', false],
      ['cpu', true],
    ]);
  });

  it('--backend cpu lists ONNX Runtime in front of the cpu backend', async () => {
    const c = capture();
    expect(await runBackendsCommand(['--backend', 'cpu'], c.out, fakeLoaders(['cpu']))).toBe(0);
    expect(c.stdout.join('\n')).toMatch(/✓ onnxruntime \(CPU\)\s+onnxruntime-node [\d.]+ \(CPU, \d+ threads\): trains Fairbound's own CNNs[^\n]*TF\.js cpu holds the weights[^\n]*\n\s+✓ cpu/);
  });

  it('prints one line per attempt for people', async () => {
    const c = capture();
    expect(await runBackendsCommand([], c.out, fakeLoaders(['wasm', 'cpu']))).toBe(0);
    const text = c.stdout.join('\n');
    expect(text).toContain('backend: wasm (@tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread)');
    expect(text).toMatch(/✗ tensorflow \(tfjs-node-gpu, CUDA\)\s+tensorflow-gpu is not installed \(test\)/);
  });

  it('exits 1 with the reasons when the named backend cannot load', async () => {
    const c = capture();
    expect(await runBackendsCommand(['--backend', 'tensorflow'], c.out, fakeLoaders(['cpu']))).toBe(1);
    expect(c.stderr.join('\n')).toContain('no usable backend for --backend tensorflow');
  });

  it('shows the GPU adapter of a webgpu backend: name, vendor, architecture and limits', async () => {
    const c = capture();
    expect(await runBackendsCommand([], c.out, fakeLoaders(['webgpu', 'cpu']))).toBe(0);
    const text = c.stdout.join('\n');
    expect(text).toContain("backend: webgpu (@tensorflow/tfjs-backend-webgpu 4.22.0, adapter 'Test GPU' (test none))");
    expect(text).toMatch(/adapter: Test GPU\n\s+vendor test, architecture none, device test-device, hardware\n\s+limits: largest buffer 1024 MiB, storage binding 1024 MiB, workgroup storage 32 KiB, 256 invocations per workgroup/);
  });
});
