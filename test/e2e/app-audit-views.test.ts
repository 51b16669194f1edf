// The audit page's views in Debian's chromium, on a crafted predictions file: the disparity table per
// family (its numbers checked against a computation here), per-group confusion matrices, and the
// threshold slider, which bounds the audit's kept probabilities again at another threshold (audit.atThreshold,
// not a second audit) and turns a HOLDS into an exploratory VIOLATED. Fails on any console or page error.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCsv } from '../support/images';
import { chromiumAvailable } from '../support/chromium';
import { writeImageFolder, type ImageFolder } from './app-fixtures';
import { startApp, type AppHarness } from './app-harness';

/** M rows: p = 0.7 (positive at 0.5, negative at 0.8); F rows: p spread over [0, 1). */
function crafted(folder: ImageFolder): number[] {
  return folder.files.map((_, i) => (folder.male[i] ? 0.7 : ((i * 37) % 100) / 100));
}

describe.skipIf(!chromiumAvailable())('audit views in chromium', () => {
  let app: AppHarness;
  let folder: ImageFolder;
  let probs: number[];
  let predictions: string;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-audit-views-');
    folder = await writeImageFolder(join(app.dir, 'faces'), 80);
    await app.importDirect({ format: 'folder', name: 'faces', csv: folder.csv, labelColumn: 'label', sensitive: ['M', 'F'], families: [{ name: 'sex', columns: ['M', 'F'] }] });
    probs = crafted(folder);
    predictions = writeCsv(join(app.dir, 'predictions.csv'), [['file', 'p'], ...folder.files.map((f, i) => [f, probs[i]])]);
    const saved = await app.bridge.services.invoke('constraints.save', { name: 'M positive rate', source: '(PR | [M]) >= 0.5', delta: 0.05, columns: ['M', 'F'] });
    if (!saved.ok) throw new Error(saved.error.message);
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Accuracy of decisions p ≥ t over one group's rows. */
  function accuracy(male: boolean, t: number): number {
    const rows = folder.files.map((_, i) => i).filter((i) => folder.male[i] === male);
    return rows.filter((i) => (probs[i] >= t ? 1 : 0) === folder.labels[i]).length / rows.length;
  }

  it('shows disparities and confusion matrices, and the threshold slider changes a verdict, labelled exploratory', async () => {
    const { page } = app;
    await page.goto(`${app.bridge.url}#/audit`);
    await expect.poll(() => page.getByTestId('audit-dataset').locator('option').count()).toBe(1);
    await page.getByTestId('audit-predictions').fill(predictions);
    await page.getByTestId('audit-choice-builder').uncheck();
    await page.getByTestId('audit-choice-saved-1').check();
    await page.getByTestId('run-audit').click();
    await expect.poll(() => page.getByTestId('verdict-word').first().textContent(), { timeout: 30_000 }).toBe('HOLDS');

    // Disparity: F against the reference M (both 40 rows; the first largest is the default reference).
    await page.getByTestId('disparity-rate').selectOption('ACC');
    const f = page.getByTestId('disparity-row-F');
    const accM = accuracy(true, 0.5), accF = accuracy(false, 0.5);
    expect(await f.getByTestId('disparity-rate-value').textContent()).toMatch(new RegExp(`^${accF.toFixed(3)} \\[`));
    expect(await f.getByTestId('disparity-difference').textContent()).toMatch(new RegExp(`^${(accF - accM).toFixed(3)} \\[`));
    expect(await f.getByTestId('disparity-ratio').textContent()).toMatch(new RegExp(`^${(accF / accM).toFixed(3)} \\[`));

    // Confusion matrix of M at 0.5: every M row is predicted positive.
    const positivesM = folder.files.filter((_, i) => folder.male[i] && folder.labels[i] === 1).length;
    const m = page.getByTestId('confusion').first().getByTestId('confusion-M');
    expect(await m.getByTestId('cm-tp').textContent()).toBe(String(positivesM));
    expect(await m.getByTestId('cm-fn').textContent()).toBe('0');
    await app.screenshot('audit-views');
    await app.screenshot('audit-views-dark', { dark: true });

    // The routes the page calls from here on: the slider asks for the kept audit at 0.8, never a new audit.
    const routesCalled: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/')) routesCalled.push(decodeURIComponent(path.slice('/api/'.length)));
    });
    await page.getByTestId('threshold-slider').fill('0.8');
    await expect.poll(() => page.getByTestId('threshold-verdict-0').textContent(), { timeout: 20_000 }).toContain('VIOLATED at threshold 0.8 — exploratory: threshold chosen on these rows, not a guarantee');
    expect(await page.getByTestId('threshold-exploratory').textContent()).toBe('exploratory: threshold chosen on these rows, not a guarantee');
    // The stated audit's verdict is unchanged above.
    expect(await page.getByTestId('verdict-word').first().textContent()).toBe('HOLDS');
    const explored = page.getByTestId('threshold-explorer').getByTestId('confusion-M');
    expect(await explored.getByTestId('cm-tp').textContent()).toBe('0');
    expect(routesCalled).toContain('audit.atThreshold');
    expect(routesCalled.filter((r) => r.startsWith('audit.') && r !== 'audit.atThreshold')).toEqual([]);
    await app.screenshot('audit-views-threshold');
    await app.screenshot('audit-views-threshold-dark', { dark: true });
    await page.getByTestId('threshold-reset').click();
    await expect.poll(() => page.getByTestId('threshold-exploratory').count()).toBe(0);
    expect(app.problems).toEqual([]);
  }, 60_000);

  it("browses each group's misclassified and borderline images with label, decision and probability", async () => {
    const { page } = app;
    await page.getByTestId('image-browser-load').click();
    const m = page.getByTestId('image-group-M');
    const wrongM = folder.files.filter((_, i) => folder.male[i] && (probs[i] >= 0.5 ? 1 : 0) !== folder.labels[i]).length;
    await expect.poll(() => m.locator('.head').textContent(), { timeout: 20_000 }).toContain(`${wrongM} of 40 misclassified`);
    // Every M row has p = 0.7, so each mistake is a true 0 predicted 1.
    const captions = await m.getByTestId('image-caption').allTextContents();
    expect(captions.length).toBe(Math.min(8, wrongM));
    for (const c of captions) expect(c).toBe('true 0 · pred 1 · p 0.70');
    expect(await m.locator('img').count()).toBe(captions.length);
    // Borderline F images: the closest probabilities to 0.5 first.
    await page.getByTestId('image-browser-borderline').check();
    const fCaptions = await page.getByTestId('image-group-F').getByTestId('image-caption').allTextContents();
    const closest = folder.files.map((_, i) => i).filter((i) => !folder.male[i]).map((i) => Math.abs(probs[i] - 0.5)).sort((a, b) => a - b)[0];
    expect(Math.abs(Number(fCaptions[0].match(/p ([\d.]+)$/)?.[1]) - 0.5)).toBeCloseTo(closest, 2);
    await app.screenshot('audit-views-images');
    await app.screenshot('audit-views-images-dark', { dark: true });
    expect(app.problems).toEqual([]);
  }, 60_000);
});
