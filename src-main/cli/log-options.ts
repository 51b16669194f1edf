/**
 * The CLI's logging (README, Logs): `--log-level error|warn|info|debug`, anywhere on the command line,
 * echoes log lines at that level to stderr; with $FAIRBOUND_LOG_DIR set, `cli.log` there records them
 * too (info and above unless --log-level says otherwise). The hidden worker commands log as the workers
 * they serve, into the folder the parent passed down.
 */
import { captureConsole, isLogLevel, log, LOG_LEVEL_ENV, LOG_LEVELS, logUncaught, startProcessLog, startWorkerLog, type LogLevel } from '../logging/log';
import { UsageError } from './usage-error';

const FLAG = '--log-level';

/** Takes `--log-level L` / `--log-level=L` out of argv (the commands do not know it). */
export function extractLogLevel(argv: readonly string[]): { readonly level: LogLevel | undefined; readonly rest: string[] } {
  const rest: string[] = [];
  let level: LogLevel | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let value: string | undefined;
    if (arg === FLAG) value = argv[++i] ?? '';
    else if (arg.startsWith(`${FLAG}=`)) value = arg.slice(FLAG.length + 1);
    else {
      rest.push(arg);
      continue;
    }
    if (!isLogLevel(value)) throw new UsageError(`${FLAG} must be one of ${LOG_LEVELS.join(', ')}, got '${value}'`);
    level = value;
  }
  return { level, rest };
}

/** The worker a hidden command serves (src-main/jobs/worker-entry.ts), if argv is one. */
function workerName(argv: readonly string[]): string | undefined {
  if (argv[0] === 'train' && argv[1] === '__worker') return 'train-worker';
  if (argv[0] === 'import' && argv[1] === '__worker') return 'import-worker';
  if (argv[0] === 'experiment' && argv[1] === '__trial-worker') return 'trial-worker';
  return undefined;
}

/** Starts this CLI process's log and returns the arguments left for the command. */
export function startCliLog(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const worker = workerName(argv);
  if (worker !== undefined) {
    startWorkerLog(worker, env);
    return [...argv];
  }
  const { level, rest } = extractLogLevel(argv);
  // Workers this process starts log at the same level.
  if (level !== undefined) env[LOG_LEVEL_ENV] = level;
  const dir = env.FAIRBOUND_LOG_DIR;
  if (level !== undefined || (dir !== undefined && dir !== '')) {
    startProcessLog({ name: 'cli', dir: dir === '' ? undefined : dir, level: level ?? 'info', ...(level !== undefined ? { echo: level } : {}) });
    // The modules' own console errors and warnings into the file too, unless the echo would print them twice.
    if (level === undefined) captureConsole();
    log.info(`fairbound ${rest[0] ?? ''} (node ${process.versions.node}, ${process.platform} ${process.arch})`);
    logUncaught((error) => {
      process.stderr.write(`error: internal failure: ${error.message}\n`);
      process.exit(1);
    });
  }
  return rest;
}
