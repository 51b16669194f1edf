/**
 * A pretrained run's ONNX export as audits and certificates feed it: the run's input pre-processing only
 * (its output is the head's softmax).
 */
import { describe, expect, it } from 'vitest';
import type { PretrainedSource, RunSettings } from '../../src-shared/domain/runs';
import { pretrainedExportPreprocessing } from '../../src-main/runs/pretrained-export';
import type { RunInfo } from '../../src-main/store/runs';

function runOn(source: PretrainedSource): RunInfo {
  return { id: 7, settings: { pretrained: source } as unknown as RunSettings } as RunInfo;
}

const onnxSource: PretrainedSource = {
  kind: 'onnx',
  path: '/models/m.onnx',
  files: [{ name: 'm.onnx', bytes: 10, sha256: '0'.repeat(64) }],
  latentOutput: null,
  preprocessing: { layout: 'NHWC', normalize: [{ mean: 0.5, std: 0.25 }], channels: 3 },
};

describe('a pretrained run’s ONNX export as audited and certified', () => {
  it('is fed with the run’s layout, normalisation and channels', () => {
    expect(pretrainedExportPreprocessing(runOn(onnxSource))).toEqual({ layout: 'NHWC', normalize: [{ mean: 0.5, std: 0.25 }], channels: 3 });
    expect(pretrainedExportPreprocessing(runOn({ ...onnxSource, preprocessing: {} }))).toEqual({});
  });
});
