/**
 * The process log (ARCHITECTURE.md, Logs): one rotating file per process in the log folder — `main.log`
 * (the Electron main process, with its import threads' lines), `train-worker.log`, `cli.log` — written
 * through electron-log's Node logger. Every line passes `redactSecrets` first: the bridge's access token
 * and anything shaped like one never reaches a file. Callers log what happened (routes, job ids, paths,
 * errors with their stack), never a file's contents.
 *
 * Until `startProcessLog` runs, `log.*` writes nowhere, so modules may log unconditionally (tests and the
 * CLI in-process keep their output as before).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import electronLog from 'electron-log/node';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Read by each worker at start, so a child process logs into the folder its parent chose. */
export const LOG_DIR_ENV = 'FAIRBOUND_LOG_DIR';
export const LOG_LEVEL_ENV = 'FAIRBOUND_LOG_LEVEL';

/** A file grows to this size, is renamed `<name>.old.log` (replacing the previous one) and starts again. */
export const DEFAULT_MAX_LOG_BYTES = 2 * 1024 * 1024;

export interface ProcessLogOptions {
  /** The file's name without `.log`: main, train-worker, cli. */
  readonly name: string;
  /** The log folder; undefined writes no file (the CLI without FAIRBOUND_LOG_DIR: only `echo`). */
  readonly dir: string | undefined;
  readonly level: LogLevel;
  readonly maxBytes?: number;
  /** Also write lines at this level or above to stderr (the CLI's --log-level); default none. */
  readonly echo?: LogLevel;
}

export interface ProcessLog {
  readonly file: string | undefined;
}

type Sink = Pick<typeof electronLog, 'error' | 'warn' | 'info' | 'debug'>;
let sink: Sink | undefined;
const secrets = new Set<string>();

/** What a URL query, a header or an assignment can carry a token in. */
const TOKEN_SHAPES = /((?:token|secret|password|authorization)[\w-]*["']?\s*[=:]\s*["']?)([^\s&"';,]+)/gi;

/** A secret (the bridge's access token) that every later line has replaced by `[redacted]`. */
export function registerSecret(secret: string): void {
  secrets.add(secret);
}

/** Replaces each registered secret and every `token=…`-shaped value by `[redacted]`. */
export function redactSecrets(text: string): string {
  let out = text.replace(TOKEN_SHAPES, '$1[redacted]');
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  return out;
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value instanceof Error) return redactSecrets(value.stack ?? `${value.name}: ${value.message}`);
  if (value === null || typeof value !== 'object') return value;
  return redactSecrets(inspect(value, { depth: 4, breakLength: Infinity }));
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Starts this process's log file; later `log.*` calls (and each process's uncaught errors) land in it. */
export function startProcessLog(options: ProcessLogOptions): ProcessLog {
  const file = options.dir === undefined ? undefined : join(options.dir, `${options.name}.log`);
  if (options.dir !== undefined) mkdirSync(options.dir, { recursive: true });
  const logger = electronLog.create({ logId: `fairbound-${options.name}` });
  logger.transports.file.resolvePathFn = () => file ?? '';
  logger.transports.file.level = file === undefined ? false : options.level;
  logger.transports.file.maxSize = options.maxBytes ?? DEFAULT_MAX_LOG_BYTES;
  logger.transports.file.format = `[{y}-{m}-{d} {h}:{i}:{s}.{ms}] [{level}] [${options.name} ${process.pid}] {text}`;
  logger.transports.console.level = options.echo ?? false;
  // The console transport writes to the console, which captureConsole below may route back here.
  logger.transports.console.writeFn = ({ message }) => {
    process.stderr.write(`[${message.level}] ${message.data.map((d: unknown) => (typeof d === 'string' ? d : inspect(d))).join(' ')}\n`);
  };
  logger.hooks.push((message) => ({ ...message, data: message.data.map(redactValue) }));
  sink = logger;
  return { file };
}

/** The level a child process should log at: the parent's FAIRBOUND_LOG_LEVEL, else info. */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const level = env[LOG_LEVEL_ENV];
  return level !== undefined && isLogLevel(level) ? level : 'info';
}

/**
 * For a worker: starts its log in the folder its parent passed through FAIRBOUND_LOG_DIR (nothing when
 * unset, e.g. under tests), and logs its uncaught errors there with their stack before the process ends.
 */
export function startWorkerLog(name: string, env: NodeJS.ProcessEnv = process.env): ProcessLog | undefined {
  const dir = env[LOG_DIR_ENV];
  if (dir === undefined || dir === '') return undefined;
  const started = startProcessLog({ name, dir, level: levelFromEnv(env) });
  // As Node would without a handler: the stack on stderr (the host keeps its tail as the crash's reason), exit 1.
  logUncaught((error) => {
    process.stderr.write(`${error.stack ?? `${error.name}: ${error.message}`}\n`);
    process.exit(1);
  });
  log.info(`${name} started (node ${process.versions.node})`);
  return started;
}

/** The log, for any module: a no-op until this process has started its log. */
export const log: Sink = {
  error: (...args: unknown[]) => sink?.error(...args),
  warn: (...args: unknown[]) => sink?.warn(...args),
  info: (...args: unknown[]) => sink?.info(...args),
  debug: (...args: unknown[]) => sink?.debug(...args),
};

/**
 * Copies console.error/warn/info into the log too (the existing diagnostics of every module), leaving
 * what they print unchanged.
 */
export function captureConsole(): void {
  for (const level of ['error', 'warn', 'info'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      original(...args);
      log[level](...args);
    };
  }
}

/**
 * Logs an uncaught exception or unhandled rejection with its stack, then hands it to `show` (a dialog in
 * the app, a line on stderr in the CLI, the end of a worker: its host fails the job with the reason).
 */
export function logUncaught(show: (error: Error) => void): void {
  const handle = (kind: string) => (reason: unknown) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    log.error(`${kind}:`, error);
    show(error);
  };
  process.on('uncaughtException', handle('uncaught exception'));
  process.on('unhandledRejection', handle('unhandled rejection'));
}
