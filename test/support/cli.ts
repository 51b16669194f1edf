import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src-main/cli/main';
import type { CliOutput } from '../../src-main/cli/output';

/** Runs the `fairbound` command in this process, each output line captured with its newline. */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const out: CliOutput = { stdout: (t) => void (stdout += `${t}\n`), stderr: (t) => void (stderr += `${t}\n`) };
  const code = await runCli(args, out);
  return { code, stdout, stderr };
}

/**
 * The CLI bundled from source as `npm run build:cli` bundles it, for tests that run it as a child
 * process; written inside the checkout (node_modules/.cache) so that its external packages resolve.
 */
export async function bundleCliForTest(tag: string): Promise<string> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const bundleDir = join(root, 'node_modules', '.cache', 'fairbound', `${tag}-${process.pid}`);
  mkdirSync(bundleDir, { recursive: true });
  const bundle = join(bundleDir, 'fairbound.mjs');
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(root, 'src-main/cli/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    logLevel: 'warning',
    outfile: bundle,
  });
  return bundle;
}
