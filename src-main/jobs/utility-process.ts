/**
 * The training worker as an Electron utility process: the desktop app's way to run Node
 * work in a process of its own — sandboxed from the window, ended with the app, and without
 * ELECTRON_RUN_AS_NODE. The queue drives it through the same WorkerChild interface as a forked process.
 *
 * Electron is not imported here (only the shell may): the shell passes its `utilityProcess` module, and
 * the shapes below are the part of it that is used (test/unit/runs-utility-process.test.ts checks that
 * Electron's own type fits them). On the worker's side, worker/serve.ts speaks to `process.parentPort`.
 */
import type { FromTrainingWorker } from './worker-protocol';
import type { WorkerChild, WorkerSpawner } from './worker-process';

/** What the queue uses of an Electron UtilityProcess. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
}

/** What the queue uses of Electron's `utilityProcess` module. */
export interface UtilityProcessModule {
  fork(
    modulePath: string,
    args?: string[],
    options?: {
      env?: Record<string, string | undefined>;
      execArgv?: string[];
      stdio?: 'pipe' | 'ignore' | 'inherit' | ('pipe' | 'ignore' | 'inherit')[];
      serviceName?: string;
    },
  ): UtilityProcessLike;
}

/**
 * A spawner for DeepWorkerQueueOptions.spawn: the worker entry (`train-worker.mjs`) runs as a utility
 * process. Messages cross by structured clone (typed arrays, NaN and ±∞ survive), as with `fork`.
 * @example createServices({ …, training: { entry: { modulePath: join(dir, 'train-worker.mjs') }, spawn: utilityProcessSpawner(utilityProcess) } })
 */
export function utilityProcessSpawner(module: UtilityProcessModule, serviceName = 'Fairbound training'): WorkerSpawner {
  return (entry) => {
    const child = module.fork(entry.modulePath, [...(entry.args ?? [])], {
      ...(entry.env ? { env: entry.env } : {}),
      execArgv: [...(entry.execArgv ?? [])],
      // stdout is not read, so it is not piped: a full pipe (~64 KB of tfjs chatter) would block the
      // worker. stderr is piped and read (the reason of a crash); stdin must be 'ignore' for Electron.
      stdio: ['ignore', 'ignore', 'pipe'],
      serviceName,
    });
    let exited = false;
    child.on('exit', () => (exited = true));
    child.stderr?.setEncoding?.('utf8');
    const adapted: WorkerChild = {
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (!exited) child.postMessage(message);
      },
      kill: () => void child.kill(),
      // A utility process never keeps the app alive: nothing to hold.
      hold: () => undefined,
      on: (event: 'message' | 'exit' | 'error' | 'stderr', listener: (...args: never[]) => void) => {
        if (event === 'message') child.on('message', (message) => (listener as (m: FromTrainingWorker) => void)(message as FromTrainingWorker));
        // Electron reports the code only (a kill shows as a non-zero code).
        else if (event === 'exit') child.on('exit', (code) => (listener as (c: number | null, s: NodeJS.Signals | null) => void)(code, null));
        else if (event === 'stderr') child.stderr?.on('data', (data: string | Buffer) => (listener as (t: string) => void)(String(data)));
        // 'error': a utility process that cannot start exits instead (Electron emits 'exit').
      },
    };
    return adapted;
  };
}
