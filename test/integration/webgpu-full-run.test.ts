/**
 * A full-model run (Tutorial G's CNN is the Seldonian model, the engine's QSA on mini-batches) with
 * `--backend webgpu`, on Dawn over SwiftShader (chromium's software Vulkan driver, so no GPU is needed):
 * the engine's loop awaits the model's asynchronous reads (runQsaAsync), so the run trains on webgpu
 * rather than passing over it. Against the same run on a CPU backend (wasm), same seeds:
 * - the run stores `webgpu` and the adapter;
 * - every iteration's loss f and constraint upper bound ĝ agree to 1e-5 (seen: 8e-8, float32 rounding of
 *   the probabilities), the same iterate is chosen, and the candidate θ agrees like the trained weights
 *   of webgpu-swiftshader.test.ts (seen: 2e-6 at most after three Adam steps of 0.002);
 * - tf.memory() ends where it began;
 * - a cancel requested during candidate selection leaves the run cancelled with no results;
 * - a `qsa-full` experiment trial (the same engine loop) runs on webgpu to the wasm trial's solution.
 * The child process starts with SwiftShader in its environment (test/support/swiftshader.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSourceWorker } from '../../src-main/jobs/source-bundle';
import { missing } from '../support/prerequisites';
import { hasSwiftShader, hasWebgpuPackage, SWIFTSHADER_ENV, SWIFTSHADER_PREREQUISITE, WEBGPU_PACKAGE_PREREQUISITE } from '../support/swiftshader';
import type { WebgpuFullRunChildReport, WebgpuQsaFullTrialsReport } from '../support/webgpu-full-run-child';

const skip = missing(WEBGPU_PACKAGE_PREREQUISITE, hasWebgpuPackage()) || missing(SWIFTSHADER_PREREQUISITE, hasSwiftShader());

/** Each child about 30 s of CPU on an idle 2-core machine (SwiftShader runs the shaders); room for a loaded one. */
const CHILD_TIMEOUT_MS = 280_000;

describe.skipIf(skip)('full-model QSA on webgpu (SwiftShader)', () => {
  async function child<T>(what: 'runs' | 'trials'): Promise<T> {
    const script = await bundleSourceWorker(join(import.meta.dirname, '../support/webgpu-full-run-child.ts'), 'webgpu-full-run-child');
    const r = spawnSync(process.execPath, [script, what], {
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
      // Three runs' θ as JSON: over spawnSync's default 1 MiB.
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...SWIFTSHADER_ENV },
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
  }

  it('a full-model run trains on webgpu to the CPU run\'s numbers, frees its tensors, and cancels', async () => {
    const { request, webgpu, cpu, cancelled, warnings } = await child<WebgpuFullRunChildReport>('runs');

    expect(webgpu.error).toBeNull();
    expect(webgpu.backend).toMatchObject({
      name: 'webgpu',
      preference: 'webgpu',
      adapter: { vendor: 'google', architecture: 'swiftshader', software: true, description: expect.stringMatching(/^SwiftShader/) },
    });
    expect(cpu.backend).toMatchObject({ name: 'wasm' });
    expect(webgpu.status).toBe(cpu.status);

    // 20 candidate rows in batches of 10, 2 epochs.
    expect(cpu.iterations).toHaveLength(4);
    expect(webgpu.iterations).toHaveLength(4);
    webgpu.iterations.forEach((it, t) => {
      expect(Math.abs(it.f - cpu.iterations[t].f), `f at ${t}`).toBeLessThan(1e-5);
      expect(Math.abs(it.g[0] - cpu.iterations[t].g[0]), `ĝ at ${t}`).toBeLessThan(1e-5);
    });
    expect(webgpu.thetaInitial).toEqual(cpu.thetaInitial);
    expect(webgpu.chosenIndex).toBe(cpu.chosenIndex);
    expect(cpu.chosenIndex).toBeGreaterThan(0);
    const lr = request.learningRate!;
    const candidate = webgpu.thetaCandidate!, reference = cpu.thetaCandidate!;
    expect(candidate).toHaveLength(reference.length);
    let moved = 0, maxDiff = 0, over = 0;
    reference.forEach((v, j) => {
      moved = Math.max(moved, Math.abs(v - cpu.thetaInitial[j]));
      const d = Math.abs(candidate[j] - v);
      maxDiff = Math.max(maxDiff, d);
      if (d > 1e-5) over++;
    });
    // The candidate is θ after chosenIndex Adam steps (each moves a weight by about lr), not θ₀ …
    expect(moved).toBeGreaterThan(lr);
    // … and both backends took the same steps: Adam may flip the sign of a step where a gradient is ~0
    // (≤ 2·lr per step on a few values); everything else agrees far below a step.
    expect(over / reference.length).toBeLessThan(0.02);
    expect(maxDiff).toBeLessThanOrEqual(2 * lr * cpu.chosenIndex!);

    for (const run of [webgpu, cpu, cancelled]) {
      expect(run.tensorsAfter).toBe(run.tensorsBefore);
      expect(run.bytesAfter).toBe(run.bytesBefore);
    }
    expect(warnings.filter((w) => /tensor/.test(w))).toEqual([]);

    expect(cancelled).toMatchObject({ status: 'cancelled', error: 'cancelled during candidate_selection', backend: { name: 'webgpu' } });
    expect(cancelled.storedResults).toEqual({ iterations: 0, constraints: 0, bounds: 0, weights: 0, latents: 0, rows: 0 });
  }, 300_000);

  it('a qsa-full experiment trial runs on webgpu to the wasm trial\'s solution (α_θ 0.001, 4 steps)', async () => {
    const trials = await child<WebgpuQsaFullTrialsReport>('trials');
    expect(trials.webgpu).toMatchObject({ backend: 'webgpu', kind: 'solution' });
    expect(trials.wasm).toMatchObject({ backend: 'wasm', kind: 'solution' });
    const [gpuTheta, cpuTheta] = [trials.webgpu.theta!, trials.wasm.theta!];
    expect(gpuTheta).toHaveLength(cpuTheta.length);
    expect(Math.max(...gpuTheta.map((v, j) => Math.abs(v - cpuTheta[j])))).toBeLessThanOrEqual(2 * 0.001 * 4);
    expect(gpuTheta.filter((v, j) => Math.abs(v - cpuTheta[j]) > 1e-5).length / cpuTheta.length).toBeLessThan(0.02);
    const [gpuP, cpuP] = [trials.webgpu.predictions!, trials.wasm.predictions!];
    expect(gpuP).toHaveLength(20);
    gpuP.forEach((p, i) => expect(Math.abs(p - cpuP[i]), `P(y=1) of row ${i}`).toBeLessThan(1e-4));
    for (const trial of [trials.webgpu, trials.wasm]) expect(trial.tensorsAfter).toBe(trial.tensorsBefore);
  }, 300_000);
});
