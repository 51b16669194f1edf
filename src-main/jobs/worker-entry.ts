/**
 * Where a worker starts from, for the training worker process and the trial and import worker threads
 * alike. The entry depends on the build:
 * - TypeScript source (vitest, tsx): Node cannot start a `.ts` worker, so its entry module is bundled
 *   once per process with esbuild into node_modules/.cache/fairbound/ (source-bundle.ts);
 * - a bundle with the worker built next to it (the Electron main bundle: `train-worker.mjs`, …);
 * - the CLI bundle (`out/cli/fairbound.mjs`, one file): the bundle itself, started with a hidden argv
 *   (`train __worker`, …) so that the CLI's entry serves the worker instead of parsing the parent's
 *   arguments.
 * Other hosts pass their own entry (the Electron app names its built files).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSourceWorker } from './source-bundle';

export type WorkerName = 'train-worker' | 'trial-worker' | 'import-worker';

interface WorkerBuild {
  /** Its entry module, relative to this folder. */
  readonly source: string;
  /** The names a build gives it next to the bundle, first found wins. */
  readonly siblings: readonly string[];
  /** The CLI's hidden command that serves it (src-main/cli/commands/{train,experiment,import}.ts). */
  readonly cliArgs: readonly string[];
}

const WORKERS: { readonly [N in WorkerName]: WorkerBuild } = {
  'train-worker': { source: 'worker/entry.ts', siblings: ['train-worker.mjs', 'train-worker.js'], cliArgs: ['train', '__worker'] },
  'trial-worker': { source: 'trial-threads/entry.ts', siblings: ['trial-worker.mjs'], cliArgs: ['experiment', '__trial-worker'] },
  'import-worker': { source: 'import-thread/entry.ts', siblings: ['import-worker.mjs'], cliArgs: ['import', '__worker'] },
};

/** The module a worker runs and the argv after it. */
export interface ResolvedWorkerEntry {
  readonly file: string;
  readonly args?: readonly string[];
}

/** The CLI's hidden argv that serves a named worker from the CLI bundle. */
export function cliWorkerArgs(name: WorkerName): readonly string[] {
  return WORKERS[name].cliArgs;
}

const sourceBuilds = new Map<WorkerName, Promise<string>>();

/** The entry of a named worker for this build (see the file comment). */
export async function resolveWorkerEntry(name: WorkerName): Promise<ResolvedWorkerEntry> {
  const worker = WORKERS[name];
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    let build = sourceBuilds.get(name);
    if (build === undefined) {
      build = bundleSourceWorker(join(dirname(here), worker.source), name);
      sourceBuilds.set(name, build);
    }
    return { file: await build };
  }
  for (const sibling of worker.siblings) {
    const file = join(dirname(here), sibling);
    if (existsSync(file)) return { file };
  }
  return { file: here, args: worker.cliArgs };
}
