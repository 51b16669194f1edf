// A live experiment in Debian's chromium against the real services: a page opened while the trials run,
// and reloaded, follows the experiment (the activity strip, the Experiments page's progress and Cancel)
// and shows the trials stored as they land, without another reload; Cancel from the strip ends it.
// Fails on any console or page error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src-shared/contract';
import { chromiumAvailable } from '../support/chromium';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { startApp, type AppHarness } from './app-harness';

/**
 * 2 fractions × 2 models × 2,000 trials of 600 iterations: minutes even on an idle machine, so it is still
 * running when the test, having reloaded and watched it, cancels it (300 trials could end first).
 */
const TRIALS = 2000;
const PLANNED = 2 * 2 * TRIALS;

describe.skipIf(!chromiumAvailable())('a live experiment in chromium', () => {
  let app: AppHarness;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-live-experiments-');
    const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 400, seed: 3 }));
    writeFileSync(join(app.dir, 'data.csv'), files.csv);
    writeFileSync(join(app.dir, 'meta.json'), files.metadata);
    await app.importDirect({ format: 'seldonian', name: 'two groups', csv: join(app.dir, 'data.csv'), metadata: join(app.dir, 'meta.json') });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** The trials stored, as the list row shows them ("12/1200"). */
  async function storedInList(id: number): Promise<number> {
    const cells = await app.page.getByTestId('exp-list').locator('tbody tr').filter({ hasText: `${id}` }).first().locator('td').allTextContents();
    const match = cells.map((c) => /^(\d+)\/(\d+)$/.exec(c.trim())).find((m) => m !== null);
    return match ? Number(match[1]) : -1;
  }

  it('follows an experiment started elsewhere across a reload, its stored trials growing, until it is cancelled', async () => {
    const { page } = app;
    const events: EventMessage[] = [];
    const off = app.bridge.services.subscribe((m) => events.push(m));
    const started = await app.bridge.services.invoke('experiments.start', {
      datasetId: 1, constraints: [{ source: 'abs((PR | [M]) - (PR | [F])) <= 0.2', delta: 0.1 }], fractions: [0.3, 1], nTrials: TRIALS, models: ['qsa-features', 'logistic'], iterations: 600, name: 'long one', notes: 'started by the test',
    });
    if (!started.ok) throw new Error(started.error.message);
    const { jobId, experimentId } = started.value as { jobId: string; experimentId: number };
    await expect.poll(() => events.some((m) => m.event === 'job.progress' && (m.payload as { jobId: string; message: string }).jobId === jobId && /^trial [1-9]/.test((m.payload as { message: string }).message)), { timeout: 30_000 }).toBe(true);
    off();

    await page.goto(`${app.bridge.url}#/experiments`);
    const strip = page.getByTestId(`activity-experiment-${experimentId}`);
    await expect.poll(() => strip.getByTestId(`activity-experiment-${experimentId}-message`).textContent()).toMatch(new RegExp(`trial \\d+ of ${PLANNED}`));
    await expect.poll(() => page.getByTestId('job-progress').textContent()).toMatch(new RegExp(`trial \\d+ of ${PLANNED}`));
    expect(await page.getByTestId('exp-start').isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('exp-detail').textContent()).toContain('long one');
    expect(await page.getByTestId('exp-detail-notes').textContent()).toBe('started by the test');

    await page.reload();
    await expect.poll(() => page.getByTestId('job-progress').textContent()).toMatch(new RegExp(`trial \\d+ of ${PLANNED}`));
    await expect.poll(() => storedInList(experimentId)).toBeGreaterThan(0);
    const first = await storedInList(experimentId);
    // Stored trials land in the list as they are stored.
    await expect.poll(() => storedInList(experimentId), { timeout: 30_000 }).toBeGreaterThan(first);
    await app.screenshot('live-experiment-after-reload');
    await app.screenshot('live-experiment-after-reload-dark', { dark: true });

    await strip.getByTestId(`activity-experiment-${experimentId}-cancel`).click();
    await expect.poll(() => strip.getByTestId(`activity-experiment-${experimentId}-end`).textContent(), { timeout: 30_000 }).toContain('cancelled');
    await expect.poll(() => page.getByTestId('exp-job-status').textContent()).toContain('cancelled');
    await expect.poll(() => page.getByTestId('exp-list').locator('tbody tr').first().textContent()).toContain('cancelled');
    const stored = await storedInList(experimentId);
    expect(stored).toBeGreaterThan(first);
    expect(stored).toBeLessThan(PLANNED);
    expect(await page.getByTestId('exp-start').isEnabled()).toBe(true);
    expect(app.problems).toEqual([]);
  }, 120_000);
});
