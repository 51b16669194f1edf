// The renderer bundle in a real browser (Debian's chromium): the constraint editor parses as the user
// types with the engine's own compiler, and shows an error with a caret under the right column.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium';
import { serveFolder } from '../support/static-server';

const RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots', import.meta.url));

describe.skipIf(!chromiumAvailable)('constraint editor in chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: Awaited<ReturnType<typeof serveFolder>>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await serveFolder(RENDERER);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the normalised g and the δ shares of the default constraint', async () => {
    await expect.poll(() => page.getByTestId('constraint-parsed').textContent()).toContain('0.8-(min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])))');
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows).toEqual(['ACC | [M]0.01250.0125', 'ACC | [F]0.01250.0125']);
  });

  it('underlines an unknown attribute as the user types', async () => {
    await page.getByTestId('constraint-input').fill('abs((PR | [M]) - (PR | [Z])) <= 0.1');
    const error = page.getByTestId('constraint-error');
    await expect.poll(() => error.textContent()).toContain("unknown attribute 'Z' at column 25 (known: M, F)");
    const caretLine = (await error.locator('pre').textContent())!.split('\n')[1];
    expect(caretLine).toBe(`${' '.repeat(24)}^`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/constraint-editor-error.png`, fullPage: true });
  });

  it('accepts the attribute once the column list has it, without page errors', async () => {
    await page.getByTestId('columns-input').fill('M,F,Z');
    await expect.poll(() => page.getByTestId('constraint-parsed').textContent()).toContain('PR | [Z]');
    expect(pageErrors).toEqual([]);
  });
});
