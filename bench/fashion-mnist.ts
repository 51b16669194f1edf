/**
 * What the end-to-end benches on real Fashion-MNIST share (full-qsa.ts, head-pipeline.ts): the Debian
 * package's training files imported through the CLI, and one training run executed with its phases timed
 * in CPU seconds of this process and its progress written to stderr.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../src-main/cli/main';
import { executeRun, type RunOutcome } from '../src-main/runs/pipeline';
import type { RunEvent } from '../src-main/runs/types';
import type { WritableDB } from '../src-main/store/database';

const DIR = '/usr/share/datasets/fashion-mnist';
const IMAGES = join(DIR, 'train-images-idx3-ubyte.gz');
const LABELS = join(DIR, 'train-labels-idx1-ubyte.gz');

/** Throws unless the training split is installed (Debian package dataset-fashion-mnist). */
export function requireFashionMnist(): void {
  if (!existsSync(IMAGES) || !existsSync(LABELS)) throw new Error(`Fashion-MNIST training files not found in ${DIR} (Debian package dataset-fashion-mnist)`);
}

/**
 * `fairbound import idx` of the 60,000 training images with brightness groups into `dbPath` as `name`,
 * plus `extraArgs` (e.g. --binary-classes). Returns the import's wall seconds.
 */
export async function importFashionMnist(dbPath: string, name: string, extraArgs: readonly string[] = []): Promise<number> {
  const t0 = performance.now();
  const errors: string[] = [];
  const code = await runCli(['import', 'idx', '--images', IMAGES, '--labels', LABELS, '--brightness', ...extraArgs, '--name', name, '--quiet', '--db', dbPath], {
    stdout: () => undefined,
    stderr: (t) => void errors.push(t),
  });
  const importSeconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`import failed (${code}): ${errors.join('\n')}`);
  return importSeconds;
}

export interface TimedRun {
  readonly outcome: RunOutcome;
  /**
   * CPU seconds of this process (user + system) when each phase started, and at `finished`: less
   * sensitive than wall time to other processes on the machine.
   */
  readonly cpuAt: Readonly<Record<string, number>>;
}

/**
 * executeRun with every phase change written to stderr and at most one progress line per `logEveryMs`
 * (`progressLine` says what a batch or iteration event prints; undefined prints nothing).
 */
export async function executeTimedRun(db: WritableDB, runId: number, logEveryMs: number, progressLine: (event: RunEvent) => string | undefined): Promise<TimedRun> {
  const cpuAt: Record<string, number> = {};
  const cpuSeconds = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let lastLog = 0;
  const outcome = await executeRun(db, runId, {
    onEvent: (e) => {
      if (e.type === 'phase') {
        cpuAt[e.phase] = cpuSeconds();
        process.stderr.write(`phase ${e.phase}${e.backend ? ` (${e.backend})` : ''}\n`);
      } else if (e.type === 'finished') cpuAt.finished = cpuSeconds();
      else {
        const now = performance.now();
        if (now - lastLog <= logEveryMs) return;
        const line = progressLine(e);
        if (line === undefined) return;
        lastLog = now;
        process.stderr.write(`${line}\n`);
      }
    },
  });
  return { outcome, cpuAt };
}
