/**
 * An ONNX Runtime session for an audited model, on the best execution provider present: CUDA (Linux,
 * where its provider library was installed: `ONNXRUNTIME_NODE_INSTALL=cuda12 npm install`), DirectML
 * (Windows), CoreML (macOS), else the CPU, which is always there. Which one ran, and why the others did
 * not, is reported as runs report their TF.js backend.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { env, InferenceSession, Tensor } from 'onnxruntime-node';
import { InputError } from '../../errors/input-error';
import type { OnnxModelFile } from './onnx-file';

export type ExecutionProvider = 'cuda' | 'dml' | 'coreml' | 'cpu';

export interface ProviderAttempt {
  readonly provider: ExecutionProvider;
  readonly ok: boolean;
  readonly reason: string;
}

export interface OnnxSession {
  readonly provider: ExecutionProvider;
  readonly attempts: readonly ProviderAttempt[];
  /** One line: 'onnxruntime cpu (onnxruntime-node 1.31.1; cuda: …)'. */
  readonly describe: string;
  /** Runs the model on one input tensor; the output's values and dims. */
  run(input: Float32Array, dims: readonly number[]): Promise<{ readonly values: Float32Array; readonly dims: readonly number[] }>;
  release(): Promise<void>;
}

/** Where onnxruntime-node keeps its native libraries for this platform, or null if it cannot be found. */
function nativeFolder(): string | null {
  try {
    const binding = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return join(dirname(binding), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/** The providers to try, in order, each with why it is skipped (null: try it). */
function candidates(): { readonly provider: ExecutionProvider; readonly skip: string | null }[] {
  const folder = nativeFolder();
  const list: { provider: ExecutionProvider; skip: string | null }[] = [];
  if (process.platform === 'linux') {
    const cuda = folder !== null && existsSync(join(folder, 'libonnxruntime_providers_cuda.so'));
    list.push({ provider: 'cuda', skip: cuda ? null : 'its provider library is not installed (ONNXRUNTIME_NODE_INSTALL=cuda12 npm install adds it)' });
  }
  if (process.platform === 'win32') list.push({ provider: 'dml', skip: null });
  if (process.platform === 'darwin') list.push({ provider: 'coreml', skip: null });
  list.push({ provider: 'cpu', skip: null });
  return list;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 300);
}

/** Creates the session; a model ORT cannot load is an InputError naming the file and ORT's reason. */
export async function createOnnxSession(file: OnnxModelFile): Promise<OnnxSession> {
  // ORT logs every failed provider on stderr; the attempts say it once, in words.
  env.logLevel = 'fatal';
  const attempts: ProviderAttempt[] = [];
  let cpuError: unknown = null;
  for (const { provider, skip } of candidates()) {
    if (skip !== null) {
      attempts.push({ provider, ok: false, reason: skip });
      continue;
    }
    try {
      // Threads that wait without spinning: the app's other work (and other processes) share the cores.
      const options: InferenceSession.SessionOptions = { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel: 4, extra: { session: { intra_op: { allow_spinning: '0' } } } };
      // With external data ORT must open the file itself, to find the data next to it (checked to lie there).
      const session = file.hasExternalData ? await InferenceSession.create(file.path, options) : await InferenceSession.create(file.bytes, options);
      attempts.push({ provider, ok: true, reason: 'created the session' });
      return wrap(session, provider, attempts, file);
    } catch (error) {
      attempts.push({ provider, ok: false, reason: firstLine(error) });
      if (provider === 'cpu') cpuError = error;
    }
  }
  throw new InputError(`ONNX Runtime cannot load the model: ${firstLine(cpuError)}`, { file: file.path });
}

function wrap(session: InferenceSession, provider: ExecutionProvider, attempts: readonly ProviderAttempt[], file: OnnxModelFile): OnnxSession {
  const others = attempts.filter((a) => !a.ok).map((a) => `${a.provider}: ${a.reason}`);
  const describe = `onnxruntime ${provider} (onnxruntime-node ${env.versions.node ?? env.versions.common}${others.length ? `; ${others.join('; ')}` : ''})`;
  return {
    provider,
    attempts,
    describe,
    async run(input, dims) {
      let results: InferenceSession.ReturnType;
      try {
        results = await session.run({ [file.input.name]: new Tensor('float32', input, dims) });
      } catch (error) {
        throw new InputError(`ONNX Runtime failed on a batch of shape [${dims.join(', ')}]: ${firstLine(error)}`, { file: file.path });
      }
      const output = results[file.output.name];
      if (output.type !== 'float32') throw new InputError(`the model's output '${file.output.name}' is ${output.type}, not float32`, { file: file.path });
      return { values: output.data as Float32Array, dims: output.dims };
    },
    release: () => session.release(),
  };
}
