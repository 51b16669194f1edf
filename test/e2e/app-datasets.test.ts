// The Datasets page in Debian's chromium against the real services: import a folder of real PNGs through
// the wizard (the CSV chosen in the server-side file browser); a corrupt image is reported with its file,
// row and column and creates nothing; the good folder then imports and shows its summary, chart and
// thumbnails. Fails on any console or page error.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium';
import { writeImageFolder, writePixelCsv, type ImageFolder } from './app-fixtures';
import { startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())('datasets page in chromium', () => {
  let app: AppHarness;
  let bad: ImageFolder;
  let good: ImageFolder;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-datasets-');
    bad = await writeImageFolder(join(app.dir, 'bad-faces'), 8, { corrupt: 3 });
    good = await writeImageFolder(join(app.dir, 'faces'), 24);
    await app.page.goto(app.bridge.url);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('opens the import wizard on an empty workspace and picks the CSV in the file browser', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('import-wizard').isVisible()).toBe(true);
    await page.getByTestId('import-csv-browse').click();
    const browser = page.getByTestId('file-browser');
    await expect.poll(() => browser.isVisible()).toBe(true);
    await browser.getByTestId('file-browser-path').fill(bad.dir);
    await browser.getByTestId('file-browser-path').press('Enter');
    await expect.poll(() => browser.getByRole('button', { name: /attributes\.csv/ }).isVisible()).toBe(true);
    await app.screenshot('file-browser');
    await browser.getByRole('button', { name: /attributes\.csv/ }).click();
    await expect.poll(() => page.getByTestId('import-csv').inputValue()).toBe(bad.csv);
    expect(await browser.isVisible()).toBe(false);
  });

  it('maps the columns from the CSV header', async () => {
    const { page } = app;
    await page.getByTestId('wizard-next').click();
    await expect.poll(() => page.getByTestId('label-column').inputValue()).toBe('label');
    expect(await page.getByTestId('file-column').inputValue()).toBe('file');
    expect(await page.getByTestId('sensitive-M').isChecked()).toBe(true);
    expect(await page.getByTestId('sensitive-F').isChecked()).toBe(true);
    await page.getByTestId('add-family').click();
    await page.getByPlaceholder('sex').fill('sex');
    await app.screenshot('import-columns');
    await app.screenshot('import-columns-dark', { dark: true });
    await page.getByTestId('wizard-next').click();
    expect(await page.getByTestId('dataset-name').inputValue()).toBe('bad-faces');
  });

  it('reports a corrupt image with its file, row and column, and imports nothing', async () => {
    const { page } = app;
    await page.getByTestId('dataset-name').fill('faces');
    await page.getByTestId('start-import').click();
    const error = page.getByTestId('error');
    await expect.poll(() => error.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await error.textContent()).toContain('Import failed: nothing was imported');
    expect(await page.getByTestId('error-detail').textContent()).toContain("cannot decode image 'images/face_003.png'");
    expect(await page.getByTestId('error-file').textContent()).toBe(bad.csv);
    expect(await page.getByTestId('error-row').textContent()).toBe('5');
    expect(await page.getByTestId('error-column').textContent()).toBe('file');
    expect(await page.getByTestId('dataset-list').textContent()).toContain('No datasets yet');
    await app.screenshot('import-error');
    const list = await app.bridge.services.invoke('datasets.list', {});
    expect(list).toEqual({ ok: true, value: [] });
  });

  it('imports the good folder (path typed) and shows its summary, group chart and thumbnails', async () => {
    const { page } = app;
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByTestId('import-csv').fill(good.csv);
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('start-import').click();
    const summary = page.getByTestId('dataset-summary');
    await expect.poll(() => summary.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await summary.locator('h2').textContent()).toBe('faces');
    expect(await summary.textContent()).toContain('24 rows');
    expect(await summary.textContent()).toContain('sex = M, F');
    await expect.poll(() => page.getByTestId('thumbnails').locator('img').count()).toBe(12);
    expect(await page.locator('[data-testid=group-chart] canvas').count()).toBeGreaterThan(0);
    const rows = await summary.locator('table.counts tbody tr').allTextContents();
    expect(rows).toEqual(['M1248', 'F1248']);
    expect(await page.getByTestId('dataset-list').textContent()).toContain('faces');
    await app.screenshot('datasets-summary');
    await app.screenshot('datasets-summary-dark', { dark: true });
  });

  it('shows a pixel-CSV import in progress and cancels it: nothing is imported', async () => {
    const { page } = app;
    const csv = writePixelCsv(join(app.dir, 'pixels.csv'), 150_000);
    await page.getByTestId('open-import').click();
    await page.getByTestId('format-pixels').check();
    await page.getByTestId('import-csv').fill(csv);
    await page.getByTestId('wizard-next').click();
    await expect.poll(() => page.getByTestId('label-column').inputValue()).toBe('label');
    expect(await page.getByTestId('sensitive-gender').isChecked()).toBe(true);
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('start-import').click();
    const progress = page.getByTestId('job-progress');
    await expect.poll(() => progress.isVisible(), { timeout: 20_000 }).toBe(true);
    // The import runs in a worker thread: its first report comes once the thread has started.
    await expect.poll(async () => (await progress.textContent()) ?? '', { timeout: 20_000 }).toMatch(/reading: \d+ rows/);
    await app.screenshot('import-progress');
    await page.getByTestId('job-cancel').click();
    await expect.poll(() => page.getByTestId('import-cancelled').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await page.getByTestId('start-import').isEnabled()).toBe(true);
    const list = await app.bridge.services.invoke('datasets.list', {});
    expect((list as { value: { name: string }[] }).value.map((d) => d.name)).toEqual(['faces']);
  });

  it('had no console or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
