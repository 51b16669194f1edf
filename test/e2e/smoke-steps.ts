/**
 * The smoke test's steps, one function for every way the app runs (README, Install): the window opens with
 * no console error, the sample dataset opens, a tiny head run on the CPU (the wasm backend) reaches its
 * verdict, the backend probe says what it found (the run's backend, the auto chain with its GPU link), and the
 * app quits leaving no process behind. smoke-browser.test.ts runs them in chromium against `fairbound
 * serve --sample`, smoke-electron.test.ts in the Electron app through Playwright's `_electron`.
 */
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { FairboundBridge } from '../../src-shared/contract';
import type { BackendsReport } from '../../src-shared/contract/schemas';

export interface SmokeTarget {
  readonly page: Page;
  /** Console errors and uncaught page errors so far (the target collects them from the first page on). */
  readonly problems: string[];
  /** Which face of the app runs: the Electron shell or `fairbound serve` in chromium. */
  readonly runtime: 'electron' | 'browser';
  /** Quits the app; resolves with the ids of the app's processes still alive afterwards. */
  quit(): Promise<readonly number[]>;
}

export interface SmokeResult {
  readonly verdict: string;
  readonly backends: BackendsReport;
}

export const SAMPLE_DATASET = 'fashion-mnist-sample';

export interface ProcessEntry {
  readonly pid: number;
  /** The executable's name. */
  readonly command: string;
}

/** Every process below `root` with its executable's name (ps on Linux and macOS, CIM on Windows). */
export function descendantProcesses(root: number): ProcessEntry[] {
  const table =
    process.platform === 'win32'
      ? execFileSync('powershell', ['-NoProfile', '-Command', 'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId) $($_.ParentProcessId) $($_.Name)" }'], { encoding: 'utf8' })
      : execFileSync('ps', ['-A', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  const children = new Map<number, ProcessEntry[]>();
  for (const line of table.split('\n')) {
    const [pid, ppid, ...command] = line.trim().split(/\s+/);
    if (!Number.isInteger(Number(pid)) || !Number.isInteger(Number(ppid))) continue;
    children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), { pid: Number(pid), command: command.join(' ') }]);
  }
  const found: ProcessEntry[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** The ids of every process below `root`. */
export function descendantPids(root: number): number[] {
  return descendantProcesses(root).map((p) => p.pid);
}

/** The ids among `pids` that still run (`kill 0` probes without signalling). */
export function stillAlive(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

export async function runSmokeSteps(target: SmokeTarget): Promise<SmokeResult> {
  const { page } = target;

  // 1. The window shows the app, with no console error.
  await expect.poll(() => page.getByTestId('nav-datasets').count(), { timeout: 30_000, message: 'the app did not show' }).toBe(1);
  expect(target.problems).toEqual([]);

  // 2. The sample dataset opens: from the empty state's offer where the workspace is empty (the desktop
  // app then switches workspace and reloads), already there under `serve --sample`.
  await page.getByTestId('nav-datasets').click();
  const list = page.getByTestId('dataset-list');
  await expect.poll(async () => (await list.textContent()) ?? '', { timeout: 30_000 }).toMatch(/fashion-mnist-sample|No datasets yet/);
  if ((await page.getByTestId('open-sample').count()) > 0) await page.getByTestId('open-sample').click();
  await expect.poll(async () => (await list.textContent()) ?? '', { timeout: 60_000 }).toContain(`${SAMPLE_DATASET}2000 rows · dark, light`);
  await list.getByRole('button', { name: new RegExp(SAMPLE_DATASET) }).click();
  await expect.poll(() => page.getByTestId('dataset-summary').textContent(), { timeout: 30_000 }).toContain(SAMPLE_DATASET);

  // 3. A tiny head run of the saved sample constraint on a CPU backend reaches its verdict (images
  // resized to the form's default 48: tutorial-j-cnn needs more than 28×28).
  await page.getByTestId('nav-new-run').click();
  await expect.poll(() => page.getByTestId('run-dataset').locator('option').count(), { timeout: 30_000 }).toBe(1);
  await page.getByTestId('run-choice-builder').uncheck();
  const saved = page.locator('[data-testid^="run-choice-saved-"]');
  await expect.poll(() => saved.count()).toBe(1);
  await saved.check();
  await page.getByTestId('run-backend').selectOption('wasm');
  await page.getByTestId('run-epochs').fill('1');
  await page.getByTestId('run-batch').fill('100');
  await page.getByTestId('run-iterations').fill('30');
  await page.getByTestId('run-start').click();
  // The run's progress section, or the reason it did not start.
  await expect.poll(async () => (await page.getByTestId('run-status').count()) > 0 || (await page.locator('.form-error, [role="alert"]').allTextContents()).join(' '), { timeout: 60_000 }).toBe(true);
  await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 150_000 }).toMatch(/^(passed|nsf)$/);
  const verdict = (await page.getByTestId('run-status').textContent()) ?? '';

  // 4. The backend probe reports what it found: the run's backend, and the auto chain with its GPU link.
  const reply = await page.evaluate(() => (globalThis as unknown as { fairbound: FairboundBridge }).fairbound.invoke('backends.report', {}));
  if (!reply.ok) throw new Error(`backends.report failed: ${reply.error.message}`);
  const backends = reply.value;
  expect(backends.latest?.report.name).toBe('wasm');
  expect(backends.preferences.find((p) => p.preference === 'auto')?.candidates).toContain('webgpu');
  await expect.poll(() => page.getByTestId('backend-report').textContent()).toContain('wasm');
  expect(target.problems).toEqual([]);

  // 5. Quitting leaves no process behind.
  expect(await target.quit()).toEqual([]);
  return { verdict, backends };
}
