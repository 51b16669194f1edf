/**
 * The smoke test (smoke-steps.ts) in Debian's chromium against `fairbound serve --sample` (the command
 * itself, in this process): the sample workspace is created on first use, its dataset opens, a tiny head
 * run reaches its verdict, the backend report says what loaded, and stopping the server (as Ctrl-C does)
 * leaves no worker process behind.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runServeCommand } from '../../src-main/cli/commands/serve';
import { chromiumAvailable, launchChromium } from '../support/chromium';
import { missing } from '../support/prerequisites';
import { RENDERER, startApp } from './app-harness';
import { descendantPids, descendantProcesses, runSmokeSteps, stillAlive } from './smoke-steps';

const rendererBuilt = existsSync(join(RENDERER, 'index.html'));

describe.skipIf(!chromiumAvailable() || missing('the built renderer (npm run build:app)', rendererBuilt))('smoke test in chromium against fairbound serve --sample', () => {
  it('opens the sample, runs a tiny head run to its verdict, reports the backends and quits cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fairbound-smoke-'));
    const before = new Set(descendantPids(process.pid));
    let stop: (signal: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    let url = '';
    const stderr: string[] = [];
    const served = runServeCommand(
      ['--sample', '--db', join(dir, 'sample.db'), '--renderer', RENDERER],
      { stdout: (text) => void (url = /http:\/\/\S+\?token=\S+/.exec(text)?.[0] ?? url), stderr: (text) => void stderr.push(text) },
      () => stopped,
    );
    try {
      await expect.poll(() => url, { timeout: 60_000 }).not.toBe('');
      const browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      await page.goto(url);
      const result = await runSmokeSteps({
        page,
        problems,
        runtime: 'browser',
        async quit() {
          // The app's processes: chromium's and the server's workers — not esbuild's service, which the
          // tests' worker bundling (from TypeScript source) keeps for this test process.
          const started = descendantProcesses(process.pid).filter((p) => !before.has(p.pid) && !p.command.includes('esbuild'));
          await browser.close();
          stop('SIGTERM');
          expect(await served).toBe(0);
          const pids = started.map((p) => p.pid);
          for (let i = 0; i < 75 && stillAlive(pids).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 200));
          const left = stillAlive(pids);
          expect(started.filter((p) => left.includes(p.pid)), 'processes left running').toEqual([]);
          return left;
        },
      });
      expect(result.verdict).toMatch(/^(passed|nsf)$/);
      expect(stderr.join('')).toContain('stopped');
    } finally {
      stop('SIGTERM');
      await served.catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it("an empty workspace's page offers the sample: in browser mode, how to start with it", async () => {
    const app = await startApp('fairbound-smoke-empty-');
    try {
      await app.page.goto(app.bridge.url);
      await expect.poll(() => app.page.getByTestId('sample-hint').textContent(), { timeout: 30_000 }).toContain('fairbound serve --sample');
      expect(await app.page.getByTestId('open-sample').count()).toBe(0); // switching workspaces is the desktop app's
      expect(await app.page.getByTestId('open-import').textContent()).toBe('Import a dataset…');
      const reply = await app.bridge.services.invoke('workspace.openSample', {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'not_available' } });
      await app.screenshot('datasets-empty-sample');
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
