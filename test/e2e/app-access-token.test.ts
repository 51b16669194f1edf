// Browser mode's access token in Debian's chromium against the real services: the app drops the token
// from the address bar, keeps it in sessionStorage so that a reload still reaches the API and the event
// socket, and a page served from another local port, in the same browser (so with the bridge's cookie),
// can neither delete a dataset with a no-cors request, nor open the event socket, nor frame the app.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium';
import { writePixelCsv } from './app-fixtures';
import { startApp, type AppHarness } from './app-harness';

/** A page from another origin on this machine (another port of 127.0.0.1): the attacker. */
async function serveAttacker(html: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.skipIf(!chromiumAvailable)('browser-mode access token in chromium', () => {
  let app: AppHarness;
  let datasetId: number;

  beforeAll(async () => {
    app = await startApp('fairbound-e2e-token-');
    const csv = writePixelCsv(join(app.dir, 'pixels.csv'), 40);
    datasetId = await app.importDirect({ format: 'pixels', name: 'victim', csv, labelColumn: 'label', derive: [{ column: 'gender', values: [{ value: '0', name: 'M' }, { value: '1', name: 'F' }] }] });
  });
  afterAll(async () => {
    await app?.close();
  });

  const datasetNames = async (): Promise<string[]> => {
    const list = await app.bridge.services.invoke('datasets.list', {});
    return (list as { value: { name: string }[] }).value.map((d) => d.name);
  };

  it('drops the token from the address bar and keeps it in sessionStorage', async () => {
    const { page, bridge } = app;
    const ready = new Promise<void>((resolve) => {
      page.on('websocket', (ws) => ws.on('framereceived', (frame) => (frame.payload === '{"ready":true}' ? resolve() : undefined)));
    });
    await page.goto(`${bridge.url}#/datasets`);
    await expect.poll(async () => (await page.getByTestId('dataset-list').textContent()) ?? '', { timeout: 20_000 }).toContain('victim');
    expect(page.url()).toBe(`${bridge.origin}/#/datasets`);
    expect(await page.evaluate('sessionStorage.getItem("fairbound.token")')).toBe(bridge.token);
    await ready;
  });

  it('still reaches the API and the event socket after a reload', async () => {
    const { page, bridge } = app;
    const ready = new Promise<void>((resolve) => {
      page.on('websocket', (ws) => ws.on('framereceived', (frame) => (frame.payload === '{"ready":true}' ? resolve() : undefined)));
    });
    await page.reload();
    expect(page.url()).toBe(`${bridge.origin}/#/datasets`);
    await expect.poll(async () => (await page.getByTestId('dataset-list').textContent()) ?? '', { timeout: 20_000 }).toContain('victim');
    await ready;
  });

  it('a page on another local port, with the bridge cookie in the browser, cannot delete a dataset, subscribe, or frame the app', async () => {
    const { bridge } = app;
    // A browser profile in which the app has been opened (so it holds the cookie), and another tab.
    const context = await app.browser.newContext();
    const attacker = await serveAttacker(`<!doctype html><title>elsewhere</title><iframe id="app" src="${bridge.url}"></iframe>`);
    try {
      const own = await context.newPage();
      await own.goto(bridge.url);
      expect((await context.cookies(bridge.origin)).map((c) => c.name)).toContain(`fairbound_token_${bridge.port}`);
      const other = await context.newPage();
      await other.goto(attacker.origin);
      const outcome = await other.evaluate(
        async ({ origin, port, datasetId }) => {
          const body = JSON.stringify({ datasetId });
          // The requests a hostile page can make without a CORS preflight, cookies included.
          for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
            await fetch(`${origin}/api/datasets.delete`, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': type }, body }).catch(() => undefined);
          }
          await fetch(`${origin}/api/datasets.delete`, { method: 'POST', mode: 'no-cors', credentials: 'include', body }).catch(() => undefined);
          const socket = await new Promise<string>((resolve) => {
            const ws = new WebSocket(`ws://127.0.0.1:${port}/events`);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
          });
          return { socket };
        },
        { origin: bridge.origin, port: bridge.port, datasetId },
      );
      expect(outcome).toEqual({ socket: 'refused' });
      expect(await datasetNames()).toEqual(['victim']);
      // The framed app never runs: its frame holds no app (the browser shows its own error page).
      const frame = other.frames().find((f) => f !== other.mainFrame());
      expect(frame).toBeDefined();
      expect(await frame!.locator('[data-testid=dataset-list]').count()).toBe(0);
    } finally {
      await context.close();
      await attacker.close();
    }
  });

  it('had no console or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
