/**
 * An ONNX classifier of the band images (test/support/band-images.ts) with set weights: logit k is ten
 * times the mean brightness of strip k (Flatten → Gemm), so it tells the bands apart on every row and
 * its audit's verdicts are fixed. NCHW grey input [N, 1, size, size].
 */
import { onnx } from '../../src-main/deep/onnx/proto';
import { encodeModel, floatTensor, floatValue } from './onnx-models';

export function bandOnnxModel(size: number, numClasses: number, options: { readonly softmax?: boolean } = {}): Uint8Array {
  const w = new Float32Array(numClasses * size * size);
  const strip = size / numClasses;
  for (let k = 0; k < numClasses; k++) {
    const top = Math.floor(k * strip), bottom = Math.max(top + 1, Math.floor((k + 1) * strip));
    for (let y = top; y < bottom; y++) for (let x = 0; x < size; x++) w[k * size * size + y * size + x] = 10 / ((bottom - top) * size);
  }
  const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  return encodeModel({
    name: 'bands',
    node: [
      { opType: 'Flatten', input: ['image'], output: ['flat'], attribute: [int('axis', 1)] },
      { opType: 'Gemm', input: ['flat', 'w', 'b'], output: [options.softmax ? 'logits' : 'scores'], attribute: [int('transB', 1)] },
      ...(options.softmax ? [{ opType: 'Softmax', input: ['logits'], output: ['scores'], attribute: [int('axis', 1)] }] : []),
    ],
    initializer: [floatTensor('w', [numClasses, size * size], w), floatTensor('b', [numClasses], new Float32Array(numClasses))],
    input: [floatValue('image', ['batch', 1, size, size])],
    output: [floatValue('scores', ['batch', numClasses])],
  });
}
