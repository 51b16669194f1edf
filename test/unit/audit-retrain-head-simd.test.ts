/**
 * `audit --retrain-head` picks the head QSA's kernel by the rule `fairbound qsa` uses (createQsaKernel):
 * 4,200 rows of 256-d latent features (≥ 2^20 float32 values) run on the SIMD kernel, which gives the JS
 * kernel's verdict, head and bounds to rounding, reports itself, and ends its worker threads with the call.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { compileConstraint } from '../../src-shared/constraint';
import { retrainHead, type RetrainHeadResult } from '../../src-main/audit/retrain-head';
import { selectBackend } from '../../src-main/deep/backends';
import { bandImages } from '../support/band-images';
import { Xoshiro128 } from '../../src-main/data/shuffle';
import type { QsaKernelOptions } from '../../src-main/engine/kernels/select';
import { liveSimdWorkers } from '../../src-main/engine/kernels/simd-linear-kernel';
import { simdSupported } from '../../src-main/engine/kernels/simd-support';
import { missing } from '../support/prerequisites';

const N = 4200, LATENT = 256;

beforeAll(async () => {
  await selectBackend('cpu');
});

/** A small pretrained-looking network: a 256-unit body (seeded) and a two-class softmax head that gets cut. */
function network(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
  m.add(tf.layers.dense({ units: LATENT, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }));
  m.add(tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }));
  return m;
}

describe.skipIf(missing('WebAssembly SIMD in this Node', simdSupported()))('retrainHead on the SIMD kernel', () => {
  it('runs a ≥ 2^20-value latent matrix on SIMD, agrees with the JS kernel, and leaves no kernel threads', async () => {
    const { images, labels } = bandImages({ n: N, height: 4, width: 4, numClasses: 2, seed: 3, noise: 200 });
    const rng = new Xoshiro128(4);
    const sensitive = new Uint8Array(N * 2);
    for (let i = 0; i < N; i++) sensitive[i * 2 + (rng.nextUint32() < 0x80000000 ? 0 : 1)] = 1;
    const data = { nRows: N, labels: Float64Array.from(labels), nClasses: 2, sensitiveColumns: ['M', 'F'], sensitive };
    const compiled = compileConstraint('min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8', { columns: ['M', 'F'], subRegime: 'classification', delta: 0.05 });
    if (!compiled.ok) throw new Error(compiled.error.message);
    const model = network();
    const run = (kernel: QsaKernelOptions): Promise<RetrainHeadResult> =>
      retrainHead({
        model,
        images,
        data,
        constraints: [compiled.constraint],
        settings: { fracSafety: 0.5, seed: 5, iterations: 40, alphaTheta: 0.01, alphaLambda: 0.01, lambdaInit: [0.5], kernel },
      });
    try {
      const before = liveSimdWorkers();
      const simd = await run({ threads: 2 });
      expect(simd.latentDim * N).toBeGreaterThanOrEqual(1 << 20);
      expect(simd.kernel).toEqual({ name: 'simd', threads: 2 });
      await vi.waitFor(() => expect(liveSimdWorkers()).toBe(before), { timeout: 2000, interval: 10 });

      const js = await run({ kernel: 'js' });
      expect(js.kernel).toEqual({ name: 'js', threads: 1 });
      expect(simd.result.outcome.kind).toBe(js.result.outcome.kind);
      const close = (a: number, b: number, what: string): void => expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(b)));
      const f = simd.result.candidateSelection!.trajectory.f, fJs = js.result.candidateSelection!.trajectory.f;
      expect(f).toHaveLength(fJs.length);
      f.forEach((v, i) => close(v, fJs[i], `f[${i}]`));
      const head = simd.result.candidateSelection!.candidate!, headJs = js.result.candidateSelection!.candidate!;
      head.forEach((v, i) => close(v, headJs[i], `θ[${i}]`));
      const bounds = simd.result.safetyTest!.constraints, boundsJs = js.result.safetyTest!.constraints;
      bounds.forEach((c, i) => close(c.bound.upper, boundsJs[i].bound.upper, `upper bound ${i}`));
      expect(simd.groupAccuracy).toEqual(js.groupAccuracy);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
