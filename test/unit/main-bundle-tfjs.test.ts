/**
 * Invariant under test: the Electron main process never loads TensorFlow.js — all deep work runs in the
 * training worker (a utility process) or the GPU window. Checked on what `npm run build:app` writes:
 * out/main/index.js and every chunk it imports statically (import / export-from, followed through the
 * chunks) import nothing from @tensorflow/*. Dynamic imports are not followed: they load on demand (the
 * audit of a TF.js model still does, see src-main/services/audit.ts). Where it fails, the message names
 * the chain of chunks; the source-side cause is usually a module main imports that imports tfjs at top
 * level (e.g. architectures.ts vs architecture-specs.ts, backends.ts vs backend-chain.ts).
 * Skipped when out/main has not been built, except under FAIRBOUND_REQUIRE_E2E=1 (CI), where `npm test`
 * builds it first.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const OUT_MAIN = fileURLToPath(new URL('../../out/main', import.meta.url));
const MAIN_BUNDLE = join(OUT_MAIN, 'index.js');
const built = existsSync(MAIN_BUNDLE) || process.env.FAIRBOUND_REQUIRE_E2E === '1';

/**
 * Every static import of a package under @tensorflow/ reachable from `entry` through relative chunk
 * imports, each as the chain of files that leads to it. esbuild parses the built chunks (bundling without
 * writing, packages left external), so the import statements are read by a real parser, not a regex.
 */
async function staticTfjsImports(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    external: ['electron'],
    metafile: true,
    outdir: join(dirname(entry), 'tmp-graph-check'),
    logLevel: 'silent',
  });
  const inputs = result.metafile.inputs;
  const start = relative(process.cwd(), entry).split('\\').join('/');
  expect(Object.keys(inputs), `esbuild names the entry ${start}`).toContain(start);
  const parent = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  const found: string[] = [];
  const chain = (file: string): string[] => {
    const files: string[] = [];
    for (let f: string | null | undefined = file; f; f = parent.get(f)) files.unshift(f);
    return files;
  };
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const imported of inputs[file]?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue;
      if (imported.path.startsWith('@tensorflow/')) found.push([...chain(file), imported.path].join(' → '));
      else if (inputs[imported.path] !== undefined && !parent.has(imported.path)) {
        parent.set(imported.path, file);
        queue.push(imported.path);
      }
    }
  }
  return found;
}

describe.skipIf(!built)('the Electron main bundle (out/main)', () => {
  it('imports nothing of TensorFlow.js statically, directly or through its chunks', async () => {
    expect(existsSync(MAIN_BUNDLE), `${MAIN_BUNDLE} is missing: run npm run build:app`).toBe(true);
    expect(await staticTfjsImports(MAIN_BUNDLE)).toEqual([]);
  }, 30_000);

  it('sees a static tfjs import where there is one: the training worker bundle', async () => {
    // The check above must not pass because it cannot see imports: the worker does load tfjs.
    const worker = join(OUT_MAIN, 'train-worker.mjs');
    expect(existsSync(worker), `${worker} is missing: run npm run build:app`).toBe(true);
    expect((await staticTfjsImports(worker)).some((chain) => chain.endsWith('@tensorflow/tfjs'))).toBe(true);
  }, 30_000);
});
