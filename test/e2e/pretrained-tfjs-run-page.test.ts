// A pretrained run on a TF.js layers model, in Debian's chromium against the real services: its run page
// offers the TF.js export (the source model's body with the run's head), the audit on its safety rows and
// the certificate, each running that export in the training worker.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { openWorkspace } from '../../src-main/store/database';
import { chromiumAvailable } from '../support/chromium';
import { saveUserTfjsModel } from '../support/tfjs-user-model';
import { startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())('the run page of a pretrained run on a TF.js model', () => {
  let app: AppHarness;
  let datasetId: number;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-pretrained-tfjs-');
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    datasetId = insertSyntheticImageDataset(db, { name: 'bands', n: 240, size: 16, numClasses: 2, seed: 9 }).id;
    db.close();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('exports, certifies and audits the run as its TF.js export', async () => {
    const { page } = app;
    const model = await saveUserTfjsModel(join(app.dir, 'net'), 2);
    // Saved, so the Audit page ticks it when it opens on the run (as it ticks a run's saved constraints).
    const saved = await app.bridge.services.invoke('constraints.save', { name: 'accuracy', source: 'ACC >= 0.5', delta: 0.05, columns: ['A', 'B'] });
    if (!saved.ok) throw new Error(saved.error.message);
    const started = await app.bridge.services.invoke('runs.startPretrained', {
      dataset: datasetId,
      constraints: [{ source: 'ACC >= 0.5', delta: 0.05 }],
      model,
      backend: 'wasm',
      iterations: 300,
      alphaTheta: 0.2,
      seed: 4,
    });
    if (!started.ok) throw new Error(started.error.message);
    const runId = (started.value as { runId: number }).runId;
    await page.goto(`${app.bridge.url}#/runs/${runId}`);
    await expect.poll(() => page.getByTestId('run-verdict-word').textContent(), { timeout: 90_000 }).toBe('PASSED');

    const exportButton = page.getByTestId('run-step-tfjs-model');
    expect(await exportButton.isDisabled()).toBe(false);
    const out = join(app.dir, 'exports');
    await page.getByTestId('run-export-folder').fill(out);
    await exportButton.click();
    await expect.poll(() => page.getByTestId('run-step-written').textContent(), { timeout: 30_000 }).toContain(`run-${runId}-tfjs/model.json`);
    const topology = JSON.parse(readFileSync(join(out, `run-${runId}-tfjs`, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { name: string }[] } } };
    expect(topology.modelTopology.config.layers.map((l) => l.name)).toContain('fairbound_head');
    expect(existsSync(join(out, `run-${runId}-tfjs`, 'weights.bin'))).toBe(true);

    const cert = await app.bridge.services.invoke('certificates.run', { runId });
    if (!cert.ok) throw new Error(cert.error.message);
    const certified = JSON.parse((cert.value as { json: string }).json) as { model: { format: string; files: { name: string }[] }; safetyTest: { passed: boolean } };
    expect(certified.model).toMatchObject({ format: 'tfjs-layers', files: [{ name: 'model.json' }, { name: 'weights.bin' }] });
    expect(certified.safetyTest.passed).toBe(true);
    expect(await page.getByTestId('run-certificate').isDisabled()).toBe(false);

    const audit = page.getByTestId('run-step-audit');
    expect(await audit.getAttribute('title')).toContain('TF.js export');
    await audit.click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/audit');
    await expect.poll(() => page.getByTestId('audit-run').inputValue()).toBe(String(runId));
    await page.getByTestId('run-audit').click();
    await expect.poll(() => page.getByTestId('verdict-guarantee').getAttribute('data-guarantee'), { timeout: 30_000 }).toBe('repeats-safety-test');
    expect(await page.getByTestId('audit-result').textContent()).toContain("the TF.js export of");
    expect(app.problems).toEqual([]);
  }, 150_000);
});
