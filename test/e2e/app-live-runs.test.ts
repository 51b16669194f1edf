// Live runs in Debian's chromium against the real services and training worker: a page opened while a
// run trains, and reloaded, shows it with its progress and Cancel (the activity strip on every page, the
// New run page's panel) and then its end, without another reload; the page of a run opened while it is
// queued or running turns into its verdict by itself; the ĝ panel shades g > 0 only, up to the axis top.
// Fails on any console or page error.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src-shared/contract';
import { openWorkspace } from '../../src-main/store/database';
import { bandText, gAxis } from '../../src-renderer/src/lib/g-axis';
import { chromiumAvailable } from '../support/chromium';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { startApp, type AppHarness } from './app-harness';

const CONSTRAINT = 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8';
const REQUEST = { dataset: 1, constraints: [{ source: CONSTRAINT, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-j-cnn', batchSize: 20, iterations: 50, resize: 48, backend: 'wasm' };

describe.skipIf(!chromiumAvailable())('live runs in chromium', () => {
  let app: AppHarness;
  const events: EventMessage[] = [];

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-live-runs-');
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    insertSyntheticImageDataset(db, { name: 'bands', n: 160, size: 16, numClasses: 2, seed: 4 });
    db.close();
    app.bridge.services.subscribe((m) => events.push(m));
  });
  afterAll(async () => {
    await app?.close();
  });

  async function startRun(epochs: number): Promise<{ jobId: string; runId: number }> {
    const started = await app.bridge.services.invoke('runs.start', { ...REQUEST, epochs });
    if (!started.ok) throw new Error(started.error.message);
    return started.value as { jobId: string; runId: number };
  }

  it('a page opened mid-run, and reloaded, shows the run with its progress and Cancel, then its end', async () => {
    const { page } = app;
    // Hundreds of epochs: still training when the test, having reloaded and watched it, cancels it.
    const { runId } = await startRun(400);
    await expect.poll(() => events.some((m) => m.event === 'run.event' && (m.payload as { event: { type: string } }).event.type === 'batch'), { timeout: 60_000 }).toBe(true);
    await page.goto(`${app.bridge.url}#/new-run`);
    const strip = page.getByTestId(`activity-run-${runId}`);
    await expect.poll(() => strip.getByTestId(`activity-run-${runId}-message`).textContent()).toContain('body training');
    await expect.poll(() => page.getByTestId('run-status').textContent()).toBe('running');
    expect(await page.getByTestId('run-start').isDisabled()).toBe(true);
    await app.screenshot('live-new-run-opened-mid-run');
    await app.screenshot('live-new-run-opened-mid-run-dark', { dark: true });

    await page.reload();
    const message = strip.getByTestId(`activity-run-${runId}-message`);
    await expect.poll(() => message.textContent()).toContain('body training');
    await expect.poll(() => page.getByTestId('run-progress-text').textContent()).toMatch(/Body training|body training/);
    expect(await page.getByTestId('run-start').isDisabled()).toBe(true);
    // The progress moves on without a reload.
    const before = await message.textContent();
    await expect.poll(() => message.textContent(), { timeout: 30_000 }).not.toBe(before);
    // On another page too (the nav, so the page is not loaded again).
    await page.getByTestId('nav-datasets').click();
    await expect.poll(() => message.textContent()).toContain('body training');
    await app.screenshot('live-activity-on-datasets');

    await page.getByTestId(`activity-run-${runId}-cancel`).click();
    await expect.poll(() => strip.getByTestId(`activity-run-${runId}-end`).textContent(), { timeout: 30_000 }).toContain('cancelled');
    await page.getByTestId('nav-new-run').click();
    await expect.poll(() => page.getByTestId('run-status').textContent()).toBe('cancelled');
    expect(await page.getByTestId('run-start').isEnabled()).toBe(true);
    await app.screenshot('live-run-cancelled');
    await page.getByTestId(`activity-run-${runId}-dismiss`).click();
    expect(await strip.count()).toBe(0);
    expect(app.problems).toEqual([]);
  }, 120_000);

  it("the page of a run opened before it finishes turns into its verdict by itself; its ĝ panel shades g > 0 only", async () => {
    const { page } = app;
    const { runId } = await startRun(1);
    await page.goto(`${app.bridge.url}#/runs/${runId}`);
    const word = page.getByTestId('run-verdict-word');
    await expect.poll(() => word.textContent()).toMatch(/^(QUEUED|RUNNING)$/);
    await expect.poll(() => page.getByTestId(`activity-run-${runId}-message`).count()).toBe(1);
    await app.screenshot('live-run-page-running');
    await expect.poll(() => word.textContent(), { timeout: 90_000 }).toMatch(/^(PASSED|NO SOLUTION FOUND)$/);
    const verdict = (await word.textContent()) === 'PASSED' ? 'passed' : 'no solution found';
    await expect.poll(() => page.getByTestId(`activity-run-${runId}-end`).textContent()).toBe(verdict);

    // The ĝ panel's shading, as the chart option has it, against the stored iterations.
    await expect.poll(() => page.getByTestId('qsa-chart').count()).toBe(1);
    const stored = await app.bridge.services.invoke('runs.iterations', { runId });
    if (!stored.ok) throw new Error(stored.error.message);
    const g = (stored.value as { iterations: { g: number[] }[] }).iterations.flatMap((i) => i.g);
    expect(g.length).toBeGreaterThan(0);
    const band = await page.getByTestId('qsa-chart').getAttribute('data-infeasible');
    expect(band).toBe(bandText(gAxis(g)));
    const highest = Math.max(...g.filter(Number.isFinite));
    if (highest <= 0) expect(band).toBe('none');
    else {
      const [from, to] = band!.split(' to ').map(Number);
      expect(from).toBe(0);
      expect(to).toBeGreaterThanOrEqual(highest);
    }
    await app.screenshot('live-run-page-verdict');
    await app.screenshot('live-run-page-verdict-dark', { dark: true });
    expect(app.problems).toEqual([]);
  }, 120_000);
});
