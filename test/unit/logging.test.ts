/**
 * Invariants under test (src-main/logging/log.ts, src-main/cli/log-options.ts):
 * - a process log rotates at its maximum size: the full file becomes `<name>.old.log` and a new one
 *   starts, without losing the line that crossed the limit;
 * - levels filter: below the file's level nothing is written;
 * - a registered secret (the bridge's token) and `token=…`-shaped values never reach the file, whether
 *   in a string, an error's message and stack, or an object;
 * - an uncaught error in a worker process is written with its stack before the process ends (exit 1);
 * - `--log-level` is taken out of the CLI's arguments anywhere, and a bad level is a usage error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractLogLevel } from '../../src-main/cli/log-options';
import { UsageError } from '../../src-main/cli/usage-error';
import { log, registerSecret, startProcessLog, startWorkerLog } from '../../src-main/logging/log';
import { useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-logging-');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('process logs', () => {
  it('rotate at the maximum size into <name>.old.log, keeping every line of the last two files in order', () => {
    const dir = tempDir();
    const maxBytes = 4096;
    const { file } = startProcessLog({ name: 'main', dir, level: 'debug', maxBytes });
    for (let i = 0; i < 300; i++) log.info(`line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}`);
    const old = join(dir, 'main.old.log');
    expect(file).toBe(join(dir, 'main.log'));
    expect(existsSync(old)).toBe(true);
    expect(statSync(file!).size).toBeLessThanOrEqual(maxBytes + 200);
    expect(statSync(old).size).toBeGreaterThan(maxBytes / 2);
    expect(statSync(old).size).toBeLessThanOrEqual(maxBytes + 200);
    const numbers = (text: string): number[] => [...text.matchAll(/line (\d{4})/g)].map((m) => Number(m[1]));
    const kept = [...numbers(readFileSync(old, 'utf8')), ...numbers(readFileSync(file!, 'utf8'))];
    expect(kept.at(-1)).toBe(299);
    expect(kept).toEqual(kept.map((_, i) => kept[0]! + i)); // consecutive: nothing lost at the rotation
    expect(readFileSync(file!, 'utf8')).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[info\]\s+\[main \d+\] line/m);
  });

  it('write nothing below their level', () => {
    const dir = tempDir();
    const { file } = startProcessLog({ name: 'cli', dir, level: 'warn' });
    log.debug('debug line');
    log.info('info line');
    log.warn('warn line');
    log.error('error line');
    const text = readFileSync(file!, 'utf8');
    expect(text).not.toContain('debug line');
    expect(text).not.toContain('info line');
    expect(text).toContain('[warn]');
    expect(text).toContain('error line');
  });

  it('never contain the access token or a token= value, in strings, errors or objects', () => {
    const dir = tempDir();
    const token = 'Zm9vYmFyYmF6cXV4LXNlY3JldC10b2tlbi0xMjM0NTY';
    registerSecret(token);
    const { file } = startProcessLog({ name: 'main', dir, level: 'debug' });
    log.info(`browser mode on http://127.0.0.1:5000/?token=${token}`);
    log.error('a request failed:', new Error(`cookie fairbound_token_5000=${token} refused`));
    log.warn({ headers: { 'x-fairbound-token': token, host: '127.0.0.1' } });
    log.info('an unregistered one: http://127.0.0.1:1/?token=abcdef0123456789&x=1');
    const text = readFileSync(file!, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain('abcdef0123456789');
    expect(text.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(4);
    expect(text).toContain('at '); // the error's stack is kept
  });

  it('are not started in a worker whose parent passed no folder', () => {
    expect(startWorkerLog('train-worker', {})).toBeUndefined();
  });

  it("record a worker process's uncaught error with its stack, then the worker exits 1", async () => {
    const dir = tempDir();
    const entry = join(dir, 'crash.ts');
    writeFileSync(
      entry,
      `import { startWorkerLog } from ${JSON.stringify(join(ROOT, 'src-main/logging/log.ts'))};\n` +
        `startWorkerLog('train-worker');\nsetTimeout(() => { throw new Error('the kernel exploded'); }, 10);\n`,
    );
    const bundleDir = join(ROOT, 'node_modules', '.cache', 'fairbound', `logging-crash-${process.pid}`);
    mkdirSync(bundleDir, { recursive: true });
    const bundle = join(bundleDir, 'crash.mjs');
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'warning' });
    const logs = join(dir, 'logs');
    const result = spawnSync(process.execPath, [bundle], { env: { ...process.env, FAIRBOUND_LOG_DIR: logs, FAIRBOUND_LOG_LEVEL: 'info' }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^Error: the kernel exploded\n\s+at /); // still the host's reason for the crash
    const text = readFileSync(join(logs, 'train-worker.log'), 'utf8');
    expect(text).toMatch(/\[info\]\s+\[train-worker \d+\] train-worker started/);
    expect(text).toMatch(/\[error\]\s+\[train-worker \d+\] uncaught exception: Error: the kernel exploded\n\s+at /);
  });
});

describe('--log-level', () => {
  it('is taken out of the arguments wherever it stands', () => {
    expect(extractLogLevel(['--log-level', 'debug', 'serve', '--db', 'x.db'])).toEqual({ level: 'debug', rest: ['serve', '--db', 'x.db'] });
    expect(extractLogLevel(['runs', '--log-level=warn'])).toEqual({ level: 'warn', rest: ['runs'] });
    expect(extractLogLevel(['runs'])).toEqual({ level: undefined, rest: ['runs'] });
  });

  it('refuses an unknown level, naming the flag', () => {
    expect(() => extractLogLevel(['--log-level', 'loud', 'runs'])).toThrow(UsageError);
    expect(() => extractLogLevel(['--log-level'])).toThrow(/--log-level must be one of error, warn, info, debug, got ''/);
  });
});
