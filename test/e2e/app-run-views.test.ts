// A finished run's page in Debian's chromium: the constraint in its own terms (the safety test's bound
// of g as a bound on the accuracy ratio, rounded outward, with the threshold) and each base node's
// interval on its own axis. The run is trained in-process on the synthetic 'bands' dataset (wasm).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src-shared/contract';
import { selectBackend } from '../../src-main/deep/backends';
import { executeRun } from '../../src-main/runs/pipeline';
import { prepareRun } from '../../src-main/runs/prepare';
import { openWorkspace } from '../../src-main/store/database';
import { insertRun } from '../../src-main/store/runs';
import { chromiumAvailable } from '../support/chromium';
import { BANDS_RATIO, runStoredBandsRun } from '../support/tiny-run';
import { startApp, type AppHarness } from './app-harness';
import { cli } from '../support/cli';

describe.skipIf(!chromiumAvailable())("a run's page in chromium", () => {
  let app: AppHarness;
  let runId: number;
  let strictId: number;
  let detail: RunDetail;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-run-views-');
    await selectBackend('wasm');
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    try {
      runId = await runStoredBandsRun(db, BANDS_RATIO, 60);
      // The same data with a threshold its safety rows cannot show: No Solution Found.
      strictId = insertRun(db, prepareRun(db, {
        dataset: 'bands', constraints: [{ source: BANDS_RATIO.replace('>= 0.8', '>= 0.9'), delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-g-cnn',
        epochs: 1, batchSize: 20, learningRate: 0.005, iterations: 60, seed: 7, shuffleSeed: 11, backend: 'wasm',
      }).run);
      await executeRun(db, strictId);
    } finally {
      db.close();
    }
    const got = await app.bridge.services.invoke('runs.get', { runId });
    if (!got.ok) throw new Error(got.error.message);
    detail = got.value as RunDetail;
  }, 90_000);
  afterAll(async () => {
    await app?.close();
  });

  it('states the constraint in its own terms: the accuracy ratio, its bound and the threshold', async () => {
    const { page } = app;
    const upper = detail.constraints[0].upperBound;
    expect(upper).not.toBeNull();
    // g = 0.8 − ratio, so the ratio is ≥ 0.8 − U(g); rounded down to 3 decimals.
    const expected = Math.floor((0.8 - (upper ?? Number.NaN)) * 1000) / 1000;
    await page.goto(`${app.bridge.url}#/runs/${runId}`);
    const sentence = page.getByTestId('constraint-terms-sentence');
    await expect.poll(() => sentence.count()).toBe(1);
    const text = (await sentence.textContent()) ?? '';
    const match = /^The accuracy ratio is ≥ (-?[\d.]+) with confidence 1 − δ = 0\.95 \(threshold 0\.8(: this bound does not reach it)?\) — approximately, under the Student-t/.exec(text);
    expect(match, text).not.toBeNull();
    expect(Number(match?.[1])).toBeCloseTo(expected, 9);
    expect(match?.[2] === undefined).toBe(expected >= 0.8);
    await expect.poll(() => page.getByTestId('constraint-terms').locator('canvas').count()).toBe(1);
    await app.screenshot('run-views-terms');
    await app.screenshot('run-views-terms-dark', { dark: true });
    expect(app.problems).toEqual([]);
  });

  it('next steps: each export writes its files, the audit opens on the run, the re-run starts', async () => {
    const { page } = app;
    await page.goto(`${app.bridge.url}#/runs/${runId}`);
    const out = join(app.dir, 'exports');
    await page.getByTestId('run-export-folder').fill(out);
    const expected: Record<string, string[]> = {
      'tfjs-model': [`run-${runId}-tfjs/model.json`, `run-${runId}-tfjs/weights.bin`],
      'onnx-model': [`run-${runId}-onnx/model.onnx`],
      'latents-case': [`run-${runId}-case/spec.json`, `run-${runId}-case/data.csv.gz`, `run-${runId}-case/metadata.json`, `run-${runId}-case/theta_init.json`],
      report: [`run-${runId}-report.html`],
    };
    for (const [step, files] of Object.entries(expected)) {
      await page.getByTestId(`run-step-${step}`).click();
      await expect.poll(() => page.getByTestId('run-step-written').textContent(), { timeout: 30_000 }).toContain(files[0]);
      for (const f of files) expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(out, `run-${runId}-tfjs/model.json`), 'utf8'))).toHaveProperty('modelTopology');
    // The ONNX file is the one `fairbound run export-model --format onnx` writes, byte for byte.
    const cliOnnx = join(app.dir, 'cli-export.onnx');
    const exported = await cli('run', 'export-model', String(runId), '--format', 'onnx', '--out', cliOnnx, '--db', join(app.dir, 'workspace.db'));
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(join(out, `run-${runId}-onnx/model.onnx`)).equals(readFileSync(cliOnnx))).toBe(true);
    expect(readFileSync(join(out, `run-${runId}-report.html`), 'utf8')).toContain(BANDS_RATIO.replace(/>/g, '&gt;'));
    await app.screenshot('run-views-next-steps');
    await page.getByTestId('open-report-run').click();
    await expect.poll(() => page.frameLocator('[data-testid="report-frame"]').locator('body').textContent()).toContain('min((ACC | [A])/(ACC | [B])');
    await app.screenshot('run-views-report-open');
    await page.getByTestId('report-viewer-close').click();
    expect(await page.getByTestId('report-viewer').count()).toBe(0);

    await page.getByTestId('run-step-audit').click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/audit');
    await expect.poll(() => page.getByTestId('audit-run').inputValue()).toBe(String(runId));
    expect(await page.getByTestId('audit-source-run').isChecked()).toBe(true);
    expect(await page.getByTestId('audit-rows-default').isChecked()).toBe(true);

    await page.goto(`${app.bridge.url}#/runs/${runId}`);
    await page.getByTestId('run-step-rerun').click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/runs/${strictId + 1}`);
    const listed = await app.bridge.services.invoke('runs.get', { runId: strictId + 1 });
    expect(listed.ok).toBe(true);
    const again = (listed as { value: RunDetail }).value;
    expect(again.run.seed).toBe(detail.run.seed);
    expect(again.run.constraints).toEqual(detail.run.constraints);
    expect(again.settings.qsa).toEqual(detail.settings.qsa);
    await app.bridge.services.invoke('runs.cancel', { runId: strictId + 1 });
    expect(app.problems).toEqual([]);
  }, 90_000);

  it('lists runs with their bound in its own terms, accuracy and duration', async () => {
    const { page } = app;
    await page.goto(`${app.bridge.url}#/runs`);
    const upper = detail.constraints[0].upperBound ?? Number.NaN;
    await expect.poll(() => page.getByTestId(`run-bound-${runId}`).textContent()).toBe(`≥ ${Math.floor((0.8 - upper) * 1000) / 1000} (0.8)`);
    const all = detail.groupAccuracy?.groups.find((g) => g.group === 'all');
    expect(await page.getByTestId(`run-accuracy-${runId}`).textContent()).toBe(all?.accuracy.toFixed(3));
    expect(await page.getByTestId(`run-duration-${runId}`).textContent()).toBe(`${(detail.timings.total ?? Number.NaN).toFixed(1)} s`);
    await app.screenshot('run-views-list');
    await app.screenshot('run-views-list-dark', { dark: true });
    expect(app.problems).toEqual([]);
  });

  it('advises after No Solution Found: the smallest group, the rows that would likely suffice, a looser threshold', async () => {
    const { page } = app;
    const got = await app.bridge.services.invoke('runs.get', { runId: strictId });
    const strict = (got as { value: RunDetail }).value;
    expect(strict.run.status).toBe('nsf');
    await page.goto(`${app.bridge.url}#/runs/${strictId}`);
    await expect.poll(() => page.getByTestId('nsf-advice').count()).toBe(1);
    const c = strict.constraints[0];
    if (c.nodes.length > 0) {
      const smallest = Math.min(...c.nodes.map((n) => n.nSamples));
      await expect.poll(() => page.getByTestId('nsf-advice-group').textContent()).toContain(`had ${smallest} safety rows`);
      const bound = Math.floor((0.9 - (c.upperBound ?? Number.NaN)) * 1000) / 1000;
      expect(await page.getByTestId('nsf-advice-threshold').textContent()).toContain(`a threshold of at most ${bound} would have been met`);
      if ((c.pointEstimate ?? 1) < 0) {
        const rows = Number(((await page.getByTestId('nsf-advice-rows').textContent()) ?? '').replace(/,/g, '').match(/About (\d+) rows/)?.[1]);
        expect(rows).toBeGreaterThan(strict.run.nRows);
      } else {
        await expect.poll(() => page.getByTestId('nsf-advice-violates').count()).toBe(1);
      }
    }
    await app.screenshot('run-views-nsf');
    await app.screenshot('run-views-nsf-dark', { dark: true });
    expect(app.problems).toEqual([]);
  });

  it('compares two runs: each ĝ panel shades g > 0 only, from 0 up to the top of its axis', async () => {
    const { page } = app;
    // A looser threshold than the first run's: its ĝ crosses 0 during candidate selection (from about
    // −0.14 to 0.31), so its panel has a feasible part below 0 that must stay unshaded.
    const db = openWorkspace(join(app.dir, 'workspace.db'));
    let looseId: number;
    try {
      looseId = insertRun(db, prepareRun(db, {
        dataset: 'bands', constraints: [{ source: BANDS_RATIO.replace('>= 0.8', '>= 0.6'), delta: 0.05 }], pipeline: 'head', architecture: 'tutorial-g-cnn',
        epochs: 1, batchSize: 20, learningRate: 0.005, iterations: 60, seed: 7, shuffleSeed: 11, backend: 'wasm',
      }).run);
      await executeRun(db, looseId);
    } finally {
      db.close();
    }
    await page.goto(`${app.bridge.url}#/runs`);
    await page.getByLabel(`compare run ${runId}`).check();
    await page.getByLabel(`compare run ${looseId}`).check();
    await page.getByTestId('runs-compare').click();
    await expect.poll(() => page.getByTestId('compare-curves').locator('canvas').count()).toBeGreaterThan(0);
    // The chart as echarts holds it: the compare chart's component (found from the app's root vnode)
    // exposes its instance; each ĝ panel's series data, markArea and the axis extent echarts drew.
    const panels = await page.evaluate(() => {
      // Page-side code, typed structurally: this project's test typings are Node's, not the DOM's.
      interface Dom { closest(selector: string): unknown }
      interface Chart {
        getDom(): Dom;
        getOption(): { yAxis: unknown[]; series: { yAxisIndex: number; data: [number, number | null][]; markArea?: { data: { yAxis: number }[][] } }[] };
        getModel(): { getComponent(type: string, index: number): { axis: { scale: { getExtent(): [number, number] } } } };
      }
      interface VNode { component?: { exposed?: { chart?: Chart } | null; subTree: VNode } | null; children?: unknown }
      const root = (globalThis as unknown as { document: { querySelector(s: string): { _vnode: VNode } } }).document.querySelector('#app')._vnode;
      const charts: Chart[] = [];
      const walk = (v: VNode | null | undefined): void => {
        if (!v || typeof v !== 'object') return;
        const chart = v.component?.exposed?.chart;
        if (chart) charts.push(chart);
        if (v.component) walk(v.component.subTree);
        if (Array.isArray(v.children)) for (const c of v.children) walk(c as VNode);
      };
      walk(root);
      const chart = charts.find((c) => c.getDom().closest('[data-testid="compare-curves"]') !== null);
      if (!chart) throw new Error(`no compare chart among ${charts.length} charts`);
      const option = chart.getOption();
      return option.yAxis.map((_, p) => {
        const series = option.series.filter((s) => s.yAxisIndex === p);
        return {
          values: series.flatMap((s) => s.data.map(([, y]) => y)).filter((y): y is number => y !== null && Number.isFinite(y)),
          areas: series.flatMap((s) => s.markArea?.data ?? []).map((pair) => pair.map((end) => end.yAxis)),
          extent: chart.getModel().getComponent('yAxis', p).axis.scale.getExtent(),
        };
      });
    });
    // Panels: f, one ĝ per constraint (the runs have different thresholds: two), L.
    expect(panels).toHaveLength(4);
    const gPanels = panels.slice(1, 3);
    for (const [i, panel] of [panels[0], panels[3]].entries()) expect(panel.areas, `panel ${i === 0 ? 'f' : 'L'}`).toEqual([]);
    for (const panel of gPanels) {
      expect(panel.values.length).toBeGreaterThan(0);
      if (Math.max(...panel.values) <= 0) {
        expect(panel.areas).toEqual([]);
        continue;
      }
      // One band, from 0 (never below: g < 0 is feasible) to the axis top echarts drew, above every ĝ.
      expect(panel.areas).toEqual([[0, panel.extent[1]]]);
      expect(panel.extent[1]).toBeGreaterThanOrEqual(Math.max(...panel.values));
    }
    // The check above means something: the loose run's panel has ĝ on both sides of 0, its axis reaches
    // below 0, and its band still starts at 0, not at the lowest ĝ.
    const loose = gPanels[1];
    expect(Math.min(...loose.values)).toBeLessThan(0);
    expect(Math.max(...loose.values)).toBeGreaterThan(0);
    expect(loose.extent[0]).toBeLessThan(0);
    expect(loose.areas).toHaveLength(1);
    await app.screenshot('run-views-compare');
    await app.screenshot('run-views-compare-dark', { dark: true });
    expect(app.problems).toEqual([]);
  });
});
