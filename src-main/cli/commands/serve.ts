import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBridgeServer } from '../../bridge/server';
import { log, registerSecret } from '../../logging/log';
import { defaultSamplePath, ensureSampleWorkspace } from '../../services/sample';
import { resolveDatabasePath } from '../../store/database';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';

export const serveHelp = `fairbound serve [--port P] [--db <file>] [--sample] [--renderer <dir>]
  Runs the Fairbound UI in your browser ("browser mode"): serves the built renderer and the same API the
  desktop app uses on http://127.0.0.1 only, and prints the URL to open, which carries a random access
  token (requests without it, or from pages of other origins, are refused; README.md, Security). On a
  remote machine, forward the port with ssh -L PORT:127.0.0.1:PORT. Runs until Ctrl-C.
  --port      port to listen on (default: a free one)
  --renderer  the built UI (default: out/renderer of this checkout; npm run build:app builds it)
  --sample    open the sample workspace (fairbound sample --help): --db, else sample.db beside the
              default workspace, created there on first use
  The database is --db, else $FAIRBOUND_DB, else the OS app-data folder.`;

/** out/renderer of the checkout this command runs from (the CLI bundle lives in out/cli, the source in src-main/cli/commands). */
export function defaultRendererDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'out', 'renderer');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (existsSync(join(dir, 'renderer', 'index.html'))) return join(dir, 'renderer');
    dir = dirname(dir);
  }
  return undefined;
}

/** Resolves when the process gets Ctrl-C or SIGTERM. */
function untilInterrupted(): Promise<string> {
  return new Promise((done) => {
    const stop = (signal: string): void => {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
      done(signal);
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

export async function runServeCommand(args: string[], out: CliOutput, waitForStop: () => Promise<string> = untilInterrupted): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string' }, db: { type: 'string' }, renderer: { type: 'string' }, sample: { type: 'boolean', default: false } },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  let port = 0;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0–65535, got '${values.port}'`);
  }
  const rendererDir = values.renderer !== undefined ? resolve(values.renderer) : defaultRendererDir();
  if (rendererDir === undefined || !existsSync(join(rendererDir, 'index.html'))) {
    throw new UsageError(`the UI is not built${rendererDir ? ` (no ${join(rendererDir, 'index.html')})` : ''}: run npm run build:app, or give --renderer <dir>`);
  }
  const dbPath = values.sample ? (await ensureSampleWorkspace(values.db ?? defaultSamplePath())).dbPath : resolveDatabasePath(values.db);
  const bridge = await startBridgeServer({ port, dbPath, rendererDir });
  registerSecret(bridge.token);
  log.info(`browser mode on ${bridge.origin}, workspace ${dbPath}`);
  out.stdout(`Fairbound is running in browser mode on ${bridge.origin} (database ${dbPath}).\nOpen this URL (it carries the access token; keep it private):\n\n  ${bridge.url}\n\nPress Ctrl-C to stop.`);
  let signal = 'error';
  try {
    signal = await waitForStop();
  } finally {
    await bridge.close();
  }
  log.info(`browser mode stopped (${signal})`);
  out.stderr('stopped');
  return 0;
}
