// An experiment's page in Debian's chromium: the weighted-random baseline with its weight chosen in the
// form, plots themed in dark mode, a note where two models' lines coincide, and the plots (SVG, PNG)
// and report (HTML) written from the page. Fails on any console or page error.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { chromiumAvailable } from '../support/chromium';
import { startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())("an experiment's page in chromium", () => {
  let app: AppHarness;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-experiment-views-');
    const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 300, seed: 3 }));
    writeFileSync(join(app.dir, 'data.csv'), files.csv);
    writeFileSync(join(app.dir, 'meta.json'), files.metadata);
    await app.importDirect({ format: 'seldonian', name: 'two groups', csv: join(app.dir, 'data.csv'), metadata: join(app.dir, 'meta.json') });
    await app.page.goto(`${app.bridge.url}#/experiments`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('runs weighted-random at the chosen weight beside logistic, notes coinciding lines, writes plots and report', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('exp-dataset').locator('option').count()).toBe(1);
    await page.getByTestId('exp-constraint-0').fill('abs((PR | [M]) - (PR | [F])) <= 0.2');
    await page.getByTestId('exp-fractions').fill('0.5, 1');
    await page.getByTestId('exp-trials').fill('2');
    await page.getByTestId('exp-model-qsa-features').uncheck();
    await page.getByTestId('exp-model-logistic').check();
    expect(await page.getByTestId('exp-weighted-random-p').count()).toBe(0);
    await page.getByTestId('exp-model-weighted-random').check();
    await page.getByTestId('exp-weighted-random-p').fill('0.7');
    await page.getByTestId('exp-start').click();
    await expect.poll(() => page.getByTestId('exp-detail').textContent(), { timeout: 60_000 }).toContain('completed');
    const stored = await app.bridge.services.invoke('experiments.get', { experimentId: 1 });
    const models = (stored as { value: { experiment: { models: { name: string; type: string }[] } } }).value.experiment.models;
    expect(models.map((m) => m.type).sort()).toEqual(['logistic', 'weighted-random']);
    expect(models.find((m) => m.type === 'weighted-random')?.name).toMatch(/0\.7/);
    // Both baselines always return a model: their probability-of-solution lines coincide at 1.
    await expect.poll(() => page.getByTestId('experiment-coincide-0').textContent()).toMatch(/logistic and weighted-random\S* coincide on probability of solution/);

    const folder = join(app.dir, 'plots');
    await page.getByTestId('exp-plots-folder').fill(folder);
    await page.getByTestId('exp-save-svg').click();
    await expect.poll(() => page.getByTestId('exp-saved').textContent()).toContain('experiment-1-constraint-1.svg');
    expect(readFileSync(join(folder, 'experiment-1-constraint-1.svg'), 'utf8')).toMatch(/^<svg/);
    await page.getByTestId('exp-save-png').click();
    await expect.poll(() => page.getByTestId('exp-saved').textContent(), { timeout: 30_000 }).toContain('experiment-1-constraint-1.png');
    expect(readFileSync(join(folder, 'experiment-1-constraint-1.png').toString()).subarray(1, 4).toString()).toBe('PNG');
    await page.getByTestId('exp-save-report').click();
    await expect.poll(() => page.getByTestId('exp-saved').textContent()).toContain('experiment-1-report.html');
    expect(existsSync(join(folder, 'experiment-1-report.html'))).toBe(true);
    await page.getByTestId('open-report-experiment').click();
    await expect.poll(() => page.frameLocator('[data-testid="report-frame"]').locator('body').textContent()).toContain('abs((PR | [M]) - (PR | [F])) <= 0.2');
    await page.getByTestId('report-viewer-close').click();
    await app.screenshot('experiment-views');
    await app.screenshot('experiment-views-dark', { dark: true });
    expect(app.problems).toEqual([]);
  }, 90_000);
});
