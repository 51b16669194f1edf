// The forms in Debian's chromium against the real services: the builder's first example is written in
// the workspace's own columns (never M/F where no dataset has them); clicking blocks writes a constraint
// that compiles, a typo gets "did you mean", a bad δ is said at δ with no caret under the constraint;
// New run and Experiments keep their state across a reload, a constraint that does not fit the dataset
// is unticked with the reason; a refused form names each field as the form labels it; names and notes
// are stored with runs and experiments. Fails on any console or page error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '../../src-main/store/database';
import { chromiumAvailable } from '../support/chromium';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { startApp, type AppHarness } from './app-harness';

const CLICKED = 'min((ACC | [dark]) / (ACC | [light]), (ACC | [light]) / (ACC | [dark])) >= 0.8';

describe.skipIf(!chromiumAvailable())('forms in chromium', () => {
  let app: AppHarness;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-forms-');
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    insertSyntheticImageDataset(db, { name: 'bands', n: 160, size: 16, numClasses: 2, seed: 4 });
    db.close();
    // A features dataset whose groups are called dark and light.
    const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 200, seed: 3 }));
    const metadata = JSON.parse(files.metadata) as { all_col_names: string[]; sensitive_col_names: string[] };
    const rename = (c: string): string => ({ M: 'dark', F: 'light' })[c] ?? c;
    metadata.all_col_names = metadata.all_col_names.map(rename);
    metadata.sensitive_col_names = metadata.sensitive_col_names.map(rename);
    writeFileSync(join(app.dir, 'data.csv'), files.csv);
    writeFileSync(join(app.dir, 'meta.json'), JSON.stringify(metadata));
    await app.importDirect({ format: 'seldonian', name: 'skin tone', csv: join(app.dir, 'data.csv'), metadata: join(app.dir, 'meta.json') });
    await app.page.goto(`${app.bridge.url}#/constraints`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("writes the builder's first example in the workspace's columns, not M/F", async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('constraint-input').inputValue()).toBe('min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8');
    expect(await page.getByTestId('columns-input').inputValue()).toBe('A,B');
    await expect.poll(() => page.getByTestId('constraint-parsed').count()).toBe(1);
    expect(app.problems).toEqual([]);
  });

  it('builds a constraint by clicking blocks; a typo gets "did you mean", a bad δ is said at δ without a caret', async () => {
    const { page } = app;
    await page.getByTestId('editor-dataset').selectOption({ label: 'skin tone (dark, light)' });
    await expect.poll(() => page.getByTestId('columns-input').inputValue()).toBe('dark,light');
    await page.getByTestId('constraint-input').fill('');
    const group = async (attribute: 'dark' | 'light'): Promise<void> => {
      await page.getByTestId('conditional-measure').selectOption('ACC');
      await page.getByTestId(`conditional-attr-${attribute}`).check();
      await page.getByTestId(`conditional-attr-${attribute === 'dark' ? 'light' : 'dark'}`).uncheck();
      await page.getByTestId('insert-conditional').click();
    };
    await page.getByTestId('fn-min').click();
    await group('dark');
    await page.getByTestId('op-divided-by').click();
    await group('light');
    await page.getByTestId('op-comma').click();
    await group('light');
    await page.getByTestId('op-divided-by').click();
    await group('dark');
    await page.getByTestId('op-at-least').click();
    await page.getByTestId('constant-value').fill('0.8');
    await page.getByTestId('insert-constant').click();
    expect(await page.getByTestId('constraint-input').inputValue()).toBe(CLICKED);
    await expect.poll(() => page.getByTestId('constraint-parsed').textContent()).toContain('0.8-(min((ACC | [dark]) / (ACC | [light]), (ACC | [light]) / (ACC | [dark])))');
    await app.screenshot('forms-builder-clicked');

    await page.getByTestId('constraint-input').fill('(ACC | [drak]) >= 0.5');
    await expect.poll(() => page.getByTestId('constraint-error').textContent()).toContain("did you mean 'dark'?");
    await app.screenshot('forms-builder-did-you-mean');
    await app.screenshot('forms-builder-did-you-mean-dark', { dark: true });

    await page.getByTestId('constraint-input').fill(CLICKED);
    await page.getByTestId('delta-input').fill('1.5');
    await expect.poll(() => page.getByTestId('delta-error').textContent()).toContain('δ must be a number strictly between 0 and 1');
    expect(await page.getByTestId('constraint-error').count()).toBe(0);
    expect(await page.getByTestId('constraint-parsed').count()).toBe(1);
    await app.screenshot('forms-builder-bad-delta');
    await page.getByTestId('delta-input').fill('0.05');
    await expect.poll(() => page.getByTestId('delta-error').count()).toBe(0);
    expect(app.problems).toEqual([]);
  });

  it('keeps the builder, New run and Experiments forms across a reload; a constraint that does not fit is unticked, with why', async () => {
    const { page } = app;
    await page.reload();
    await expect.poll(() => page.getByTestId('constraint-input').inputValue()).toBe(CLICKED);
    expect(await page.getByTestId('columns-input').inputValue()).toBe('dark,light');

    await page.getByTestId('nav-new-run').click();
    await expect.poll(() => page.getByTestId('run-dataset').locator('option').count()).toBe(1);
    // The builder's dark/light constraint does not fit the image dataset (columns A, B).
    await expect.poll(() => page.getByTestId('run-choice-builder-why').textContent()).toContain("unknown attribute 'dark'");
    expect(await page.getByTestId('run-choice-builder').isChecked()).toBe(false);
    expect(await page.getByTestId('run-choice-builder').isDisabled()).toBe(true);
    await page.getByTestId('run-name').fill('parity, 100 rows');
    await page.getByTestId('run-notes').fill('first try');
    await page.getByTestId('run-epochs').fill('3');
    await page.getByTestId('run-rows').fill('100');
    // Every link a run may name, ONNX Runtime's included.
    expect(await page.getByTestId('run-backend').locator('option').allTextContents()).toEqual(['auto', 'tensorflow', 'webgpu', 'onnxruntime', 'wasm', 'cpu']);
    await page.getByTestId('run-backend').selectOption('wasm');

    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('exp-dataset').selectOption({ label: 'skin tone (200 rows, 3 features)' });
    await page.getByTestId('exp-name').fill('skin tone parity');
    await page.getByTestId('exp-notes').fill('does dark/light parity cost accuracy?');
    await page.getByTestId('exp-constraint-0').fill('abs((PR | [dark]) - (PR | [light])) <= 0.2');
    await page.getByTestId('exp-fractions').fill('0.5, 1');
    await page.getByTestId('exp-trials').fill('2');
    await page.getByTestId('exp-iterations').fill('30');
    await expect.poll(() => page.getByTestId('exp-fraction-rows').textContent()).toBe('100, 200 of 200 rows');
    // The first 150 rows only: the fractions' rows follow.
    expect(await page.getByTestId('exp-rows').getAttribute('max')).toBe('200');
    await page.getByTestId('exp-rows').fill('150');
    await expect.poll(() => page.getByTestId('exp-fraction-rows').textContent()).toBe('75, 150 of 150 rows');
    await page.getByTestId('exp-model-cnn').check();
    await page.getByTestId('deep-architecture').selectOption('tutorial-g-cnn');
    await page.getByTestId('deep-backend').selectOption('wasm');

    await page.reload();
    await expect.poll(() => page.getByTestId('exp-name').inputValue()).toBe('skin tone parity');
    expect(await page.getByTestId('exp-notes').inputValue()).toBe('does dark/light parity cost accuracy?');
    expect(await page.getByTestId('exp-constraint-0').inputValue()).toBe('abs((PR | [dark]) - (PR | [light])) <= 0.2');
    expect(await page.getByTestId('exp-fractions').inputValue()).toBe('0.5, 1');
    expect(await page.getByTestId('exp-trials').inputValue()).toBe('2');
    expect(await page.getByTestId('exp-rows').inputValue()).toBe('150');
    expect(await page.getByTestId('exp-dataset').locator('option:checked').textContent()).toContain('skin tone');
    // The deep models' settings are part of the draft too.
    await expect.poll(() => page.getByTestId('deep-architecture').inputValue()).toBe('tutorial-g-cnn');
    expect(await page.getByTestId('deep-backend').inputValue()).toBe('wasm');
    await app.screenshot('forms-experiments-restored');
    await page.getByTestId('exp-model-cnn').uncheck();

    await page.getByTestId('nav-new-run').click();
    await expect.poll(() => page.getByTestId('run-name').inputValue()).toBe('parity, 100 rows');
    expect(await page.getByTestId('run-notes').inputValue()).toBe('first try');
    expect(await page.getByTestId('run-epochs').inputValue()).toBe('3');
    expect(await page.getByTestId('run-rows').inputValue()).toBe('100');
    expect(await page.getByTestId('run-resize').inputValue()).toBe('48');
    expect(await page.getByTestId('run-backend').inputValue()).toBe('wasm');
    await app.screenshot('forms-new-run-restored');
    await app.screenshot('forms-new-run-restored-dark', { dark: true });
    expect(app.problems).toEqual([]);
  });

  it('names each field at fault as the form labels it', async () => {
    const { page } = app;
    const saved = await app.bridge.services.invoke('constraints.save', { name: 'A/B accuracy', source: 'min((ACC | [A])/(ACC | [B]),(ACC | [B])/(ACC | [A])) >= 0.8', delta: 0.05, columns: ['A', 'B'] });
    if (!saved.ok) throw new Error(saved.error.message);
    const savedId = (saved.value as { id: number }).id;
    await page.reload();
    await page.getByTestId(`run-choice-saved-${savedId}`).check();
    await page.getByTestId('run-resize').fill('2');
    await page.getByTestId('run-batch').fill('');
    await page.getByTestId('run-start').click();
    const fields = page.getByTestId('error-fields');
    await expect.poll(() => fields.textContent()).toContain('Resize to: must be at least 4');
    expect(await fields.textContent()).toContain('Batch size: must be a number');
    expect(await page.getByTestId('error').textContent()).not.toMatch(/runs\.start|Too small|expected number/);
    await app.screenshot('forms-new-run-field-errors');
    // Main names them the same way when a request reaches it unchecked.
    const refused = await app.bridge.services.invoke('runs.start', { dataset: 1, constraints: [{ source: 'ACC >= 0.5', delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-j-cnn', resize: 2 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad_request', issues: [{ field: 'resize', problem: 'must be at least 4' }] } });

    await page.getByTestId('nav-experiments').click();
    // Past what the browser checks itself (min="1"), up to the contract's limit.
    await page.getByTestId('exp-trials').fill('20000');
    await page.getByTestId('exp-start').click();
    await expect.poll(() => page.getByTestId('error-fields').textContent()).toContain('Trials: must be at most 10000');
    await app.screenshot('forms-experiments-field-errors');
    await page.getByTestId('exp-trials').fill('2');
    // More rows than the dataset has: the browser holds the form back at the field (its max), and main
    // names the field if a request gets there.
    await page.getByTestId('exp-rows').fill('201');
    await page.getByTestId('exp-start').click();
    expect(await page.getByTestId('exp-rows').evaluate((el) => (el as unknown as { validity: { rangeOverflow: boolean } }).validity.rangeOverflow)).toBe(true);
    expect(await app.bridge.services.invoke('experiments.list', {})).toEqual({ ok: true, value: [] });
    const tooMany = await app.bridge.services.invoke('experiments.start', { datasetId: 2, rows: 201, constraints: [{ source: 'ACC >= 0.5', delta: 0.05 }], fractions: [1], nTrials: 1, models: ['logistic'] });
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'input', key: 'rows' } });
    await page.getByTestId('exp-rows').fill('150');
    expect(app.problems).toEqual([]);
  });

  it('stores the name and notes with the run and the experiment', async () => {
    const { page } = app;
    await page.getByTestId('exp-start').click();
    await expect.poll(() => page.getByTestId('exp-job-status').textContent(), { timeout: 60_000 }).toContain('done');
    await expect.poll(() => page.getByTestId('exp-detail-notes').textContent()).toBe('does dark/light parity cost accuracy?');
    const experiments = await app.bridge.services.invoke('experiments.list', {});
    expect(experiments.ok && (experiments.value as { name: string; notes: string | null }[])[0]).toMatchObject({ name: 'skin tone parity', notes: 'does dark/light parity cost accuracy?', nRows: 150 });
    expect(await page.getByTestId('exp-detail-rows').textContent()).toBe("150 rows (the first of skin tone's stored order)");
    await app.screenshot('forms-experiments-rows');
    await app.screenshot('forms-experiments-rows-dark', { dark: true });

    // The tick on the saved constraint is part of the draft too.
    await page.reload();
    await page.getByTestId('nav-new-run').click();
    await expect.poll(() => page.getByTestId('run-choice-saved-1').isChecked()).toBe(true);
    await page.getByTestId('run-resize').fill('48');
    await page.getByTestId('run-batch').fill('20');
    await page.getByTestId('run-start').click();
    await expect.poll(() => page.getByTestId('run-status').count()).toBe(1);
    await page.getByTestId('run-cancel').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('cancelled');
    const run = await app.bridge.services.invoke('runs.get', { runId: 1 });
    expect(run.ok && (run.value as { run: { name: string | null; notes: string | null; nRows: number } }).run).toMatchObject({ name: 'parity, 100 rows', notes: 'first try', nRows: 100 });
    expect(app.problems).toEqual([]);
  }, 90_000);
});
