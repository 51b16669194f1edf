import { parseArgs } from 'node:util';
import {
  BACKEND_PREFERENCES,
  BackendSelectionError,
  describeLoaded,
  selectBackend,
  type BackendAttempt,
  type BackendLoaders,
  type BackendPreference,
  type BackendReport,
} from '../../deep/backends';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';

export const backendsHelp = `fairbound backends [--backend auto|tensorflow|wasm|cpu] [--json]
  Loads the TensorFlow.js backend that training would use and shows every candidate tried, with the reason
  each one was or was not usable. The chain (first that loads wins): tensorflow via @tensorflow/tfjs-node-gpu
  (CUDA), tensorflow via @tensorflow/tfjs-node (CPU), wasm (SIMD), cpu (pure JS: inference and tiny runs only).
  webgpu and webgl (a hidden window on a real Apple/AMD/Intel GPU) exist only in the desktop app, whose
  backend report lists them; this command's chain never includes them.
  --backend names one link instead of auto; if it cannot load, the command exits 1 with the reasons.`;

const CANDIDATE_LABELS: Readonly<Record<BackendAttempt['candidate'], string>> = {
  'tensorflow-gpu': 'tensorflow (tfjs-node-gpu, CUDA)',
  'tensorflow-cpu': 'tensorflow (tfjs-node, CPU)',
  // Only in the desktop app's report (the CLI's chain never has them): kept so the labels stay total.
  webgpu: 'webgpu (desktop GPU window)',
  webgl: 'webgl (desktop GPU window)',
  wasm: 'wasm',
  cpu: 'cpu',
};

function formatAttempts(attempts: readonly BackendAttempt[]): string[] {
  const width = Math.max(...attempts.map((a) => CANDIDATE_LABELS[a.candidate].length));
  return attempts.map((a) => `  ${a.ok ? '✓' : '✗'} ${CANDIDATE_LABELS[a.candidate].padEnd(width)}  ${a.reason}`);
}

function formatReport(report: BackendReport): string {
  return [`backend: ${report.name} (${describeLoaded(report)})`, `tried (${report.preference}):`, ...formatAttempts(report.attempts)].join('\n');
}

/** `loaders` is injectable so tests can run the command without touching the real backends. */
export async function runBackendsCommand(args: string[], out: CliOutput, loaders?: BackendLoaders): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`backends takes no arguments (got '${positionals.join(' ')}')`);
  const preference = values.backend as BackendPreference;
  if (!BACKEND_PREFERENCES.includes(preference)) throw new UsageError(`--backend must be one of ${BACKEND_PREFERENCES.join(', ')}, got '${values.backend}'`);
  try {
    const report = await selectBackend(preference, loaders);
    out.stdout(values.json ? stringifyJson(report) : formatReport(report));
    return 0;
  } catch (error) {
    if (!(error instanceof BackendSelectionError)) throw error;
    if (values.json) out.stdout(stringifyJson({ preference, error: error.message, attempts: error.attempts }));
    out.stderr([`error: no usable backend for --backend ${preference}:`, ...formatAttempts(error.attempts)].join('\n'));
    return 1;
  }
}
