// The certificate buttons in Debian's chromium against the real services: a passed run's page offers its
// certificate as a download, and so does each verdict of an audit of a TF.js model; both files are
// accepted by `fairbound verify` against the exported model (the run's: as TF.js files and as ONNX) and
// the model file. Fails on any console or page error.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import type { CliOutput } from '../../src-main/cli/output';
import { openWorkspace } from '../../src-main/store/database';
import { chromiumAvailable } from '../support/chromium';
import { writeDenseModel } from '../support/dense-model';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { BANDS_RATIO, runTinyHeadRun } from '../support/tiny-run';
import { startApp, type AppHarness } from './app-harness';

async function verify(dbPath: string, certificate: string, model: string): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const out: CliOutput = { stdout: (t) => void (stdout += `${t}\n`), stderr: (t) => void (stdout += `${t}\n`) };
  const code = await runCli(['verify', certificate, '--model', model, '--dataset', 'bands', '--db', dbPath], out);
  return { code, stdout };
}

/** Clicks the button `testId` and saves the download it starts under `file`; returns its JSON text. */
async function downloadFrom(page: Page, testId: string, file: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }) as Promise<Download>, page.getByTestId(testId).first().click()]);
  await download.saveAs(file);
  return { name: download.suggestedFilename(), text: readFileSync(file, 'utf8') };
}

describe.skipIf(!chromiumAvailable())('certificate buttons in chromium', () => {
  let app: AppHarness;
  let dbPath: string;
  let runId: number;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-certificate-');
    dbPath = join(app.dir, 'workspace.db');
    const db = openWorkspace(dbPath);
    try {
      insertSyntheticImageDataset(db, { name: 'bands', n: 200, size: 16, numClasses: 2, seed: 3 });
      const tiny = await runTinyHeadRun(db);
      expect(tiny.status).toBe('passed');
      runId = tiny.runId;
    } finally {
      db.close();
    }
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it("downloads a passed run's certificate from its verdict banner; verify accepts it", async () => {
    const { page } = app;
    await page.goto(`${app.bridge.url}#/runs/${runId}`);
    await expect.poll(() => page.getByTestId('run-verdict-word').textContent()).toBe('PASSED');
    const file = join(app.dir, 'run-certificate.json');
    const { name, text } = await downloadFrom(page, 'run-certificate', file);
    expect(name).toBe(`fairbound-run-${runId}-certificate.json`);
    expect(JSON.parse(text)).toMatchObject({ format: 'fairbound-certificate', version: 2, kind: 'run', safetyTest: { runId, passed: true } });
    expect(await page.getByTestId('run-certificate-saved').textContent()).toContain(name);
    await app.screenshot('run-certificate');
    const exported = join(app.dir, 'exported');
    expect(await runCli(['run', 'export-model', String(runId), '--out', exported, '--db', dbPath], { stdout: () => undefined, stderr: () => undefined })).toBe(0);
    const checked = await verify(dbPath, file, join(exported, 'model.json'));
    expect(checked.stdout).toMatch(/^verified/);
    expect(checked.code).toBe(0);
    // The same certificate holds the ONNX export's hash: that form verifies too.
    const onnxFile = join(app.dir, 'exported.onnx');
    expect(await runCli(['run', 'export-model', String(runId), '--format', 'onnx', '--out', onnxFile, '--db', dbPath], { stdout: () => undefined, stderr: () => undefined })).toBe(0);
    const checkedOnnx = await verify(dbPath, file, onnxFile);
    expect(checkedOnnx.stdout).toMatch(/^verified/);
    expect(checkedOnnx.code).toBe(0);
  }, 120_000);

  it('downloads an audit’s certificate from a verdict banner; verify accepts it and names an edited bound', async () => {
    const { page } = app;
    const model = writeDenseModel(join(app.dir, 'dense'), [16, 16, 1], 2);
    const saved = await app.bridge.services.invoke('constraints.save', { name: 'ratio', source: BANDS_RATIO, delta: 0.1, columns: ['A', 'B'] });
    if (!saved.ok) throw new Error(saved.error.message);
    await page.getByTestId('nav-audit').click();
    await expect.poll(() => page.getByTestId('audit-dataset').locator('option').count()).toBeGreaterThan(0);
    await page.getByTestId('audit-dataset').selectOption({ label: 'bands (200 rows)' });
    await page.getByTestId('audit-source-model').check();
    await page.getByTestId('audit-model').fill(model);
    await page.getByTestId('audit-backend').selectOption('wasm');
    await page.getByTestId('audit-choice-builder').uncheck();
    await page.getByTestId(`audit-choice-saved-${(saved.value as { id: number }).id}`).check();
    await page.getByTestId('run-audit').click();
    await expect.poll(() => page.getByTestId('audit-result').isVisible(), { timeout: 30_000 }).toBe(true);
    const file = join(app.dir, 'audit-certificate.json');
    const { text } = await downloadFrom(page, 'audit-certificate', file);
    const certificate = JSON.parse(text) as { kind: string; constraints: { gUpper: number | string }[] };
    await app.screenshot('audit-certificate');
    expect(certificate.kind).toBe('audit');
    expect(certificate.constraints.length).toBe(await page.getByTestId('verdict').count());
    const checked = await verify(dbPath, file, model);
    expect(checked.stdout).toMatch(/^verified/);
    expect(checked.code).toBe(0);
    const gUpper = certificate.constraints[0].gUpper;
    expect(typeof gUpper).toBe('number');
    certificate.constraints[0].gUpper = Number(gUpper) + 0.01;
    writeFileSync(file, JSON.stringify(certificate));
    const edited = await verify(dbPath, file, model);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain('constraint 1: gUpper');
  }, 120_000);

  it('had no console or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
