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
  type GpuAdapterReport,
} from '../../deep/backends';
import { withOnnxRuntimeLink } from '../../deep/onnx/link';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';

export const backendsHelp = `fairbound backends [--backend auto|tensorflow|webgpu|onnxruntime|wasm|cpu] [--json]
  Loads the TensorFlow.js backend that a head run's training would use and shows every link tried,
  with the reason each one was or was not usable. The chain (first that loads wins): tensorflow via
  @tensorflow/tfjs-node-gpu (CUDA 11.2), webgpu (any GPU through Dawn: Vulkan, Metal or D3D12; software
  adapters such as SwiftShader or llvmpipe are skipped), tensorflow via @tensorflow/tfjs-node (CPU),
  onnxruntime (ONNX Runtime's CPU kernels on every core: they train Fairbound's own CNNs and compute
  their latents, probabilities and the full-model QSA's gradients, while TF.js wasm or cpu holds the
  weights and computes the rest),
  wasm (SIMD), cpu (pure JS). With webgpu it shows the GPU adapter: its name, vendor, architecture and
  limits. Head and full-model runs and the qsa-head, cnn and qsa-full experiment models read tensors
  asynchronously and may use webgpu; audits of TF.js models read synchronously and skip it.
  --backend names one link instead of auto (webgpu then takes a software adapter too; onnxruntime
  takes the chain from ONNX Runtime on); if it cannot load, the command exits 1 with the reasons.`;

const CANDIDATE_LABELS: Readonly<Record<BackendAttempt['candidate'], string>> = {
  'tensorflow-gpu': 'tensorflow (tfjs-node-gpu, CUDA)',
  webgpu: 'webgpu (Dawn)',
  'tensorflow-cpu': 'tensorflow (tfjs-node, CPU)',
  onnxruntime: 'onnxruntime (CPU)',
  wasm: 'wasm',
  cpu: 'cpu',
};

function formatAttempts(attempts: readonly BackendAttempt[]): string[] {
  const width = Math.max(...attempts.map((a) => CANDIDATE_LABELS[a.candidate].length));
  return attempts.map((a) => `  ${a.ok ? '✓' : '✗'} ${CANDIDATE_LABELS[a.candidate].padEnd(width)}  ${a.reason}`);
}

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** The adapter's lines: what `fairbound backends` shows so a user can see which GPU trains. */
function formatAdapter(a: GpuAdapterReport): string[] {
  const l = a.limits;
  return [
    `adapter: ${a.description || a.device}`,
    `  vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, device ${a.device || '?'}, ${a.software ? 'software (runs on the CPU)' : 'hardware'}`,
    `  limits: largest buffer ${mebibytes(l.maxBufferSize)}, storage binding ${mebibytes(l.maxStorageBufferBindingSize)}, ` +
      `workgroup storage ${Math.round(l.maxComputeWorkgroupStorageSize / 1024)} KiB, ${l.maxComputeInvocationsPerWorkgroup} invocations per workgroup`,
  ];
}

function formatReport(report: BackendReport): string {
  return [
    `backend: ${report.name} (${describeLoaded(report)})`,
    ...(report.cpuEngine !== undefined ? [`Fairbound's own CNNs: ${report.cpuEngine}`] : []),
    ...(report.adapter !== undefined ? formatAdapter(report.adapter) : []),
    `tried (${report.preference}):`,
    ...formatAttempts(report.attempts),
  ].join('\n');
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
    // A run's chain: a run reads tensors asynchronously, so webgpu is a candidate.
    const report = await withOnnxRuntimeLink(await selectBackend(preference, loaders, { syncReads: false }));
    out.stdout(values.json ? stringifyJson(report) : formatReport(report));
    return 0;
  } catch (error) {
    if (!(error instanceof BackendSelectionError)) throw error;
    if (values.json) out.stdout(stringifyJson({ preference, error: error.message, attempts: error.attempts }));
    out.stderr([`error: no usable backend for --backend ${preference}:`, ...formatAttempts(error.attempts)].join('\n'));
    return 1;
  }
}
