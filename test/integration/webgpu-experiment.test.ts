/**
 * qsa-head experiment trials on webgpu, on a real WebGPU implementation (Dawn over SwiftShader, chromium's
 * software Vulkan driver; see test/support/swiftshader.ts): a forced-webgpu experiment of a few trials
 * finishes, every trial stores `webgpu` as what computed it, its outcomes match the same trials with
 * `--backend cpu`, and it frees every tensor it made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEAD_QSA } from '../../src-main/experiments/models/deep';
import { bundleSourceWorker } from '../../src-main/jobs/source-bundle';
import { missing } from '../support/prerequisites';
import { hasSwiftShader, hasWebgpuPackage, SWIFTSHADER_ENV, SWIFTSHADER_PREREQUISITE, WEBGPU_PACKAGE_PREREQUISITE } from '../support/swiftshader';
import type { WebgpuExperimentChildReport } from '../support/webgpu-experiment-child';

const skip = missing(WEBGPU_PACKAGE_PREREQUISITE, hasWebgpuPackage()) || missing(SWIFTSHADER_PREREQUISITE, hasSwiftShader());

describe.skipIf(skip)('qsa-head experiment trials on webgpu (SwiftShader)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fairbound-webgpu-experiment-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // About 50 s of CPU for SwiftShader on 2 cores; the limits leave room for a loaded machine.
  it('finish, store webgpu per trial, match the cpu run\'s trials and free their tensors', async () => {
    const child = await bundleSourceWorker(join(import.meta.dirname, '../support/webgpu-experiment-child.ts'), 'webgpu-experiment-child');
    const r = spawnSync(process.execPath, [child, join(dir, 'w.db')], { encoding: 'utf8', timeout: 280_000, env: { ...process.env, ...SWIFTSHADER_ENV } });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as WebgpuExperimentChildReport;
    const [gpu, cpu] = report.runs;
    expect(gpu.status).toBe('completed');
    expect(cpu.status).toBe('completed');
    expect(gpu.trials.map((t) => t.backend)).toEqual(['webgpu', 'webgpu']);
    // --backend cpu: ONNX Runtime takes over TF.js's cpu backend for Fairbound's own CNN (deep/onnx/route.ts).
    expect(cpu.trials.map((t) => t.backend)).toEqual(['onnxruntime', 'onnxruntime']);
    gpu.trials.forEach((g, i) => {
      const c = cpu.trials[i];
      expect([g.trialIndex, g.passed, g.nsfReason, g.error]).toEqual([c.trialIndex, c.passed, c.nsfReason, c.error]);
      // The two bodies differ by float32 rounding (the training test above: weights agree to 1e-5 but where
      // Adam's step on a ~0 gradient takes either sign), so latents agree to ~1e-5 and the head's g to far
      // less than 1e-3 (seen: 6e-10). A row whose probability sits at the threshold may flip: accuracy
      // agrees to one row in N.
      if (!g.passed) return;
      expect(Math.abs(g.performance - c.performance), `trial ${i}`).toBeLessThanOrEqual(1 / report.nRows);
      g.g.forEach((v, k) => expect(Math.abs(v - c.g[k]), `trial ${i} g${k}`).toBeLessThan(1e-3));
      // The head's QSA then takes the same path; Adam may flip a step where a coordinate's gradient is ~0,
      // at most α_θ = 0.01 per step: θ agrees to 2·α_θ (seen: 7e-4), its entries are ~0.4. A wrong
      // kernel moves θ by its own size.
      const worst = Math.max(...(g.theta ?? []).map((v, k) => Math.abs(v - c.theta![k])));
      expect(worst, `trial ${i} θ`).toBeLessThan(2 * HEAD_QSA.alphaTheta);
    });
    expect(gpu.trials.some((t) => t.passed)).toBe(true);
    // No tensor kept across the webgpu run: every trial's training, latents and weights were freed.
    expect(report.memory.tensorsAfter).toBe(report.memory.tensorsBefore);
    expect(report.memory.bytesAfter).toBe(report.memory.bytesBefore);
  }, 300_000);
});
