/**
 * The app in Debian's chromium against the real services: `startBridgeServer` on a temporary database,
 * the renderer built by `npx electron-vite build` (npm test builds it first). Every console error and
 * page error is collected so each test can assert there were none.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startBridgeServer, type BridgeServer } from '../../src-main/bridge/server';
import type { EventMessage, ImportRequest } from '../../src-shared/contract';
import { launchChromium } from '../support/chromium';

export const RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots', import.meta.url));

export interface AppHarness {
  readonly dir: string;
  readonly bridge: BridgeServer;
  readonly browser: Browser;
  readonly page: Page;
  /** Console errors and uncaught page errors so far. */
  readonly problems: string[];
  screenshot(name: string, options?: { dark?: boolean }): Promise<void>;
  /** Imports through the services directly (for tests about other pages); resolves with the dataset id. */
  importDirect(request: ImportRequest): Promise<number>;
  close(): Promise<void>;
}

export async function startApp(prefix: string): Promise<AppHarness> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const bridge = await startBridgeServer({ dbPath: join(dir, 'workspace.db'), rendererDir: RENDERER, services: { log: () => undefined } });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    dir,
    bridge,
    browser,
    page,
    problems,
    async screenshot(name, options = {}) {
      if (options.dark) await page.emulateMedia({ colorScheme: 'dark' });
      // Let charts finish their entry animation.
      await page.waitForTimeout(700);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      if (options.dark) await page.emulateMedia({ colorScheme: 'light' });
    },
    async importDirect(request) {
      const events: EventMessage[] = [];
      const off = bridge.services.subscribe((m) => events.push(m));
      try {
        const reply = await bridge.services.invoke('datasets.import', request);
        if (!reply.ok) throw new Error(reply.error.message);
        const { jobId } = reply.value as { jobId: string };
        for (let i = 0; i < 600; i++) {
          const end = events.find((e) => (e.payload as { jobId: string }).jobId === jobId && e.event !== 'job.progress');
          if (end?.event === 'job.done') return (end.payload as { result: { datasetId: number } }).result.datasetId;
          if (end) throw new Error(`import ended ${end.event}: ${JSON.stringify(end.payload)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error('import did not finish');
      } finally {
        off();
      }
    },
    async close() {
      await browser.close();
      await bridge.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
