/**
 * Bad ONNX files and shapes that cannot fit are InputErrors naming the file and, where an option fixes
 * it, the option: not ONNX, truncated, over the size cap (refused before a byte is read), an input of
 * the wrong rank, dynamic dims no option resolves, two inputs, external data outside the model's folder
 * (checked before ONNX Runtime opens anything; data inside it loads), a size, channel or class count
 * that does not fit, and an output whose meaning the graph does not say.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OnnxPreprocessing } from '../../src-shared/contract/schemas';
import type { ImageSet } from '../../src-main/deep/images';
import { MAX_ONNX_MODEL_BYTES } from '../../src-main/audit/onnx/onnx-file';
import { predictOnnx } from '../../src-main/audit/onnx/predict';
import { MAX_FIXED_BATCH } from '../../src-main/audit/onnx/preprocess';
import { onnx } from '../../src-main/deep/onnx/proto';
import { buildOnnxCnn, encodeModel, floatTensor, floatValue, type OnnxLayer } from '../support/onnx-models';
import { inputErrorOf, useTempDir } from '../support/images';

const tempDir = useTempDir('fairbound-onnx-files-');

const IMAGES: ImageSet = { pixels: Uint8Array.from({ length: 5 * 36 }, (_, i) => (i * 7) % 256), n: 5, height: 6, width: 6, channels: 1 };
const SMALL: OnnxLayer[] = [{ kind: 'conv', filters: 2, kernel: 3, pad: 1 }, { kind: 'relu' }, { kind: 'flatten' }, { kind: 'gemm', units: 2 }];

function write(name: string, bytes: Uint8Array | string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, bytes);
  return path;
}

async function failure(path: string, options: OnnxPreprocessing = {}, nClasses = 2, images: ImageSet = IMAGES, resize: number | null = null): Promise<string> {
  const error = await inputErrorOf(predictOnnx(path, images, undefined, nClasses, 'faces', { preprocessing: options, resize }));
  expect(error.file).toBe(path);
  return error.message;
}

/** A Gemm classifier over a flat [N, 36] input with two logits, its initializers as given. */
function flatModel(initializer = [floatTensor('w', [2, 36], new Float32Array(72).fill(0.01)), floatTensor('b', [2], new Float32Array(2))]) {
  return encodeModel({
    name: 'flat',
    node: [{ opType: 'Gemm', input: ['x', 'w', 'b'], output: ['y'], attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }],
    initializer,
    input: [floatValue('x', ['N', 36])],
    output: [floatValue('y', ['N', 2])],
  });
}

describe('ONNX files the audit refuses', () => {
  it('not ONNX, truncated, over the size cap', async () => {
    expect(await failure(write('text.onnx', 'this is a README, not a model\n'))).toMatch(/not an ONNX model/);
    expect(await failure(write('json.onnx', '{"graph": []}'))).toMatch(/not an ONNX model/);
    const bytes = buildOnnxCnn({ image: [1, 6, 6], layers: SMALL, seed: 1 }).encode();
    expect(await failure(write('cut.onnx', bytes.subarray(0, Math.floor(bytes.length * 0.6))))).toMatch(/truncated or damaged/);
    // A sparse file one byte over the cap: refused from its size, nothing read.
    const huge = join(tempDir(), 'huge.onnx');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, MAX_ONNX_MODEL_BYTES + 1);
    closeSync(fd);
    expect(await failure(huge)).toMatch(/over the 2 GiB protobuf limit/);
  });

  it('an input that is not one float image tensor of rank 4', async () => {
    expect(await failure(write('flat.onnx', flatModel()))).toMatch(/input 'x' has shape \[N, 36\] \(rank 2\); an image model takes rank 4/);
    const two = encodeModel({
      name: 'two',
      node: [{ opType: 'Add', input: ['a', 'b'], output: ['y'] }],
      input: [floatValue('a', ['N', 1, 6, 6]), floatValue('b', ['N', 1, 6, 6])],
      output: [floatValue('y', ['N', 1, 6, 6])],
    });
    expect(await failure(write('two.onnx', two))).toMatch(/takes 2 inputs \('a', 'b'\); an audited image classifier takes one/);
    const bytes = encodeModel({
      name: 'u8',
      node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [{ name: 'x', type: { tensorType: { elemType: onnx.TensorProto.DataType.UINT8, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }, { dimValue: 6 }, { dimValue: 6 }] } } } }],
      output: [floatValue('y', ['N', 2])],
    });
    expect(await failure(write('u8.onnx', bytes))).toMatch(/input 'x' has element type uint8; images are fed as float/);
  });

  it('dynamic dims: the layout must be stated when the shape cannot tell it; a dynamic batch is fine', async () => {
    const model = buildOnnxCnn({ image: [1, 6, 6], layers: SMALL, inputDims: ['N', 'c', 'h', 'w'], seed: 2 });
    const path = write('dynamic.onnx', model.encode());
    expect(await failure(path)).toMatch(/input 'image' has shape \[N, c, h, w\]: its layout cannot be told from it; give --layout NCHW .* or --layout NHWC/);
    const got = await predictOnnx(path, IMAGES, undefined, 2, 'faces', { preprocessing: { layout: 'NCHW' }, resize: null });
    expect(got.record).toMatchObject({ layout: 'NCHW', layoutFrom: 'option', height: 6, width: 6, channels: 1 });
    // A fixed batch size the audit would have to allocate whole is capped; zero is no batch.
    for (const batch of [MAX_FIXED_BATCH + 1, 0]) {
      const fixed = write(`batch${batch}.onnx`, buildOnnxCnn({ image: [1, 6, 6], layers: SMALL, inputDims: [batch, 1, 6, 6], seed: 2 }).encode());
      expect(await failure(fixed)).toMatch(new RegExp(`shape \\[${batch}, 1, 6, 6\\]: a fixed batch size must be 1 … ${MAX_FIXED_BATCH}`));
    }
    // Both readings have 1 or 3 channels: ambiguous too.
    const square = write('square.onnx', buildOnnxCnn({ image: [3, 3, 3], layers: SMALL, seed: 3 }).encode());
    expect(await failure(square, {}, 2, { ...IMAGES, pixels: new Uint8Array(5 * 27), height: 3, width: 3, channels: 3 })).toMatch(/give --layout/);
  });

  it('external data: a location outside the model’s folder (relative, absolute or through a link) is refused; inside it loads', async () => {
    const dir = tempDir();
    const weights = new Float32Array(72).fill(0.02);
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(weights.buffer));
    mkdirSync(join(dir, 'model'));
    const external = (location: string) => {
      const w = { ...floatTensor('w', [2, 36], weights), rawData: null, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: 'location', value: location }, { key: 'offset', value: '0' }, { key: 'length', value: String(weights.byteLength) }] };
      return encodeModel({
        name: 'ext',
        node: [
          { opType: 'Flatten', input: ['x'], output: ['f'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
          { opType: 'Gemm', input: ['f', 'w', 'b'], output: ['y'], attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
        ],
        initializer: [w, floatTensor('b', [2], Float32Array.of(0, 0.5))],
        input: [floatValue('x', ['N', 1, 6, 6])],
        output: [floatValue('y', ['N', 2])],
      });
    };
    const modelPath = (name: string, location: string) => {
      const path = join(dir, 'model', name);
      writeFileSync(path, external(location));
      return path;
    };
    expect(await failure(modelPath('up.onnx', '../w.bin'))).toMatch(/names external data '\.\.\/w\.bin', outside the model's folder/);
    expect(await failure(modelPath('abs.onnx', join(dir, 'w.bin')))).toMatch(/outside the model's folder/);
    symlinkSync(join(dir, 'w.bin'), join(dir, 'model', 'link.bin'));
    expect(await failure(modelPath('link.onnx', 'link.bin'))).toMatch(/a link to a file outside the model's folder/);
    expect(await failure(modelPath('missing.onnx', 'none.bin'))).toMatch(/names external data 'none\.bin': file not found/);
    writeFileSync(join(dir, 'model', 'short.bin'), new Uint8Array(10));
    expect(await failure(modelPath('short.onnx', 'short.bin'))).toMatch(/reads bytes 0 \+ 288 of 'short\.bin', which holds 10 bytes/);
    writeFileSync(join(dir, 'model', 'w.bin'), new Uint8Array(weights.buffer));
    const ok = await predictOnnx(modelPath('ok.onnx', 'w.bin'), IMAGES, undefined, 2, 'faces', { preprocessing: {}, resize: null });
    // Both logits get the same 0.02·Σx; the bias 0.5 gives P(y=1) = sigmoid(0.5) for every row.
    for (const p of ok.probs) expect(p).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 6);
  });

  it('shapes that do not fit name both shapes and the option that fixes them', async () => {
    const grey8 = write('grey8.onnx', buildOnnxCnn({ image: [1, 8, 8], layers: SMALL, seed: 4 }).encode());
    expect(await failure(grey8)).toMatch(/input 'image' has shape \[N, 1, 8, 8\] \(NCHW: 8×8 images\) but dataset 'faces' gives 6×6 images: give --resize 8/);
    expect(await failure(grey8, {}, 2, IMAGES, 7)).toMatch(/gives 7×7 images \(after --resize 7\): give --resize 8/);
    const rgb = write('rgb.onnx', buildOnnxCnn({ image: [3, 6, 6], layers: SMALL, seed: 5 }).encode());
    expect(await failure(rgb)).toMatch(/\[N, 3, 6, 6\] \(NCHW: 3 channels\) but dataset 'faces' has 1-channel images: give --channels 3 to replicate grey/);
    const grey = write('grey.onnx', buildOnnxCnn({ image: [1, 6, 6], layers: SMALL, seed: 6 }).encode());
    expect(await failure(grey, { channels: 3 })).toMatch(/--channels 3 but the model's input 'image' \[N, 1, 6, 6\] takes 1 channel/);
    expect(await failure(grey, {}, 3)).toMatch(/output 't3' has shape \[batch, 2\] \(2 classes\) but dataset 'faces' has 3 classes/);
    expect(await failure(grey, { normalize: [{ mean: 0.5, std: 0.2 }, { mean: 0.5, std: 0.2 }] })).toMatch(/--normalize gives 2 mean,std pairs but the model is fed 1 channel/);
    const ten = write('ten.onnx', buildOnnxCnn({ image: [1, 6, 6], layers: [...SMALL.slice(0, 3), { kind: 'gemm', units: 10 }], seed: 7 }).encode());
    expect(await failure(ten)).toMatch(/has shape \[batch, 10\] \(10 classes\) but dataset 'faces' has 2 classes: give --positive-class <K>/);
    expect(await failure(ten, { positiveClass: 10 })).toMatch(/--positive-class 10 but the model's output 't3' has shape \[batch, 10\] \(classes 0 … 9\)/);
  });

  it('an output whose meaning the graph does not say needs --output; probabilities that are not are refused', async () => {
    const relu = write('relu.onnx', buildOnnxCnn({ image: [1, 6, 6], layers: [...SMALL, { kind: 'relu' }], seed: 8 }).encode());
    expect(await failure(relu)).toMatch(/comes from a Relu operator, which does not say whether it gives logits or probabilities: give --output logits or --output probabilities/);
    const logits = write('logits.onnx', buildOnnxCnn({ image: [1, 6, 6], layers: SMALL, seed: 9, weightScale: 5 }).encode());
    expect(await failure(logits, { output: 'probabilities' })).toMatch(/output for audited row 0 is no probability distribution .*: give --output logits/);
    const unknownOp = encodeModel({ name: 'bad', node: [{ opType: 'NoSuchOperator', input: ['x'], output: ['y'] }], input: [floatValue('x', ['N', 1, 6, 6])], output: [floatValue('y', ['N', 2])] });
    expect(await failure(write('op.onnx', unknownOp), { output: 'logits' })).toMatch(/ONNX Runtime cannot load the model: /);
  });
});
