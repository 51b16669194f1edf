/**
 * A run that prefers `onnxruntime`: a head or full-model run gets ONNX Runtime's link in front of TF.js
 * wasm in its stored report (ONNX Runtime computes the body, or the full-model QSA's gradients).
 */
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, type BackendLoaders, type CandidateId, type LoadedBackend } from '../../src-main/deep/backends';
import { selectRunBackend } from '../../src-main/runs/run-backend';
import type { RunInfo } from '../../src-main/store/runs';

const WASM: LoadedBackend = { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version: '4.22.0', simd: true, threads: 1 };

function loaders(calls: CandidateId[]): BackendLoaders {
  const make = (id: CandidateId) => async (): Promise<LoadedBackend> => {
    calls.push(id);
    if (id !== 'wasm') throw new BackendUnavailableError(`${id} is not installed (test)`);
    return WASM;
  };
  return { 'tensorflow-gpu': make('tensorflow-gpu'), webgpu: make('webgpu'), 'tensorflow-cpu': make('tensorflow-cpu'), wasm: make('wasm'), cpu: make('cpu') };
}

/** The two fields selectRunBackend reads. */
function run(pipeline: 'head' | 'full' | 'pretrained'): RunInfo {
  return { backendPreference: 'onnxruntime', settings: { pipeline } } as unknown as RunInfo;
}

describe('selectRunBackend with the onnxruntime preference', () => {
  it('a head run stores ONNX Runtime as the link in front of wasm', async () => {
    const calls: CandidateId[] = [];
    const report = await selectRunBackend(run('head'), loaders(calls));
    expect(calls).toEqual(['wasm']);
    expect(report.name).toBe('wasm');
    expect(report.attempts.map((a) => [a.candidate, a.ok])).toEqual([
      ['onnxruntime', true],
      ['wasm', true],
    ]);
    expect(report.cpuEngine).toMatch(/^onnxruntime-node \d+\.\d+\.\d+ \(CPU, \d+ threads\)$/);
  });

  it('a full-model run stores the same link (ONNX Runtime computes its QSA); a pretrained run none', async () => {
    const calls: CandidateId[] = [];
    const report = await selectRunBackend(run('full'), loaders(calls));
    expect(calls).toEqual(['wasm']);
    expect(report.attempts.map((a) => [a.candidate, a.ok])).toEqual([
      ['onnxruntime', true],
      ['wasm', true],
    ]);
    expect(report.attempts[0].reason).toMatch(/the full-model QSA's gradients/);
    const pretrained = await selectRunBackend(run('pretrained'), loaders([]));
    expect(pretrained.attempts.map((a) => a.candidate)).toEqual(['wasm']);
  });
});
