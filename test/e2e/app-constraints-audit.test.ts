// The constraint builder and the audit page in Debian's chromium against the real services: build a
// constraint from blocks and from a preset filled with the dataset's attributes, type one with a typo
// and see its caret, save one (a bad one is refused by main with its caret too), then audit a model's
// predictions and read the verdict banners, the interval charts and the group table; audit a TF.js
// model on a larger image dataset as a job: its progress per batch with Cancel while it runs, the result
// with the backend that ran it, and a cancelled audit's message. Fails on any console or page error.
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace } from '../../src-main/store/database';
import { writeDenseModel } from '../support/dense-model';
import { writeCsv } from '../support/images';
import { chromiumAvailable } from '../support/chromium';
import { writeImageFolder, writePredictions } from './app-fixtures';
import { SCREENSHOTS, startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())('constraint builder and audit in chromium', () => {
  let app: AppHarness;
  let predictions: string;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-audit-');
    const folder = await writeImageFolder(join(app.dir, 'faces'), 80);
    await app.importDirect({ format: 'folder', name: 'faces', csv: folder.csv, labelColumn: 'label', sensitive: ['M', 'F'], families: [{ name: 'sex', columns: ['M', 'F'] }] });
    predictions = writePredictions(join(app.dir, 'predictions.csv'), folder);
    await app.page.goto(`${app.bridge.url}#/constraints`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("fills a preset with the chosen dataset's attributes", async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('editor-dataset').locator('option').count()).toBe(2);
    await page.getByTestId('editor-dataset').selectOption({ label: 'faces (M, F)' });
    expect(await page.getByTestId('columns-input').inputValue()).toBe('M,F');
    await page.getByTestId('preset-b').selectOption('M');
    await page.getByTestId('preset-a').selectOption('F');
    await page.getByTestId('preset-disparate-impact').click();
    expect(await page.getByTestId('constraint-input').inputValue()).toBe('min((PR | [F])/(PR | [M]),(PR | [M])/(PR | [F])) >= 0.8');
    await page.getByTestId('preset-equalized-odds').click();
    expect(await page.getByTestId('constraint-input').inputValue()).toBe('abs((FNR | [F]) - (FNR | [M])) + abs((FPR | [F]) - (FPR | [M])) <= 0.35');
    await expect.poll(() => page.getByTestId('constraint-parsed').textContent()).toContain('abs((FNR | [F]) - (FNR | [M])) + abs((FPR | [F]) - (FPR | [M]))-(0.35)');
  });

  it('builds a constraint by clicking blocks, inserting at the cursor', async () => {
    const { page } = app;
    const input = page.getByTestId('constraint-input');
    await input.fill('');
    await page.getByTestId('fn-abs').click();
    expect(await input.inputValue()).toBe('abs()');
    await page.getByTestId('conditional-measure').selectOption('FNR');
    await page.getByTestId('conditional-attr-M').check();
    await page.getByTestId('insert-conditional').click();
    await page.getByTestId('op-minus').click();
    await page.getByTestId('conditional-attr-M').uncheck();
    await page.getByTestId('conditional-attr-F').check();
    await page.getByTestId('insert-conditional').click();
    expect(await input.inputValue()).toBe('abs((FNR | [M]) - (FNR | [F]))');
    await input.press('End');
    await page.getByTestId('op-at-most').click();
    await page.getByTestId('constant-value').fill('0.2');
    await page.getByTestId('insert-constant').click();
    expect(await input.inputValue()).toBe('abs((FNR | [M]) - (FNR | [F])) <= 0.2');
    await expect.poll(() => page.getByTestId('constraint-parsed').textContent()).toContain('abs((FNR | [M]) - (FNR | [F]))-(0.2)');
    const rows = await page.locator('[data-testid=base-nodes] tbody tr').allTextContents();
    expect(rows).toEqual(['FNR | [M]both0.01250.0125', 'FNR | [F]both0.01250.0125']);
  });

  it('shows a typo with a caret under its column as the user types', async () => {
    const { page } = app;
    await page.getByTestId('constraint-input').fill('abs((PR | [M]) - (PR | [Z])) <= 0.1');
    const error = page.getByTestId('constraint-error');
    await expect.poll(() => error.textContent()).toContain("unknown attribute 'Z' at column 25 (known: M, F)");
    expect((await error.locator('pre').textContent())!.split('\n')[1]).toBe(`${' '.repeat(24)}^`);
    await app.screenshot('constraint-builder-error');
  });

  it('refuses to save a constraint that does not compile (caret from main), then saves a good one with its δ', async () => {
    const { page } = app;
    await page.getByTestId('save-name').fill('Equal opportunity');
    await page.getByTestId('save-constraint').click();
    await expect.poll(() => page.getByTestId('error').textContent()).toContain("unknown attribute 'Z'");
    expect(await page.getByTestId('error').locator('pre').textContent()).toBe(`abs((PR | [M]) - (PR | [Z])) <= 0.1\n${' '.repeat(24)}^`);
    await page.getByTestId('constraint-input').fill('abs((FNR | [M]) - (FNR | [F])) <= 0.2');
    await page.getByTestId('delta-input').fill('0.1');
    await page.getByTestId('save-constraint').click();
    await expect.poll(() => page.getByTestId('saved-constraints').textContent()).toContain('Equal opportunity');
    expect(await page.getByTestId('saved-constraints').textContent()).toContain('0.1');
    await page.getByTestId('constraint-input').fill('min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8');
    await page.getByTestId('delta-input').fill('0.05');
    await app.screenshot('constraint-builder');
    await app.screenshot('constraint-builder-dark', { dark: true });
  });

  it('audits predictions: a verdict banner per constraint, interval charts and the group table', async () => {
    const { page } = app;
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-predictions').fill(predictions);
    await page.locator('[data-testid^=audit-choice-saved-]').check();
    expect(await page.getByTestId('audit-choice-builder').isChecked()).toBe(true);
    await page.getByTestId('run-audit').click();
    const result = page.getByTestId('audit-result');
    await expect.poll(() => result.isVisible(), { timeout: 20_000 }).toBe(true);
    const verdicts = await page.getByTestId('verdict-word').allTextContents();
    expect(verdicts).toHaveLength(2);
    for (const v of verdicts) expect(['HOLDS', 'VIOLATED', 'INCONCLUSIVE']).toContain(v);
    expect(await page.getByTestId('verdict').first().textContent()).toContain('min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8');
    expect(await result.locator('canvas').count()).toBeGreaterThanOrEqual(2);
    const groups = await page.getByTestId('group-table').locator('tbody th').allTextContents();
    expect(groups).toEqual(['all', 'M', 'F']);
    // The same numbers as the service gives directly with its defaults (the page's: the exact bound, all rows of a predictions file).
    const direct = await app.bridge.services.invoke('audit.run', {
      datasetId: 1,
      source: { kind: 'predictions', path: predictions, matching: { kind: 'key', column: 'file' } },
      constraints: [{ source: 'min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])) >= 0.8', delta: 0.05 }],
      mode: { kind: 'hard', threshold: 0.5 },
    });
    const expected = (direct as { value: { constraints: { verdict: string }[] } }).value.constraints[0].verdict.toUpperCase();
    expect(verdicts[0]).toBe(expected);
    // The bound, what g's two ends mean, and what a predictions file's verdict can claim.
    expect(await page.getByTestId('audit-bound-used').textContent()).toContain('exact bounds (Clopper–Pearson');
    expect(await page.getByTestId('verdict').first().textContent()).toContain('each end holds with confidence 0.95; together 0.9');
    expect(await page.getByTestId('verdict-guarantee').first().textContent()).toContain('valid only if none of the audited rows trained the model');
    await app.screenshot('audit');
    await app.screenshot('audit-dark', { dark: true });
    // Student-t, chosen, is labelled approximate; then back to the default.
    const bound = page.getByTestId('audit-bound-used');
    await page.getByTestId('audit-bound').selectOption('student-t');
    await page.getByTestId('run-audit').click();
    await expect.poll(() => bound.textContent(), { timeout: 20_000 }).toContain('Student-t bounds (approximate');
    await page.getByTestId('audit-bound').selectOption('exact');
    await page.getByTestId('run-audit').click();
    await expect.poll(() => bound.textContent(), { timeout: 20_000 }).toContain('exact bounds');
  });

  it('exports the shown result as an HTML report without re-running it; a missing folder is a readable error naming the path', async () => {
    const { page } = app;
    const exportForm = page.getByTestId('audit-export');
    expect(await exportForm.isVisible()).toBe(true);
    const missing = join(app.dir, 'no-such-folder');
    await page.getByTestId('audit-report-folder').fill(missing);
    await page.getByTestId('audit-report-name').fill('report.html');
    await page.getByTestId('audit-report-export').click();
    await expect.poll(() => exportForm.getByTestId('error-file').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await exportForm.getByTestId('error-file').textContent()).toBe(join(missing, 'report.html'));
    // The page sends the shown result, so the export re-runs nothing: it works with the predictions
    // file gone (re-running the audit would fail naming it).
    const away = `${predictions}.away`;
    renameSync(predictions, away);
    const written = page.getByTestId('audit-report-written');
    try {
      await page.getByTestId('audit-report-folder').fill(app.dir);
      await page.getByTestId('audit-report-export').click();
      await expect.poll(() => written.isVisible(), { timeout: 20_000 }).toBe(true);
    } finally {
      renameSync(away, predictions);
    }
    const out = join(app.dir, 'report.html');
    expect(await written.textContent()).toContain(out);
    expect(await exportForm.getByTestId('error').count()).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain((await page.getByTestId('verdict-word').first().textContent())!);
  });

  it('shows bad predictions with their file, row and column', async () => {
    const { page } = app;
    const bad = writeCsv(join(app.dir, 'bad-predictions.csv'), [['file', 'p'], ['images/face_000.png', 0.3], ['images/face_001.png', 'high']]);
    await page.getByTestId('audit-predictions').fill(bad);
    await page.getByTestId('run-audit').click();
    await expect.poll(() => page.getByTestId('error').isVisible()).toBe(true);
    expect(await page.getByTestId('error-detail').textContent()).toBe("expected a probability, got 'high'");
    expect(await page.getByTestId('error-row').textContent()).toBe('3');
    expect(await page.getByTestId('error-column').textContent()).toBe('p');
    await app.screenshot('audit-error');
  });

  it('offers a TF.js model or a stored run as the source; a missing model file is named', async () => {
    const { page } = app;
    await page.getByTestId('audit-source-run').check();
    expect(await page.getByTestId('audit-run').isVisible()).toBe(true);
    expect(await page.getByTestId('audit-predictions').count()).toBe(0);
    await page.getByTestId('audit-source-model').check();
    const missing = join(app.dir, 'no-model', 'model.json');
    await page.getByTestId('audit-model').fill(missing);
    await page.getByTestId('run-audit').click();
    await expect.poll(() => page.getByTestId('error-file').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await page.getByTestId('error-file').textContent()).toBe(missing);
    await page.getByTestId('audit-source-predictions').check();
    expect(await page.getByTestId('audit-predictions').isVisible()).toBe(true);
  });

  it('audits a TF.js model as a job: progress per batch with Cancel, then the result and its backend; a cancelled audit says so', async () => {
    const { page } = app;
    // 20,000 images: 79 inference batches in the training worker, through a hidden layer wide enough that
    // the inference takes seconds (a plain Dense one runs 200,000 images/s; this one about 9,000 on wasm, one thread), long enough to watch and cancel.
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    insertSyntheticImageDataset(db, { name: 'bands', n: 20_000, size: 16, numClasses: 2, seed: 9 });
    db.close();
    const model = writeDenseModel(join(app.dir, 'bands-model'), [16, 16, 1], 2, { hidden: 4096 });
    const saved = await app.bridge.services.invoke('constraints.save', { name: 'accuracy', source: 'ACC >= 0.6', delta: 0.05, columns: ['A', 'B'] });
    if (!saved.ok) throw new Error(saved.error.message);
    const savedId = (saved.value as { id: number }).id;
    // The page reads the datasets and saved constraints when it is first opened (pages are kept alive).
    await page.reload();
    await expect.poll(() => page.getByTestId('audit-dataset').locator('option').count()).toBe(2);
    await page.getByTestId('audit-dataset').selectOption({ label: 'bands (20000 rows)' });
    await page.getByTestId('audit-source-model').check();
    await page.getByTestId('audit-model').fill(model);
    await page.getByTestId('audit-backend').selectOption('wasm');
    await page.getByTestId('audit-choice-builder').uncheck();
    await page.getByTestId(`audit-choice-saved-${savedId}`).check();

    // Every progress message the page shows while the job runs (polling could miss a short one).
    await page.evaluate(() => {
      // Page-side code, typed structurally: this project's test typings are Node's, not the DOM's.
      interface Node {
        readonly textContent: string | null;
        querySelector(selector: string): Node | null;
      }
      interface Observer {
        observe(target: unknown, options: Record<string, boolean>): void;
      }
      const scope = globalThis as unknown as { document: Node & { body: unknown }; MutationObserver: new (callback: () => void) => Observer; auditProgress: string[] };
      const seen: string[] = [];
      new scope.MutationObserver(() => {
        const progress = scope.document.querySelector('[data-testid="job-progress"]');
        const text = progress?.querySelector('.message')?.textContent ?? null;
        const cancel = progress?.querySelector('[data-testid="job-cancel"]') ? 'with Cancel' : 'no Cancel';
        if (text !== null && `${text} ${cancel}` !== seen.at(-1)) seen.push(`${text} ${cancel}`);
      }).observe(scope.document.body, { subtree: true, childList: true, characterData: true });
      scope.auditProgress = seen;
    });
    await page.getByTestId('run-audit').click();
    const progress = page.getByTestId('job-progress');
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/predicting batch \d+ of 79/);
    // The progress bar is labelled and the button says what it does while it runs.
    expect(await progress.locator('progress').getAttribute('aria-label')).toBe('Auditing');
    expect(await page.getByTestId('run-audit').isDisabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-model-progress.png'), fullPage: true });
    const result = page.getByTestId('audit-result');
    await expect.poll(() => result.isVisible(), { timeout: 60_000 }).toBe(true);
    expect(await progress.count()).toBe(0);
    const shown = await page.evaluate(() => (globalThis as unknown as { auditProgress: string[] }).auditProgress);
    expect(shown.some((m) => /^predicting batch \d+ of 79 \(.+\) with Cancel$/.test(m)), shown.join('\n')).toBe(true);
    expect(await page.getByTestId('audit-backend-used').textContent()).toMatch(/^inference on wasm \(@tensorflow\/tfjs-backend-wasm /);
    expect(await page.getByTestId('verdict-word').count()).toBe(1);
    expect(await page.getByTestId('group-table').locator('tbody th').allTextContents()).toEqual(['all', 'A', 'B']);
    await app.screenshot('audit-model');

    // Again, cancelled by keyboard from the progress's Cancel: the page says so and shows no result.
    await page.getByTestId('run-audit').click();
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/predicting batch \d+ of 79/);
    await page.getByTestId('job-cancel').focus();
    await page.keyboard.press('Enter');
    const cancelled = page.getByTestId('audit-cancelled');
    await expect.poll(() => cancelled.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await cancelled.textContent()).toContain('cancelled by the user');
    expect(await result.count()).toBe(0);
    expect(await progress.count()).toBe(0);
    expect(await page.getByTestId('run-audit').isDisabled()).toBe(false);
    await app.screenshot('audit-model-cancelled');
  }, 120_000);

  it('had no console or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
