import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium: Playwright's own browser download is impossible on these machines. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** CI sets FAIRBOUND_REQUIRE_E2E=1 so a missing browser fails instead of skipping. */
export const chromiumAvailable = existsSync(CHROMIUM_PATH) || process.env.FAIRBOUND_REQUIRE_E2E === '1';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // The closed network refuses Chromium's background connections; these flags keep it quiet.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
