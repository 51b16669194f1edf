// Training runs in Debian's chromium against the real services and training worker: start a small head
// run on a tiny synthetic image dataset and watch body training and candidate selection until the
// verdict; cancel another run while it trains; open the run's page (verdict, intervals, per-group
// accuracy, the QSA's four panels); filter and compare runs. Fails on any console or page error.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import type { EventMessage } from '../../src-shared/contract';
import { openWorkspace } from '../../src-main/store/database';
import { chromiumAvailable } from '../support/chromium';
import { startApp, type AppHarness } from './app-harness';

const CONSTRAINT = 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8';

describe.skipIf(!chromiumAvailable())('training runs in chromium', () => {
  let app: AppHarness;
  let savedId: number;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-runs-');
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    insertSyntheticImageDataset(db, { name: 'bands', n: 160, size: 16, numClasses: 2, seed: 4 });
    db.close();
    const saved = await app.bridge.services.invoke('constraints.save', { name: 'accuracy parity', source: CONSTRAINT, delta: 0.05, columns: ['A', 'B'] });
    if (!saved.ok) throw new Error(saved.error.message);
    savedId = (saved.value as { id: number }).id;
    await app.page.goto(`${app.bridge.url}#/new-run`);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function fillForm(epochs: number, bound: 'student-t' | 'exact' = 'student-t'): Promise<void> {
    const { page } = app;
    await expect.poll(() => page.getByTestId('run-dataset').locator('option').count()).toBe(1);
    await page.getByTestId('run-choice-builder').uncheck();
    await page.getByTestId(`run-choice-saved-${savedId}`).check();
    await page.getByTestId('run-epochs').fill(String(epochs));
    await page.getByTestId('run-batch').fill('20');
    await page.getByTestId('run-iterations').fill('50');
    await page.getByTestId('run-backend').selectOption('wasm');
    await page.getByTestId('run-bound').selectOption(bound);
    expect(await page.getByTestId('run-resize').inputValue()).toBe('48');
  }

  it('starts a head run and follows it to its verdict', async () => {
    const { page } = app;
    await fillForm(1, 'exact');
    await app.screenshot('new-run-form');
    await page.getByTestId('run-start').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 60_000 }).toMatch(/^(passed|nsf)$/);
    await expect.poll(() => page.getByTestId('body-chart').count()).toBe(1);
    await expect.poll(() => page.getByTestId('qsa-chart').count()).toBe(1);
    await app.screenshot('new-run-progress');
    expect(app.problems).toEqual([]);
  }, 80_000);

  it("opens the run's page: verdict, intervals, per-group accuracy, settings and backend", async () => {
    const { page } = app;
    await page.getByTestId('run-open').click();
    await expect.poll(() => page.getByTestId('run-verdict-word').textContent()).toMatch(/^(PASSED|NO SOLUTION FOUND)$/);
    const verdict = (await page.getByTestId('run-verdict').textContent()) ?? '';
    if (verdict.includes('PASSED')) expect(verdict).toContain('a model violating this constraint is at most δ');
    await expect.poll(() => page.getByTestId('group-accuracy').locator('tbody tr').count()).toBeGreaterThan(1);
    expect(await page.getByTestId('backend-report').textContent()).toContain('wasm');
    // The bound chosen in the form is the one the run stored and its safety test used.
    await expect.poll(() => page.getByTestId('run-detail').textContent()).toContain('exact: the betting bound on the safety rows');
    await expect.poll(() => page.getByTestId('qsa-chart').count()).toBe(1);
    await app.screenshot('run-detail');
    await app.screenshot('run-detail-dark', { dark: true });
    expect(app.problems).toEqual([]);
  });

  it('cancels a run while it trains', async () => {
    const { page } = app;
    await page.goto(`${app.bridge.url}#/new-run`);
    // Hundreds of epochs: still training when the cancel comes, however fast the machine.
    await fillForm(400);
    await page.getByTestId('run-start').click();
    await expect.poll(() => page.getByTestId('run-progress-text').textContent(), { timeout: 30_000 }).toContain('Body training');
    await page.getByTestId('run-cancel').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('cancelled');
    expect(app.problems).toEqual([]);
  }, 60_000);

  it('lists, filters and compares runs: table, overlaid curves and intervals side by side', async () => {
    const { page } = app;
    // A second finished run (another seed), started through the services, so two runs have curves and bounds.
    const events: EventMessage[] = [];
    const off = app.bridge.services.subscribe((m) => events.push(m));
    const started = await app.bridge.services.invoke('runs.start', {
      dataset: 1, constraints: [{ source: CONSTRAINT, delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-j-cnn',
      epochs: 1, batchSize: 20, iterations: 50, resize: 48, backend: 'wasm', seed: 1,
    });
    if (!started.ok) throw new Error(started.error.message);
    const { jobId } = started.value as { jobId: string };
    await expect.poll(() => events.some((m) => m.event === 'job.done' && (m.payload as { jobId: string }).jobId === jobId), { timeout: 60_000 }).toBe(true);
    off();

    await page.goto(`${app.bridge.url}#/runs`);
    await expect.poll(() => page.getByTestId('runs-list').locator('tbody tr').count()).toBe(3);
    await page.getByTestId('runs-filter-status').selectOption('cancelled');
    await expect.poll(() => page.getByTestId('runs-list').locator('tbody tr').count()).toBe(1);
    await page.getByTestId('runs-filter-status').selectOption('');
    await page.getByLabel('compare run 1').check();
    await page.getByLabel('compare run 2').check();
    await page.getByLabel('compare run 3').check();
    await page.getByTestId('runs-compare').click();
    await expect.poll(() => page.getByTestId('runs-comparison').textContent()).toContain('CANCELLED');
    await expect.poll(() => page.getByTestId('compare-curves').locator('canvas').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('compare-intervals-0').locator('canvas').count()).toBeGreaterThan(0);
    // The accessible text lists each run's interval per base node: runs 1 and 3 have them, the cancelled run 2 none.
    const listed = (await page.getByTestId('compare-intervals-0').locator('li').allTextContents()).join('\n');
    expect(listed).toMatch(/run #1, .*interval \[/);
    expect(listed).toMatch(/run #3, .*interval \[/);
    expect(listed).toMatch(/run #2, .*: none/);
    await app.screenshot('runs-compare');
    await app.screenshot('runs-compare-dark', { dark: true });
    expect(app.problems).toEqual([]);
  }, 80_000);

  it('deletes runs after a confirm step, from the list and from a run\'s page', async () => {
    const { page } = app;
    await page.goto(`${app.bridge.url}#/runs`);
    await expect.poll(() => page.getByTestId('runs-list').locator('tbody tr').count()).toBe(3);
    // Keep backs out; Delete then confirm deletes.
    await page.getByTestId('run-delete-2').click();
    await page.getByTestId('run-delete-2-keep').click();
    expect(await page.getByTestId('runs-list').locator('tbody tr').count()).toBe(3);
    await page.getByTestId('run-delete-2').click();
    await app.screenshot('runs-delete-confirm');
    await page.getByTestId('run-delete-2-confirm').click();
    await expect.poll(() => page.getByTestId('runs-list').locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('runs-notice').textContent()).toContain('Run #2 deleted');
    await page.goto(`${app.bridge.url}#/runs/1`);
    await expect.poll(() => page.getByTestId('run-verdict-word').count()).toBe(1);
    await page.getByTestId('run-delete').click();
    await page.getByTestId('run-delete-confirm').click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/runs');
    await expect.poll(() => page.getByTestId('runs-list').locator('tbody tr').count()).toBe(1);
    const listed = await app.bridge.services.invoke('runs.list', {});
    expect(listed.ok && (listed.value as { id: number }[]).map((r) => r.id)).toEqual([3]);
    expect(app.problems).toEqual([]);
  });
});
