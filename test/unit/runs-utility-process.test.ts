/**
 * The training worker as an Electron utility process (src-main/runs/utility-process.ts and the worker's
 * parent-port side in worker-serve.ts). No Electron binary here: a stand-in `utilityProcess` module
 * forks the real worker entry behind a wrapper that gives it a `process.parentPort` (postMessage / on
 * 'message' with `{ data }`, as Electron's), so the host's utility-process adapter and the worker's
 * parent-port port are both exercised on a real deep experiment trial; Electron's own types must fit the
 * adapter's shapes (a compile-time check).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { utilityProcess } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeepOptions } from '../../src-main/experiments/models/deep-types';
import { parseModelList } from '../../src-main/experiments/models/registry';
import { trialRows } from '../../src-main/experiments/resample';
import { createExperiment } from '../../src-main/experiments/runner';
import { DeepWorkerQueue } from '../../src-main/jobs/worker-queue/deep-worker-queue';
import { defaultWorkerEntry } from '../../src-main/jobs/worker-process';
import { insertSyntheticImageDataset } from '../support/synthetic-image-dataset';
import { utilityProcessSpawner, type UtilityProcessLike, type UtilityProcessModule } from '../../src-main/jobs/utility-process';
import { openWorkspace } from '../../src-main/store/database';
import { getResample } from '../../src-main/store/experiments';
import { useTempDir } from '../support/images';

// Electron's module fits what the adapter uses (tsc checks this line).
const electronFits: UtilityProcessModule = null as unknown as typeof utilityProcess;
void electronFits;

const tempDir = useTempDir('fairbound-utility-');
let hosts: DeepWorkerQueue[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

/** Electron's utilityProcess as far as the adapter uses it, over child_process.fork. */
function standInUtilityModule(wrapperFor: (modulePath: string) => string): { module: UtilityProcessModule; forks: { modulePath: string; options: unknown }[] } {
  const forks: { modulePath: string; options: unknown }[] = [];
  const module: UtilityProcessModule = {
    fork(modulePath, args, options) {
      forks.push({ modulePath, options });
      // The stdio option is honoured as Electron does ('pipe' = stdin ignored, stdout and stderr piped), so
      // a piped stdout nobody reads fills up and blocks the child, as it would the utility process.
      const stdio = options?.stdio === undefined ? 'inherit' : options.stdio;
      type Mode = 'pipe' | 'ignore' | 'inherit';
      const [, out, err]: Mode[] = typeof stdio === 'string' ? ['ignore', stdio, stdio] : stdio;
      const child: ChildProcess = fork(wrapperFor(modulePath), args ?? [], { stdio: ['ignore', out ?? 'inherit', err ?? 'inherit', 'ipc'], serialization: 'advanced', execArgv: [] });
      const like: UtilityProcessLike = {
        get pid() {
          return child.pid;
        },
        stderr: child.stderr,
        postMessage: (message) => void child.send(message as never),
        kill: () => child.kill('SIGKILL'),
        on(event: 'message' | 'exit', listener: (arg: never) => void) {
          if (event === 'message') child.on('message', listener as (m: unknown) => void);
          else child.on('exit', (code) => (listener as (c: number) => void)(code ?? 1));
          return this;
        },
      };
      return like;
    },
  };
  return { module, forks };
}

describe('the training worker as an Electron utility process', () => {
  it('runs a deep experiment trial through the adapter and the worker’s parent port', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'w.db');
    const db = openWorkspace(dbPath);
    const info = insertSyntheticImageDataset(db, { name: 'bands', n: 60, size: 16, numClasses: 2, seed: 3 });
    const models = withDeepOptions(parseModelList('cnn'), { architecture: 'tutorial-g-cnn', backend: 'wasm', batchEpochs: { '1': { batchSize: 30, epochs: 1 } }, initSeed: 1 });
    const experimentId = createExperiment(db, { datasetId: info.id, constraints: [{ source: 'ACC >= 0.4', delta: 0.1 }], fractions: [1], nTrials: 1, models, seed: 5 });
    const rows = trialRows(getResample(db, experimentId, 0)!, 1);
    db.close();

    // The wrapper gives the real worker entry an Electron-like parent port, over the fork's IPC.
    const wrapperFor = (modulePath: string): string => {
      const file = join(dir, 'utility-wrapper.mjs');
      writeFileSync(
        file,
        `process.parentPort = {
           postMessage: (m) => process.send(m),
           on: (event, listener) => { if (event === 'message') process.on('message', (m) => listener({ data: m })); },
         };
         await import(${JSON.stringify(pathToFileURL(modulePath).href)});`,
      );
      return file;
    };
    const { module, forks } = standInUtilityModule(wrapperFor);
    const entry = await defaultWorkerEntry();
    const host = new DeepWorkerQueue({ entry, spawn: utilityProcessSpawner(module, 'Fairbound test') });
    hosts.push(host);
    const slot = host.openTrialSession(dbPath, experimentId);
    const phases = new Set<string>();
    const result = await slot.run({ model: 'cnn', fractionIndex: 0, fraction: 1, trialIndex: 0, rows }, (p) => phases.add(p.phase));
    expect(result.passed).toBe(true);
    expect(result.nRows).toBe(60);
    expect(phases.has('training')).toBe(true);
    expect(forks).toEqual([{ modulePath: entry.modulePath, options: { execArgv: [], stdio: ['ignore', 'ignore', 'pipe'], serviceName: 'Fairbound test' } }]);
    expect(slot.lastRunBy?.pid).toBe(host.workerPid);
    expect(host.workerPid).not.toBe(process.pid);
    await slot.close();
  }, 90_000);

  it('does not block a worker that writes a lot to stdout (nobody reads it) and still reads its stderr', async () => {
    const dir = tempDir();
    const file = join(dir, 'chatty.mjs');
    // 1 MB to stdout: far past a pipe's buffer, so a piped, unread stdout would keep it from ever exiting.
    writeFileSync(file, `process.stdout.write('x'.repeat(1 << 20)); process.stderr.write('done\\n'); process.exitCode = 7;`);
    const { module } = standInUtilityModule((modulePath) => modulePath);
    const child = utilityProcessSpawner(module)({ modulePath: file });
    let stderr = '';
    let code: number | null | undefined;
    child.on('stderr', (text) => (stderr += text));
    child.on('exit', (c) => (code = c));
    await vi.waitFor(() => expect(code).toBe(7), { timeout: 10_000 });
    await vi.waitFor(() => expect(stderr).toBe('done\n'));
  }, 20_000);
});
