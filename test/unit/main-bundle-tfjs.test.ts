/**
 * Invariant under test: the Electron main process never loads TensorFlow.js — all deep work runs in the
 * training worker (a utility process). Checked on what `npm run build:app` writes:
 * out/main/index.js and every chunk it can load — statically (import / export-from) or on demand
 * (import(), e.g. the report chunks), followed through the chunks — import nothing from @tensorflow/*,
 * neither statically nor dynamically: a dynamic import would still load tfjs here when that path runs
 * (the audit of a TF.js model used to, before it moved to the training worker). Where it fails, the
 * message names the chain of chunks; the source-side cause is usually a module main imports that
 * imports tfjs (e.g. architectures.ts vs architecture-specs.ts, backends.ts vs backend-chain.ts, or an
 * `await import('../deep/…')` in a service).
 * Skipped when out/main has not been built, except under FAIRBOUND_REQUIRE_ALL=1 (CI), where `npm test`
 * builds it first.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { missing } from '../support/prerequisites';

const OUT_MAIN = fileURLToPath(new URL('../../out/main', import.meta.url));
const MAIN_BUNDLE = join(OUT_MAIN, 'index.js');
const notBuilt = missing(`the Electron main bundle ${MAIN_BUNDLE} (npm run build:app)`, existsSync(MAIN_BUNDLE));

/** The import kinds that load a module: ESM statements, import() and require() (esbuild's metafile kinds). */
const LOADING_KINDS = new Set(['import-statement', 'dynamic-import', 'require-call']);

/**
 * Every import of a package under @tensorflow/ (static, import() or require()) reachable from `entry`
 * through chunk imports of those kinds, each as the chain of files that leads to it, a dynamic step marked
 * `(import())`. esbuild parses the built chunks (bundling without writing, packages left external), so
 * the imports are read by a real parser, not a regex.
 */
async function tfjsImports(entry: string): Promise<string[]> {
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
  const dynamicStep = new Set<string>();
  const chain = (file: string): string[] => {
    const files: string[] = [];
    for (let f: string | null | undefined = file; f; f = parent.get(f)) files.unshift(dynamicStep.has(f) ? `${f} (import())` : f);
    return files;
  };
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const imported of inputs[file]?.imports ?? []) {
      if (!LOADING_KINDS.has(imported.kind)) continue;
      const target = imported.kind === 'dynamic-import' ? `${imported.path} (import())` : imported.path;
      if (imported.path.startsWith('@tensorflow/')) found.push([...chain(file), target].join(' → '));
      else if (inputs[imported.path] !== undefined && !parent.has(imported.path)) {
        parent.set(imported.path, file);
        if (imported.kind === 'dynamic-import') dynamicStep.add(imported.path);
        queue.push(imported.path);
      }
    }
  }
  return found;
}

describe.skipIf(notBuilt)('the Electron main bundle (out/main)', () => {
  it('imports nothing of TensorFlow.js, statically or through import(), directly or through its chunks', async () => {
    expect(existsSync(MAIN_BUNDLE), `${MAIN_BUNDLE} is missing: run npm run build:app`).toBe(true);
    expect(await tfjsImports(MAIN_BUNDLE)).toEqual([]);
  }, 30_000);

  it('sees a static tfjs import where there is one: the training worker bundle', async () => {
    // The check above must not pass because it cannot see imports: the worker does load tfjs.
    const worker = join(OUT_MAIN, 'train-worker.mjs');
    expect(existsSync(worker), `${worker} is missing: run npm run build:app`).toBe(true);
    expect((await tfjsImports(worker)).some((chain) => chain.endsWith('@tensorflow/tfjs'))).toBe(true);
  }, 30_000);

  it('sees a dynamic tfjs import behind a dynamically imported chunk', async () => {
    // The check must not pass because it cannot see import(): a bundle shaped like main's, written here.
    const dir = mkdtempSync(join(OUT_MAIN, 'tmp-dynamic-check-'));
    try {
      writeFileSync(join(dir, 'index.js'), "export async function audit() { return (await import('./chunks/audit.js')).run(); }\n");
      mkdirSync(join(dir, 'chunks'));
      writeFileSync(join(dir, 'chunks', 'audit.js'), "export async function run() { const tf = await import('@tensorflow/tfjs'); return tf.version; }\n");
      const found = await tfjsImports(join(dir, 'index.js'));
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/index\.js → .*chunks\/audit\.js \(import\(\)\) → @tensorflow\/tfjs \(import\(\)\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
