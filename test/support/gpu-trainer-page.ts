/**
 * The desktop app's GPU trainer page (out/renderer/gpu-trainer.html, from `npm run build:app`) in Debian's
 * chromium with software WebGL (ANGLE on SwiftShader), connected the way the Electron preload connects it
 * (window.postMessage with a MessagePort), behind the client main uses (GpuTrainerClient): for
 * test/e2e/gpu-trainer.test.ts (the page itself) and tests that train runs through the real page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { GpuTrainerClient, type GpuTrainerTransport } from '../../src-main/deep/backend-gpu-window';
import { GPU_TRAINER_CONNECT, type GpuTrainerReply } from '../../src-shared/contract/gpu-trainer';
import { CHROMIUM_PATH } from './chromium';

export const RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));

const TYPES: Readonly<Record<string, string>> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

/** The built renderer folder on 127.0.0.1 (a secure context, as WebGPU requires; file:// pages cannot be served the module scripts). */
function serveRenderer(): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = normalize(join(RENDERER, path));
    if (!file.startsWith(RENDERER + sep) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * A transport into the page: one end of a MessageChannel stays in the page, the other goes to the trainer
 * exactly as the Electron preload hands it over (window.postMessage with the port). Playwright carries
 * typed arrays both ways.
 */
async function connect(page: Page): Promise<GpuTrainerTransport> {
  const listeners = new Set<(message: unknown) => void>();
  await page.exposeFunction('__fromTrainer', (message: unknown) => {
    for (const listener of listeners) listener(message);
  });
  await page.evaluate((connectMessage) => {
    // Page-side code, typed structurally: this project's test typings are Node's, not the DOM's.
    interface Port {
      onmessage: ((event: { data: unknown }) => void) | null;
      postMessage(message: unknown): void;
    }
    const scope = globalThis as unknown as { __toTrainer: Port; __fromTrainer(m: unknown): void; postMessage(m: unknown, origin: string, transfer: Port[]): void };
    const channel = new MessageChannel() as unknown as { port1: Port; port2: Port };
    channel.port1.onmessage = (event) => scope.__fromTrainer(event.data);
    scope.__toTrainer = channel.port1;
    scope.postMessage(connectMessage, '*', [channel.port2]);
  }, GPU_TRAINER_CONNECT);
  return {
    post: (message) => {
      void page.evaluate((m) => (globalThis as unknown as { __toTrainer: { postMessage(m: unknown): void } }).__toTrainer.postMessage(m), message as never);
    },
    onMessage: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => listeners.clear(),
  };
}

export interface TrainerPage {
  readonly client: GpuTrainerClient;
  /** What the client talks through: a test may post raw messages and listen to raw replies. */
  readonly transport: GpuTrainerTransport;
  /** The page's `ready` message. */
  readonly ready: Extract<GpuTrainerReply, { type: 'ready' }>;
  readonly tfjs: string;
  /** Page errors and console errors seen so far (a test expects none). */
  readonly problems: readonly string[];
  close(): Promise<void>;
}

export interface TrainerPageOptions {
  /**
   * Enable WebGPU (--enable-unsafe-webgpu), so the probe sees whatever adapter this chromium offers (none,
   * or SwiftShader's fallback adapter). Off by default: runs through the page train on webgl.
   */
  readonly webgpu?: boolean;
}

/** Opens the page in chromium and waits for its `ready`. */
export async function openTrainerPage(options: TrainerPageOptions = {}): Promise<TrainerPage> {
  if (!existsSync(join(RENDERER, 'gpu-trainer.html'))) throw new Error(`${RENDERER}/gpu-trainer.html is missing: run npm run build:app`);
  const problems: string[] = [];
  const server = await serveRenderer();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      // Software WebGL 2 through ANGLE on SwiftShader (Chromium 139+ wants --enable-unsafe-swiftshader for it).
      args: [
        '--no-sandbox',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
        ...(options.webgpu ? ['--enable-unsafe-webgpu'] : []),
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/gpu-trainer.html`);
    const transport = await connect(page);
    const client = new GpuTrainerClient(transport);
    const ready = await client.ready;
    const opened = browser;
    return {
      client,
      transport,
      ready,
      tfjs: ready.tfjs,
      problems,
      close: async () => {
        client.close();
        await opened.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } catch (error) {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
    throw error;
  }
}
