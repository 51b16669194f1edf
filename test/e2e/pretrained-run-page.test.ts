// Tutorial J's pretrained-network path from the Audit page, in Debian's chromium against the real
// services: with an .onnx model chosen, "Retrain the head (Tutorial J)" queues a stored pretrained run
// (in the training worker) and opens its run page, which shows the verdict with the sentence that the
// pretrained model's training rows are unknown, and the model's file, SHA-256 and cut instead of body training;
// its certificate, its audit (as its ONNX export) and its re-run (the Audit page's panel, filled) from there.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pretrainedBodySentence } from '../../src-shared/domain/guarantee-wording';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace } from '../../src-main/store/database';
import { chromiumAvailable } from '../support/chromium';
import { hiddenModel } from '../support/onnx-hidden-model';
import { startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())('a pretrained run from the Audit page', () => {
  let app: AppHarness;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-pretrained-');
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    insertSyntheticImageDataset(db, { name: 'bands', n: 240, size: 16, numClasses: 2, seed: 9 });
    db.close();
    await app.page.goto(`${app.bridge.url}#/audit`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("retrains the head of an ONNX model and shows the stored run's verdict", async () => {
    const { page } = app;
    const bytes = hiddenModel(16);
    const model = join(app.dir, 'hidden.onnx');
    writeFileSync(model, bytes);
    const saved = await app.bridge.services.invoke('constraints.save', { name: 'accuracy', source: 'ACC >= 0.7', delta: 0.05, columns: ['A', 'B'] });
    if (!saved.ok) throw new Error(saved.error.message);
    const savedId = (saved.value as { id: number }).id;
    await page.reload();
    await expect.poll(() => page.getByTestId('audit-dataset').locator('option').count()).toBe(1);
    await page.getByTestId('audit-choice-builder').uncheck();
    await page.getByTestId(`audit-choice-saved-${savedId}`).check();
    await page.getByTestId('audit-source-model').check();
    await page.getByTestId('audit-model').fill(model);
    const panel = page.getByTestId('retrain-head');
    expect(await panel.isVisible()).toBe(true);
    await page.getByTestId('retrain-iterations').fill('1200');
    await page.getByTestId('retrain-seed').fill('4');
    await page.getByTestId('retrain-start').click();

    await expect.poll(() => page.url(), { timeout: 20_000 }).toMatch(/#\/runs\/\d+$/);
    const word = page.getByTestId('run-verdict-word');
    await expect.poll(() => word.textContent(), { timeout: 90_000 }).toBe('PASSED');
    expect(await page.getByTestId('run-verdict').textContent()).toContain(pretrainedBodySentence());
    const details = page.getByTestId('run-detail');
    await expect.poll(() => details.getByText(createHash('sha256').update(bytes).digest('hex')).count()).toBe(1);
    expect(await details.getByText(/^'latent': its 6 → 2 head replaced by the QSA's; latent features on onnxruntime/).count()).toBe(1);
    expect(await details.getByText('Body training').count()).toBe(0);
    // The backend card says what computed this run: ONNX Runtime for the body, the engine for the head, nothing on TF.js.
    expect(await page.getByTestId('pretrained-computed-by').textContent()).toMatch(/^The source model's body computed the latent features on onnxruntime.*TF\.js computed nothing in this run/);
    await app.screenshot('pretrained-run');
    await app.screenshot('pretrained-run-dark', { dark: true });
    const runId = Number(/#\/runs\/(\d+)$/.exec(page.url())?.[1]);

    // The certificate (the app's route, the model run in the training worker) hashes the ONNX export.
    const cert = await app.bridge.services.invoke('certificates.run', { runId });
    if (!cert.ok) throw new Error(cert.error.message);
    const certified = JSON.parse((cert.value as { json: string }).json) as { model: { format: string; files: { name: string }[] }; safetyTest: { passed: boolean } };
    expect(certified.model).toMatchObject({ format: 'single-file', files: [{ name: `fairbound-run-${runId}-seldonian.onnx` }] });
    expect(certified.safetyTest.passed).toBe(true);

    // Audited as its export on its own safety rows: a repeat of its safety test.
    await page.getByTestId('run-step-audit').click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/audit');
    await expect.poll(() => page.getByTestId('audit-run').inputValue()).toBe(String(runId));
    await page.getByTestId('run-audit').click();
    await expect.poll(() => page.getByTestId('verdict-guarantee').getAttribute('data-guarantee'), { timeout: 30_000 }).toBe('repeats-safety-test');
    // The whole sentence beside the verdict: the source model's training rows are unknown.
    expect(await page.getByTestId('verdict-pretrained').textContent()).toBe(pretrainedBodySentence());
    expect(await page.getByTestId('audit-result').textContent()).toContain("with the run's head; the source model's training rows are unknown to Fairbound");

    // Re-run: the Audit page's Retrain the head, filled with the run's model and settings.
    await page.goto(`${app.bridge.url}#/runs/${runId}`);
    await page.getByTestId('run-step-rerun').click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/audit');
    await expect.poll(() => page.getByTestId('audit-model').inputValue()).toBe(model);
    expect(await page.getByTestId('retrain-iterations').inputValue()).toBe('1200');
    expect(await page.getByTestId('retrain-seed').inputValue()).toBe('4');
    expect(await page.getByTestId('retrain-repeats').textContent()).toContain(`As run ${runId}: step sizes α_θ`);
    expect(await page.getByTestId(`audit-choice-saved-${savedId}`).isChecked()).toBe(true);
    await page.getByTestId('retrain-start').click();
    await expect.poll(() => page.url(), { timeout: 20_000 }).toMatch(new RegExp(`#/runs/${runId + 1}$`));
    await expect.poll(() => word.textContent(), { timeout: 90_000 }).toBe('PASSED');
    const [first, again] = await Promise.all([runId, runId + 1].map((id) => app.bridge.services.invoke('runs.get', { runId: id })));
    if (!first.ok || !again.ok) throw new Error('runs.get failed');
    const settingsOf = (r: typeof first) => (r as { value: { settings: Record<string, unknown>; run: { seed: number; constraints: unknown } } }).value;
    expect(settingsOf(again).settings).toEqual(settingsOf(first).settings);
    expect(settingsOf(again).run.seed).toBe(4);
    expect(settingsOf(again).run.constraints).toEqual(settingsOf(first).run.constraints);
    expect(app.problems).toEqual([]);
  }, 150_000);
});
