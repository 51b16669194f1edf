// A head run whose body trains in the real GPU trainer page: the deep worker queue and worker of the
// desktop app (without Electron), with the GPU window's session played by the built trainer page in
// Debian's chromium on software WebGL. The page reports SwiftShader, which the chain rightly skips, so
// the link declares its webgl adapter a GPU (and asks the page to train on it anyway, allowSoftware):
// everything else — the chain picking webgl, the relay through host and worker, the page's training,
// the weights written back, latents and the QSA on the worker's wasm — is the app's. Invariants: the
// body trains in the page on the candidate rows only, to the weights a local cpu run trains (float32
// tolerance, below), with progress per batch, and the run's verdict is the local run's; a cancel stops
// the page between batches and leaves it free for the next run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainJob } from '../../src-main/deep/backend-gpu-window';
import { DeepWorkerQueue } from '../../src-main/jobs/worker-queue/deep-worker-queue';
import type { GpuWindowLink } from '../../src-main/jobs/worker-queue/gpu-window-relay';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import type { RunEvent, RunRequest } from '../../src-main/runs/types';
import { openWorkspace } from '../../src-main/store/database';
import { getRunConstraints, getRunWeights, type RunWeights } from '../../src-main/store/run-results';
import { getRun } from '../../src-main/store/runs';
import { chromiumAvailable } from '../support/chromium';
import { openTrainerPage, type TrainerPage } from '../support/gpu-trainer-page';
import { gpuWindowHeadRequest } from '../support/tiny-run';

const REQUEST: RunRequest = gpuWindowHeadRequest(3);

/** Per tensor: max |a − b| over how far training moved it from `initial` (the reference's move). */
function relativeDifferences(a: RunWeights, b: RunWeights, initial: RunWeights): { name: string; ratio: number; moved: number }[] {
  let offset = 0;
  return b.names.map((name, t) => {
    const size = b.shapes[t].reduce((x, y) => x * y, 1);
    let diff = 0;
    let moved = 0;
    for (let i = offset; i < offset + size; i++) {
      diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
      moved = Math.max(moved, Math.abs(b.data[i] - initial.data[i]));
    }
    offset += size;
    return { name, ratio: diff / moved, moved };
  });
}

describe.skipIf(!chromiumAvailable())('a head run trained in the GPU trainer page (chromium, software WebGL)', () => {
  let page: TrainerPage;
  let dir: string;
  let dbPath: string;
  let host: DeepWorkerQueue;
  const jobs: TrainJob[] = [];

  beforeAll(async () => {
    page = await openTrainerPage();
    dir = mkdtempSync(join(tmpdir(), 'fairbound-gpu-runs-'));
    dbPath = join(dir, 'w.db');
    const db = openWorkspace(dbPath);
    insertSyntheticImageDataset(db, { name: 'bands', n: 120, size: 12, numClasses: 2, seed: 5 });
    db.close();
    const link: GpuWindowLink = {
      probe: async () => {
        const real = await page.client.probe();
        // SwiftShader stands in for a GPU here (see the file comment).
        return { probe: { ...real, webgl: { ...real.webgl, software: false } }, tfjs: page.tfjs };
      },
      train: (job, handlers) => {
        jobs.push(job);
        return page.client.train({ ...job, allowSoftware: true }, handlers);
      },
    };
    host = new DeepWorkerQueue({ gpuWindow: link });
  }, 60_000);

  afterAll(async () => {
    await host?.close();
    await page?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('trains the body in the page to the weights a local cpu run trains, and reaches its verdict', async () => {
    const events: RunEvent[] = [];
    const viaPage = await host.start(dbPath, REQUEST, { onEvent: (e) => events.push(e) }).done;
    expect(viaPage.error).toBeNull();
    const db = openWorkspace(dbPath);
    try {
      const run = getRun(db, viaPage.runId)!;
      expect(run.backend).toMatchObject({ name: 'webgl', where: 'gpu-window', adapter: expect.stringMatching(/SwiftShader/), local: { name: 'wasm' } });
      expect(jobs).toHaveLength(1);
      expect(jobs[0].images.n).toBe(run.nCandidate);
      expect(events.filter((e) => e.type === 'batch')).toHaveLength(2 * Math.ceil(run.nCandidate / 20));

      const local = await host.start(dbPath, { ...REQUEST, backend: 'cpu' }).done;
      expect(local.status).toBe(viaPage.status);
      // Tolerance as in test/e2e/gpu-trainer.test.ts: float32 in another order and other kernels (GLSL on
      // SwiftShader vs JS loops) differ by a few ulps per op: measured here at ≤ 4.7e-6 of how far training
      // moved each tensor (conv2/kernel); Adam can amplify a near-zero gradient's difference, hence 1e-4, a
      // twentyfold margin. A wrong row, batch order or initial weight, or weights not written back, gives order 1.
      const initial = getRunWeights(db, local.runId, 'cnn_initial')!;
      expect(getRunWeights(db, viaPage.runId, 'cnn_initial')!.data).toEqual(initial.data);
      const differences = relativeDifferences(getRunWeights(db, viaPage.runId, 'cnn_trained')!, getRunWeights(db, local.runId, 'cnn_trained')!, initial);
      for (const d of differences) {
        expect(d.moved, `${d.name} must have changed`).toBeGreaterThan(0);
        expect(d.ratio, d.name).toBeLessThan(1e-4);
      }
      const passed = (id: number) => getRunConstraints(db, id).map((c) => c.passed);
      expect(passed(viaPage.runId)).toEqual(passed(local.runId));
    } finally {
      db.close();
    }
    expect(page.problems).toEqual([]);
  });

  it('a cancel stops the page between batches, and the next run trains there again', async () => {
    const handle = host.start(dbPath, { ...REQUEST, epochs: 300 }, {
      onEvent: (e) => {
        if (e.type === 'batch' && e.batch === 1) handle.cancel('cancelled by the test');
      },
    });
    expect(await handle.done).toEqual({ runId: handle.runId, status: 'cancelled', error: 'cancelled by the test' });
    // The page is free again (not `busy`): the next run's body trains there.
    const next = await host.start(dbPath, { ...REQUEST, epochs: 1 }).done;
    expect(next.error).toBeNull();
    const db = openWorkspace(dbPath);
    try {
      expect(getRun(db, next.runId)!.backend).toMatchObject({ name: 'webgl', where: 'gpu-window' });
    } finally {
      db.close();
    }
    expect(page.problems).toEqual([]);
  });
});
