// The renderer bundle in a real browser (Debian's chromium), served by the bridge: the constraint
// editor parses as the user types with the engine's own compiler, and shows an error with a caret under
// the right column.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium';
import { startApp, type AppHarness } from './app-harness';

describe.skipIf(!chromiumAvailable())('constraint editor in chromium', () => {
  let app: AppHarness;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-editor-');
    await app.page.goto(`${app.bridge.url}#/constraints`);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('shows the normalised g and the δ shares of the default constraint', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('constraint-parsed').textContent()).toContain('0.8-(min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])))');
    const rows = await page.locator('[data-testid=base-nodes] tbody tr').allTextContents();
    expect(rows).toEqual(['ACC | [M]both0.01250.0125', 'ACC | [F]both0.01250.0125']);
  });

  it('underlines an unknown attribute as the user types', async () => {
    const { page } = app;
    await page.getByTestId('constraint-input').fill('abs((PR | [M]) - (PR | [Z])) <= 0.1');
    const error = page.getByTestId('constraint-error');
    await expect.poll(() => error.textContent()).toContain("unknown attribute 'Z' at column 25 (known: M, F)");
    const caretLine = (await error.locator('pre').textContent())!.split('\n')[1];
    expect(caretLine).toBe(`${' '.repeat(24)}^`);
    await app.screenshot('constraint-editor-error');
  });

  it('accepts the attribute once the column list has it, without page errors', async () => {
    const { page } = app;
    await page.getByTestId('columns-input').fill('M,F,Z');
    await expect.poll(() => page.getByTestId('constraint-parsed').textContent()).toContain('PR | [Z]');
    expect(app.problems).toEqual([]);
  });
});
