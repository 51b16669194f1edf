import { test } from 'vitest';
import { createHash } from 'node:crypto';
import { buildTrainStep } from '../../src-main/deep/onnx/train-step';
test('hash', () => {
  for (const a of ['tutorial-g-cnn', 'tutorial-j-cnn'] as const) for (const k of [2, 5]) {
    const s = buildTrainStep({ architecture: a, inputShape: a === 'tutorial-g-cnn' ? [28, 28, 1] : [48, 48, 1], numClasses: k });
    console.log(a, k, createHash('sha256').update(s.model).digest('hex'));
  }
});
