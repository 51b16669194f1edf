// Deep models on the Experiments page in Debian's chromium against the real services and training
// worker: ticking qsa-head shows the deep settings (CNN, backend, batch × epochs per fraction), a bad
// entry is named before anything is sent, and a tiny qsa-head + cnn experiment on a synthetic image
// dataset runs to the end with its settings stored. Fails on any console or page error.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace } from '../../src-main/store/database';
import { chromiumAvailable } from '../support/chromium';
import { startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())('deep models in the experiments page', () => {
  let app: AppHarness;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-experiments-deep-');
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    insertSyntheticImageDataset(db, { name: 'bands', n: 120, size: 16, numClasses: 2, seed: 3 });
    db.close();
    await app.page.goto(`${app.bridge.url}#/experiments`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('shows the deep settings for a deep model and runs a tiny qsa-head + cnn experiment with them', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('exp-dataset').locator('option').count()).toBe(1);
    await page.getByTestId('exp-constraint-0').fill('ACC >= 0.4');
    await page.getByTestId('exp-constraint-delta-0').fill('0.1');
    await page.getByTestId('exp-fractions').fill('1');
    await page.getByTestId('exp-trials').fill('1');
    await page.getByTestId('exp-iterations').fill('20');
    for (const m of ['qsa-features', 'logistic']) if (await page.getByTestId(`exp-model-${m}`).isChecked()) await page.getByTestId(`exp-model-${m}`).uncheck();
    // No deep model ticked: no deep settings. qsa-full is offered, not ticked.
    expect(await page.getByTestId('deep-settings').count()).toBe(0);
    expect(await page.getByTestId('exp-model-qsa-full').isChecked()).toBe(false);
    await page.getByTestId('exp-model-qsa-head').check();
    await page.getByTestId('exp-model-cnn').check();
    await expect.poll(() => page.getByTestId('deep-settings').count()).toBe(1);
    await page.getByTestId('deep-architecture').selectOption('tutorial-g-cnn');
    await page.getByTestId('deep-backend').selectOption('wasm');
    await page.getByTestId('deep-epochs').fill('1:30');
    await expect.poll(() => page.getByTestId('deep-error').textContent()).toContain("'1:30'");
    await page.getByTestId('exp-start').click();
    // Refused here, before anything is sent.
    await expect.poll(() => page.locator('.form-error').first().textContent()).toContain('Batch × epochs per fraction');
    expect(((await app.bridge.services.invoke('experiments.list', {})) as { ok: true; value: unknown[] }).value).toHaveLength(0);
    await page.getByTestId('deep-epochs').fill('1:30x2');
    expect(await page.getByTestId('deep-error').count()).toBe(0);
    await app.screenshot('experiments-deep-settings');
    await page.getByTestId('exp-start').click();
    await expect.poll(() => page.getByTestId('exp-job-status').textContent(), { timeout: 120_000 }).toContain('done');
    await expect.poll(() => page.getByTestId('exp-detail').textContent()).toContain('completed');
    const stored = await app.bridge.services.invoke('experiments.get', { experimentId: 1 });
    if (!stored.ok) throw new Error(stored.error.message);
    const detail = stored.value as { experiment: { trialsStored: number }; settings: { models: { type: string; params: Record<string, unknown> }[] } };
    expect(detail.experiment.trialsStored).toBe(2);
    for (const m of detail.settings.models) {
      expect(m.params).toMatchObject({ architecture: 'tutorial-g-cnn', backend: 'wasm', batchEpochs: { '1': { batchSize: 30, epochs: 2 } } });
    }
    await app.screenshot('experiments-deep-done');
    expect(app.problems).toEqual([]);
  }, 180_000);
});
