// Experiments in Debian's chromium against the real services: set up a tiny experiment (qsa-features
// and logistic on a small Seldonian-format dataset, 2 trials × 2 fractions), watch it to the end, see
// the three plots and the per-model table, and export the CSVs; cancel a larger one, Resume it from its
// row (keyboard) and see it complete with every trial. Fails on any console or page error.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoGroupData, twoGroupSeldonianFiles } from '../support/two-group-data';
import { chromiumAvailable } from '../support/chromium';
import { startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())('experiments in chromium', () => {
  let app: AppHarness;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-experiments-');
    const files = twoGroupSeldonianFiles(twoGroupData({ nRows: 400, seed: 3 }));
    writeFileSync(join(app.dir, 'data.csv'), files.csv);
    writeFileSync(join(app.dir, 'meta.json'), files.metadata);
    await app.importDirect({ format: 'seldonian', name: 'two groups', csv: join(app.dir, 'data.csv'), metadata: join(app.dir, 'meta.json') });
    await app.page.goto(`${app.bridge.url}#/experiments`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('runs a tiny experiment and shows its three plots, the table and the export', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('exp-dataset').locator('option').count()).toBe(1);
    // Two constraints, each with its own δ; a typo in the second shows its caret until it is fixed.
    await page.getByTestId('exp-constraint-0').fill('abs((PR | [M]) - (PR | [F])) <= 0.2');
    await page.getByTestId('exp-constraint-delta-0').fill('0.1');
    await page.getByTestId('exp-constraint-add').click();
    await expect.poll(() => page.getByTestId('exp-constraint-1').evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.getByTestId('exp-constraint-1').fill('ACC | [X] >= 0.5');
    await expect.poll(() => page.getByTestId('exp-constraint-error-1').textContent()).toContain('^');
    await app.screenshot('experiments-form-constraint-error');
    await page.getByTestId('exp-constraint-1').fill('(ACC | [F]) >= 0.55');
    await page.getByTestId('exp-constraint-delta-1').fill('0.05');
    await expect.poll(() => page.getByTestId('exp-constraint-parsed-1').textContent()).toContain('0.55-((ACC | [F]))');
    expect(await page.getByTestId('exp-constraint-error-1').count()).toBe(0);
    // A third row added and removed again.
    await page.getByTestId('exp-constraint-add').click();
    await page.getByTestId('exp-constraint-remove-2').click();
    expect(await page.getByTestId('exp-constraint-2').count()).toBe(0);
    await page.getByTestId('exp-fractions').fill('0.3, 1');
    await page.getByTestId('exp-trials').fill('2');
    await page.getByTestId('exp-iterations').fill('50');
    await expect.poll(() => page.getByTestId('exp-model-qsa-features').isChecked()).toBe(true);
    await app.screenshot('experiments-form');
    await page.getByTestId('exp-start').click();
    await expect.poll(() => page.getByTestId('exp-job-status').textContent(), { timeout: 60_000 }).toContain('done');
    await expect.poll(() => page.getByTestId('exp-detail').textContent()).toContain('completed');
    // One row of the three plots per constraint.
    await expect.poll(() => page.getByTestId('experiment-plot-0').locator('canvas').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('experiment-plot-1').locator('canvas').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('experiment-plot-2').count()).toBe(0);
    const stored = await app.bridge.services.invoke('experiments.get', { experimentId: 1 });
    expect(stored.ok && (stored.value as { experiment: { constraints: { source: string; delta: number }[] } }).experiment.constraints.map((c) => [c.source, c.delta])).toEqual([
      ['abs((PR | [M]) - (PR | [F])) <= 0.2', 0.1],
      ['(ACC | [F]) >= 0.55', 0.05],
    ]);
    expect(await page.getByTestId('exp-table').locator('tbody tr').count()).toBe(4);
    const folder = join(app.dir, 'export');
    await page.getByTestId('exp-export-folder').fill(folder);
    await page.getByTestId('exp-export').click();
    await expect.poll(() => page.getByTestId('exp-exported').textContent()).toContain('files written');
    expect(existsSync(folder)).toBe(true);
    await app.screenshot('experiments-result');
    expect(app.problems).toEqual([]);
  }, 80_000);

  it('deletes the experiment after a confirm step', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('exp-list').locator('tbody tr').count()).toBe(1);
    await page.getByTestId('exp-delete-1').click();
    await page.getByTestId('exp-delete-1-confirm').click();
    await expect.poll(() => page.getByTestId('exp-notice').textContent()).toContain('Experiment #1 deleted');
    expect(await page.getByTestId('exp-list').count()).toBe(0);
    expect(await page.getByTestId('exp-detail').count()).toBe(0);
    expect(await app.bridge.services.invoke('experiments.list', {})).toEqual({ ok: true, value: [] });
    expect(app.problems).toEqual([]);
  });

  it('cancels an experiment, resumes it from its row and sees it complete', async () => {
    const { page } = app;
    // Large enough (60 trials × 2 fractions × 2 models) that the cancel lands mid-way.
    await page.getByTestId('exp-trials').fill('60');
    await page.getByTestId('exp-iterations').fill('300');
    await page.getByTestId('exp-start').click();
    await expect.poll(() => page.getByTestId('job-progress').textContent(), { timeout: 30_000 }).toMatch(/trial \d+ of 240/);
    await page.getByTestId('job-cancel').click();
    await expect.poll(() => page.getByTestId('exp-job-status').textContent(), { timeout: 30_000 }).toContain('cancelled');
    await expect.poll(() => page.getByTestId('exp-list').locator('tbody tr').first().textContent()).toContain('cancelled');
    const listed = await app.bridge.services.invoke('experiments.list', {});
    const id = listed.ok ? (listed.value as { id: number; status: string }[])[0].id : 0;
    const why = page.getByTestId(`exp-resume-${id}-why`);
    await expect.poll(() => why.textContent()).toMatch(/^\d+ of 240 trials stored$/);
    const stored = Number(/^(\d+)/.exec((await why.textContent()) ?? '')![1]);
    expect(stored).toBeLessThan(240);
    const resume = page.getByTestId(`exp-resume-${id}`);
    expect(await resume.getAttribute('aria-label')).toBe(`Resume experiment #${id}`);
    expect(await resume.isEnabled()).toBe(true);
    await app.screenshot('experiments-resumable');
    // What the page shows while the resumed job runs is recorded at every DOM change, in the page: a
    // poll from here would look only every so often, and the rest of the trials take a few seconds at
    // most (less on a faster machine), so it could look only after the end. The running state is always
    // rendered on its own, whatever the speed: the resume's reply and the job's end arrive as separate
    // messages, and Vue patches the DOM after each.
    await page.evaluate((resumeId) => {
      // Page-side code, typed structurally: this project's test typings are Node's, not the DOM's.
      interface Node {
        readonly textContent: string | null;
        hasAttribute(name: string): boolean;
      }
      interface Document {
        readonly body: unknown;
        querySelector(selector: string): Node | null;
        querySelectorAll(selector: string): { readonly length: number };
      }
      interface Observer {
        observe(target: unknown, options: Record<string, boolean>): void;
      }
      type ObserverClass = new (callback: () => void) => Observer;
      const scope = globalThis as unknown as { document: Document; MutationObserver: ObserverClass; resumeStates: unknown[] };
      const doc = scope.document;
      const byTestId = (testId: string): Node | null => doc.querySelector(`[data-testid="${testId}"]`);
      const disabled = (testId: string): boolean | null => byTestId(testId)?.hasAttribute('disabled') ?? null;
      const states: { why: string | null; resumeDisabled: boolean | null; startDisabled: boolean | null; progress: number }[] = [];
      new scope.MutationObserver(() => {
        const state = {
          why: byTestId(`exp-resume-${resumeId}-why`)?.textContent ?? null,
          resumeDisabled: disabled(`exp-resume-${resumeId}`),
          startDisabled: disabled('exp-start'),
          progress: doc.querySelectorAll('[data-testid="job-progress"]').length,
        };
        if (JSON.stringify(state) !== JSON.stringify(states.at(-1))) states.push(state);
      }).observe(doc.body, { subtree: true, childList: true, attributes: true, characterData: true });
      scope.resumeStates = states;
    }, id);
    // By keyboard: focus the button and press Enter.
    await resume.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('exp-job-status').textContent(), { timeout: 60_000 }).toContain('done');
    // While it ran: progress with cancel, Start and Resume disabled, the reason beside the button.
    const states = await page.evaluate(() => (globalThis as unknown as { resumeStates: { why: string | null }[] }).resumeStates);
    const running = states.filter((s) => s.why?.includes('running now: Cancel stops it'));
    expect(running.length, JSON.stringify(states)).toBeGreaterThan(0);
    for (const s of running) expect(s).toMatchObject({ resumeDisabled: true, startDisabled: true, progress: 1 });
    await expect.poll(() => page.getByTestId('exp-detail').textContent()).toContain('completed');
    await expect.poll(() => page.getByTestId('exp-list').locator('tbody tr').first().textContent()).toContain('240/240');
    expect(await resume.count()).toBe(0);
    const trials = await app.bridge.services.invoke('experiments.get', { experimentId: id });
    expect(trials.ok && (trials.value as { experiment: { status: string; trialsStored: number } }).experiment).toMatchObject({ status: 'completed', trialsStored: 240 });
    await app.screenshot('experiments-resumed');
    expect(app.problems).toEqual([]);
  }, 120_000);
});
