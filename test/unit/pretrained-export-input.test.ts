/**
 * A pretrained run's export as audits and certificates feed it: the run's input pre-processing only (its
 * output is the head's softmax), and a precise refusal for a run on a TF.js model, which has no export.
 */
import { describe, expect, it } from 'vitest';
import type { PretrainedSource, RunSettings } from '../../src-shared/domain/runs';
import { pretrainedExportPreprocessing, requireOnnxPretrained } from '../../src-main/runs/pretrained-export';
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
    expect(() => requireOnnxPretrained(runOn(onnxSource), 'its certificate')).not.toThrow();
  });

  it('refuses a run on a TF.js model, naming the model and what it would need', () => {
    const tfjs = runOn({ kind: 'tfjs', path: '/models/net/model.json', files: onnxSource.files, latentOutput: null, preprocessing: null });
    expect(() => requireOnnxPretrained(tfjs, 'its certificate')).toThrow(
      "run 7 is a pretrained run on the TF.js model /models/net/model.json: its certificate runs the run's model as its ONNX export, which exists only for a run on an ONNX model (a TF.js body with the run's head is not exported yet; `fairbound run export-latents 7` writes its head problem)",
    );
  });
});
