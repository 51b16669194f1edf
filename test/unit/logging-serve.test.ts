/**
 * Invariant under test: after a browser-mode session — `fairbound serve --log-level debug` as a real
 * process, the page opened with its ?token= URL, API calls with the token header, a refused request
 * carrying a wrong token, then Ctrl-C (SIGTERM) — the log file in $FAIRBOUND_LOG_DIR records the session
 * (start, each API call, the stop) and nowhere contains the access token; neither does stderr.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleCliForTest } from '../support/cli';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-logging-serve-');
let bundle = '';

beforeAll(async () => {
  bundle = await bundleCliForTest('logging-serve');
});

describe('the log of a served session', () => {
  it('records the session and never the access token', async () => {
    const dir = tempDir();
    const renderer = join(dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Fairbound</title>');
    const logs = join(dir, 'logs');
    const child = spawn(process.execPath, [bundle, 'serve', '--log-level', 'debug', '--db', join(dir, 'w.db'), '--renderer', renderer], {
      env: { ...process.env, FAIRBOUND_LOG_DIR: logs },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.test(stdout), { timeout: 30_000 }).toBe(true);
      const url = new URL(/http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(stdout)![0]);
      const token = url.searchParams.get('token')!;
      const api = (route: string, headerToken: string): Promise<Response> =>
        fetch(`${url.origin}/api/${route}`, { method: 'POST', headers: { 'x-fairbound-token': headerToken, 'content-type': 'application/json' }, body: '{}' });
      expect((await fetch(url)).status).toBe(200);
      expect((await api('datasets.list', token)).status).toBe(200);
      expect((await api('app.info', token)).status).toBe(200);
      expect((await fetch(`${url.origin}/?token=${token}x`)).status).toBe(403);
      expect((await api('runs.list', `${token}x`)).status).toBe(403);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);

      const text = readFileSync(join(logs, 'cli.log'), 'utf8');
      expect(text).toContain(`browser mode on ${url.origin}`);
      expect(text).toContain('api datasets.list: ok');
      expect(text).toContain('api app.info: ok');
      expect(text).toContain('browser mode stopped (SIGTERM)');
      expect(text).not.toContain(token);
      expect(stderr).toContain('api datasets.list: ok'); // --log-level debug echoes to stderr
      expect(stderr).not.toContain(token);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
