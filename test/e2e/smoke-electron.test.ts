/**
 * The smoke test (smoke-steps.ts) in the real Electron app through Playwright's `_electron`, on a
 * throw-away profile and an empty workspace: the built package (`npm run dist`: $FAIRBOUND_ELECTRON_APP,
 * else the unpacked app under dist/), else `electron .` in development (npm start's better-sqlite3 build).
 * Skipped where no Electron binary exists (this machine and this project's CI cannot download it), with
 * the reason; FAIRBOUND_REQUIRE_ELECTRON=1 (the release workflow) makes that a failure. On Linux the
 * workflow runs it under Xvfb.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { missingUnlessRequired } from '../support/prerequisites';
import { descendantPids, runSmokeSteps, stillAlive } from './smoke-steps';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The unpacked app electron-builder leaves next to the installers (dist/linux-unpacked, dist/mac-arm64, …)
 * for this machine's architecture: a build for the other one (dist/linux-arm64-unpacked) cannot run here.
 */
function builtApp(): string | undefined {
  const fromEnv = process.env.FAIRBOUND_ELECTRON_APP;
  if (fromEnv) return fromEnv;
  const dist = join(ROOT, 'dist');
  if (!existsSync(dist)) return undefined;
  const otherArch = process.arch === 'arm64' ? 'x64' : 'arm64';
  const folders = readdirSync(dist)
    .filter((folder) => (folder.endsWith('unpacked') || folder.startsWith('mac')) && !folder.includes(otherArch))
    .sort((a, b) => Number(b.includes(process.arch)) - Number(a.includes(process.arch)));
  for (const folder of folders) {
    const candidates = [join(dist, folder, 'fairbound'), join(dist, folder, 'Fairbound.exe'), join(dist, folder, 'Fairbound.app', 'Contents', 'MacOS', 'Fairbound')];
    const found = candidates.find((file) => existsSync(file));
    if (found) return found;
  }
  return undefined;
}

/** `electron .` in development: the electron package's binary, when its postinstall could download it. */
function developmentElectron(): string | undefined {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) && existsSync(join(ROOT, 'out/main/index.js')) ? path : undefined;
  } catch {
    return undefined;
  }
}

const packaged = builtApp();
const development = packaged === undefined ? developmentElectron() : undefined;
const reason = 'an Electron binary: the built package (npm run dist) or the electron package\'s download (npm install without ELECTRON_SKIP_BINARY_DOWNLOAD), with out/ built';

describe.skipIf(missingUnlessRequired(reason, packaged !== undefined || development !== undefined, 'FAIRBOUND_REQUIRE_ELECTRON'))('smoke test in the Electron app', () => {
  it('opens the sample workspace, runs a tiny head run to its verdict, reports the GPU probe and quits cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fairbound-electron-smoke-'));
    const env = { ...process.env, FAIRBOUND_DB: join(dir, 'empty.db'), FAIRBOUND_USER_DATA: join(dir, 'user-data') } as Record<string, string>;
    delete env.ELECTRON_RUN_AS_NODE;
    const args = [...(development ? ['.'] : []), ...(process.platform === 'linux' ? ['--no-sandbox'] : [])];
    let app: ElectronApplication | undefined = await _electron.launch({ executablePath: packaged ?? development!, args, cwd: ROOT, env, timeout: 60_000 });
    try {
      const page = await app.firstWindow();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      const result = await runSmokeSteps({
        page,
        problems,
        runtime: 'electron',
        async quit() {
          const main = app!.process().pid!;
          const started = [main, ...descendantPids(main)];
          await app!.close();
          app = undefined;
          await expect.poll(() => stillAlive(started), { timeout: 15_000 }).toEqual([]);
          return stillAlive(started);
        },
      });
      console.info(`Electron smoke: ${result.verdict}; backends: ${JSON.stringify(result.backends)}`);
      expect(existsSync(join(dir, 'user-data', 'logs', 'main.log'))).toBe(true);
    } finally {
      await app?.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
