// The Audit page with an ONNX model in Debian's chromium against the real services: a .onnx path shows
// the ONNX pre-processing options (and no TF.js backend), a bad --normalize list is refused on the page,
// an output the graph does not describe fails naming the option, and with it stated the audit runs in
// the training worker and shows its verdict, its execution provider and the pre-processing it used.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace } from '../../src-main/store/database';
import { chromiumAvailable } from '../support/chromium';
import { bandOnnxModel } from '../support/onnx-band-model';
import { buildOnnxCnn } from '../support/onnx-models';
import { startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())('the Audit page with an ONNX model', () => {
  let app: AppHarness;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-onnx-audit-');
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    insertSyntheticImageDataset(db, { name: 'bands', n: 300, size: 16, numClasses: 2, seed: 2 });
    db.close();
    await app.page.goto(`${app.bridge.url}#/audit`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('offers the pre-processing for a .onnx file, runs it and shows what it used', async () => {
    const { page } = app;
    const relu = join(app.dir, 'relu.onnx');
    writeFileSync(relu, buildOnnxCnn({ image: [1, 16, 16], layers: [{ kind: 'flatten' }, { kind: 'gemm', units: 2 }, { kind: 'relu' }], seed: 1 }).encode());
    const good = join(app.dir, 'bands.onnx');
    writeFileSync(good, bandOnnxModel(16, 2));
    const saved = await app.bridge.services.invoke('constraints.save', { name: 'accuracy', source: 'ACC >= 0.9', delta: 0.05, columns: ['A', 'B'] });
    if (!saved.ok) throw new Error(saved.error.message);
    const savedId = (saved.value as { id: number }).id;
    // The page reads the datasets and saved constraints when it is first opened.
    await page.reload();
    await expect.poll(() => page.getByTestId('audit-dataset').locator('option').count()).toBe(1);
    await page.getByTestId('audit-choice-builder').uncheck();
    await page.getByTestId(`audit-choice-saved-${savedId}`).check();
    await page.getByTestId('audit-dataset').selectOption({ label: 'bands (300 rows)' });
    await page.getByTestId('audit-source-model').check();
    await page.getByTestId('audit-model').fill(relu);
    expect(await page.getByTestId('audit-onnx').isVisible()).toBe(true);
    expect(await page.getByTestId('audit-backend').count()).toBe(0);

    await page.getByTestId('audit-onnx-normalize').fill('0.5');
    await page.getByTestId('run-audit').click();
    await expect.poll(() => page.getByText(/normalize: mean,std pairs/).count()).toBe(1);
    await page.getByTestId('audit-onnx-normalize').fill('');

    await page.getByTestId('run-audit').click();
    await expect.poll(() => page.getByTestId('error-file').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByTestId('error-file').textContent()).toBe(relu);
    // The page's error names the fix (the activity strip shows the failed job's message too).
    await expect.poll(() => page.getByTestId('error').getByText(/give --output logits or --output probabilities/).count()).toBe(1);

    await page.getByTestId('audit-model').fill(good);
    await page.getByTestId('audit-onnx-output').selectOption('logits');
    await page.getByTestId('run-audit').click();
    const result = page.getByTestId('audit-result');
    await expect.poll(() => result.isVisible(), { timeout: 60_000 }).toBe(true);
    expect(await page.getByTestId('verdict-word').textContent()).toMatch(/holds/i);
    expect(await page.getByTestId('audit-backend-used').textContent()).toMatch(/^inference on onnxruntime (cpu|cuda) \(onnxruntime-node /);
    expect(await page.getByTestId('audit-preprocessing-used').textContent()).toBe(
      'Pre-processing: input image [batch, 1, 16, 16], NCHW (from the input shape), 16×16×1, pixels in [0, 1]; output logits (as stated) over 2 outputs.',
    );
    expect(app.problems).toEqual([]);
    await app.screenshot('audit-onnx');
  }, 120_000);
});
