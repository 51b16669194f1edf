import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * When Fairbound runs from TypeScript source (vitest), a worker's entry has no built file: bundle it with
 * esbuild into node_modules/.cache/fairbound/<name>-<hash>.mjs (inside the checkout, so that the bare
 * imports left external resolve from its node_modules) and return that path. Built apps never call this.
 */
export async function bundleSourceWorker(entryFile: string, name: string): Promise<string> {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  // A variable specifier keeps bundlers from pulling esbuild into the CLI bundle.
  const esbuildModule = 'esbuild';
  const esbuild = (await import(esbuildModule)) as typeof import('esbuild');
  const built = await esbuild.build({
    entryPoints: [entryFile],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = built.outputFiles[0].text;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(repoRoot, 'node_modules', '.cache', 'fairbound');
  const file = join(dir, `${name}-${hash}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    // Written under a temporary name and renamed, so a concurrent reader never sees half a file.
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, file);
  }
  return file;
}
