/**
 * Invariant under test: `fairbound serve` prints a 127.0.0.1 URL carrying the token, serves the UI and
 * the API behind it until stopped, and refuses to start without a built UI.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runServeCommand } from '../../src-main/cli/commands/serve';
import { UsageError } from '../../src-main/cli/usage-error';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-serve-');

describe('fairbound serve', () => {
  it('prints the URL with the token and serves until stopped', async () => {
    const renderer = join(tempDir(), 'renderer');
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Fairbound</title>');
    const stdout: string[] = [];
    const stderr: string[] = [];
    let checked: { page: number; bare: number; info: unknown } | undefined;
    const code = await runServeCommand(['--db', join(tempDir(), 'w.db'), '--renderer', renderer], { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t) }, async () => {
      const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(stdout.join('\n'))![0];
      const origin = new URL(url).origin;
      const token = new URL(url).searchParams.get('token')!;
      const page = (await fetch(url)).status;
      const bare = (await fetch(`${origin}/`)).status;
      const info = await (await fetch(`${origin}/api/app.info`, { method: 'POST', headers: { 'x-fairbound-token': token, 'content-type': 'application/json' }, body: '{}' })).json();
      checked = { page, bare, info };
      return 'test';
    });
    expect(code).toBe(0);
    expect(checked).toMatchObject({ page: 200, bare: 403, info: { ok: true, value: { runtime: 'browser', databasePath: join(tempDir(), 'w.db') } } });
    expect(stderr).toEqual(['stopped']);
  });

  it('refuses a folder without the built UI, and a bad port', async () => {
    const out = { stdout: () => undefined, stderr: () => undefined };
    await expect(runServeCommand(['--renderer', tempDir()], out)).rejects.toThrow(UsageError);
    await expect(runServeCommand(['--port', '70000'], out)).rejects.toThrow('--port must be an integer 0–65535');
  });
});
