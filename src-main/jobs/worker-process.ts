/**
 * The deep-work process (the training worker) as its queue drives it: how it is spawned (a forked Node
 * process, or an Electron utility process: utility-process.ts), and its lifecycle: started on first
 * use, known ready once it says so, its stderr's tail kept for the reason of a crash, started again on
 * the next use after it died, and keeping this process alive only while it has work.
 */
import { fork } from 'node:child_process';
import { resolveWorkerEntry } from './worker-entry';
import type { FromTrainingWorker, ToTrainingWorker } from './worker-protocol';

export interface WorkerEntry {
  /** The module to fork. */
  readonly modulePath: string;
  /** Its argv after the module path. */
  readonly args?: readonly string[];
  /** The runtime to run it with (default: this process's). */
  readonly execPath?: string;
  /** Default: none (not the parent's, which under a test runner may hold loaders). */
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The worker process as the queue drives it: a forked Node process (forkWorker, the default; the CLI,
 * `fairbound serve`, tests), or an Electron utility process (utility-process.ts, for the desktop app).
 */
export interface WorkerChild {
  readonly pid: number | undefined;
  /** Delivers a message; does nothing once the process cannot receive any more. */
  send(message: ToTrainingWorker): void;
  /** Ends it at once (SIGKILL where there are signals). */
  kill(): void;
  /** Whether it keeps this process alive: only while it has work (a no-op where the runtime does not ask). */
  hold(busy: boolean): void;
  on(event: 'message', listener: (message: FromTrainingWorker) => void): void;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  /** Its stderr, as text (for the reason of a crash). */
  on(event: 'stderr', listener: (text: string) => void): void;
}

/** Starts the worker process of an entry. */
export type WorkerSpawner = (entry: WorkerEntry) => WorkerChild;

/** A forked Node child process with an IPC channel (structured clone, so NaN and ±∞ in events survive). */
export const forkWorker: WorkerSpawner = (entry) => {
  const child = fork(entry.modulePath, [...(entry.args ?? [])], {
    execPath: entry.execPath,
    execArgv: [...(entry.execArgv ?? [])],
    env: entry.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  child.stdout?.on('data', () => undefined);
  child.stderr?.setEncoding('utf8');
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (child.connected) child.send(message);
    },
    kill: () => void child.kill('SIGKILL'),
    hold: (busy) => {
      const handles = [child, child.channel, child.stdout, child.stderr] as ({ ref?: () => void; unref?: () => void } | null | undefined)[];
      for (const h of handles) (busy ? h?.ref : h?.unref)?.call(h);
    },
    on: (event: 'message' | 'exit' | 'error' | 'stderr', listener: (...args: never[]) => void) => {
      if (event === 'stderr') child.stderr?.on('data', listener as (text: string) => void);
      else child.on(event, listener as (...args: unknown[]) => void);
    },
  };
};

/** The training worker's entry for this build (see worker-entry.ts). */
export async function defaultWorkerEntry(): Promise<WorkerEntry> {
  const { file, args } = await resolveWorkerEntry('train-worker');
  return { modulePath: file, ...(args ? { args } : {}) };
}

export interface WorkerProcessOptions {
  /** Default: defaultWorkerEntry(). */
  readonly entry?: WorkerEntry | (() => Promise<WorkerEntry>);
  /** How the worker process is started (default: forkWorker; the Electron app: a utility process). */
  readonly spawn?: WorkerSpawner;
}

/** The entry `options` name, resolved. */
export async function workerEntryOf(options: WorkerProcessOptions): Promise<WorkerEntry> {
  const option = options.entry;
  return option === undefined ? defaultWorkerEntry() : typeof option === 'function' ? option() : option;
}

/** What the worker process tells its owner. */
export interface WorkerProcessListener {
  onMessage(worker: WorkerProcess, message: Exclude<FromTrainingWorker, { type: 'ready' }>): void;
  /** It has exited or could not be run; `how` says which ("exited with code 1"). Called once. */
  onExit(worker: WorkerProcess, how: string): void;
}

const STDERR_TAIL = 4000;

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** One started worker process. */
export class WorkerProcess {
  /** Resolves when the process has exited. */
  readonly exit: Promise<void>;
  /** Resolves once it said `ready`; rejects if it exited or failed before. */
  readonly ready: Promise<void>;
  private stderrTail = '';
  private exitedAlready = false;

  constructor(
    private readonly child: WorkerChild,
    listener: WorkerProcessListener,
  ) {
    let readyResolve!: () => void;
    let readyReject!: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    // A rejection nobody awaits yet (the worker died before the first run) must not crash the process.
    this.ready.catch(() => undefined);
    let exitResolve!: () => void;
    this.exit = new Promise<void>((resolve) => (exitResolve = resolve));
    const ended = (how: string): void => {
      if (this.exitedAlready) return;
      this.exitedAlready = true;
      listener.onExit(this, how);
    };
    child.on('stderr', (text) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
    });
    child.on('message', (message: FromTrainingWorker) => {
      if (message.type === 'ready') readyResolve();
      else listener.onMessage(this, message);
    });
    child.on('error', (error) => {
      readyReject(error);
      ended(`could not be run: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      exitResolve();
      readyReject(new Error(`the training worker ${describeExit(code, signal)} before it was ready${this.tail()}`));
      ended(describeExit(code, signal));
    });
  }

  /** Spawns the worker of `options`; not ready yet (await `ready`). */
  static start(options: WorkerProcessOptions, entry: WorkerEntry, listener: WorkerProcessListener): WorkerProcess {
    return new WorkerProcess((options.spawn ?? forkWorker)(entry), listener);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.exitedAlready;
  }

  send(message: ToTrainingWorker): void {
    if (!this.exitedAlready) this.child.send(message);
  }

  kill(): void {
    this.child.kill();
  }

  /** Whether the worker keeps this process alive: only while it has work. */
  hold(busy: boolean): void {
    this.child.hold(busy);
  }

  /** The worker's last stderr lines worth reading (stack frames and Node's version banner dropped). */
  tail(): string {
    const lines = this.stderrTail
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('at ') && !/^Node\.js v\d/.test(line));
    return lines.length === 0 ? '' : `: ${lines.slice(-4).join(' | ')}`;
  }
}
