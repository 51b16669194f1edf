/**
 * A small ONNX model with a hidden layer for the pretrained pipeline's tests: Flatten → Gemm (6 units: the
 * two horizontal strips' mean brightness, then fixed small weights) → Relu (the tensor 'latent', where the
 * pipeline cuts) → Gemm (2 logits). On the synthetic 'bands' images its latent features separate the classes.
 */
import { onnx } from '../../src-main/deep/onnx/proto';
import { encodeModel, floatTensor, floatValue } from './onnx-models';

export const HIDDEN_UNITS = 6;

export function hiddenModel(size: number): Uint8Array {
  const d = size * size;
  const w1 = new Float32Array(HIDDEN_UNITS * d);
  for (let u = 0; u < HIDDEN_UNITS; u++) {
    for (let p = 0; p < d; p++) w1[u * d + p] = u < 2 ? ((u === 0) === Math.floor(p / size) < size / 2 ? 4 / d : 0) : (((u * 131 + p * 17) % 23) - 11) / (23 * d);
  }
  const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  return encodeModel({
    name: 'hidden',
    node: [
      { opType: 'Flatten', input: ['image'], output: ['flat'], attribute: [int('axis', 1)] },
      { opType: 'Gemm', input: ['flat', 'w1', 'b1'], output: ['hidden'], attribute: [int('transB', 1)] },
      { opType: 'Relu', input: ['hidden'], output: ['latent'] },
      { opType: 'Gemm', input: ['latent', 'w2', 'b2'], output: ['logits'], attribute: [int('transB', 1)] },
    ],
    initializer: [
      floatTensor('w1', [HIDDEN_UNITS, d], w1),
      floatTensor('b1', [HIDDEN_UNITS], Float32Array.from({ length: HIDDEN_UNITS }, (_, u) => (u - 2) / 10)),
      floatTensor('w2', [2, HIDDEN_UNITS], Float32Array.from({ length: 2 * HIDDEN_UNITS }, (_, i) => (i % 3) - 1)),
      floatTensor('b2', [2], new Float32Array(2)),
    ],
    input: [floatValue('image', ['N', 1, size, size])],
    output: [floatValue('logits', ['N', 2])],
  });
}
