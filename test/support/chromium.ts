import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { missing } from './prerequisites';

/** Debian's chromium: Playwright's own browser download is impossible on these machines. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Present, or missing (skipped locally, failed under FAIRBOUND_REQUIRE_ALL=1: see prerequisites.ts). */
export const chromiumInstalled = existsSync(CHROMIUM_PATH);

/** For `describe.skipIf(!chromiumAvailable)` in a test file: call once per file (it may register the failing test). */
export function chromiumAvailable(): boolean {
  return !missing(`Debian's chromium at ${CHROMIUM_PATH} (apt-get install chromium)`, chromiumInstalled);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // The closed network refuses Chromium's background connections; these flags keep it quiet.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
