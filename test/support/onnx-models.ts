/**
 * Small ONNX image classifiers written with onnx-proto, for the ONNX audit's tests and bench, each with
 * the same maths in TypeScript (float64) to check ONNX Runtime's outputs against: Conv (with padding),
 * Relu, MaxPool 2×2, Flatten, Gemm, Softmax/Sigmoid, and an optional NHWC → NCHW Transpose at the front
 * (as tf2onnx writes a Keras model).
 */
import { Xoshiro128 } from '../../src-main/data/shuffle';
import { onnx, type Onnx } from '../../src-main/deep/onnx/proto';

export type OnnxLayer =
  | { readonly kind: 'conv'; readonly filters: number; readonly kernel: number; readonly pad: number }
  | { readonly kind: 'relu' }
  | { readonly kind: 'maxpool' }
  | { readonly kind: 'flatten' }
  | { readonly kind: 'gemm'; readonly units: number }
  | { readonly kind: 'softmax' }
  | { readonly kind: 'sigmoid' };

export interface OnnxCnnSpec {
  /** [channels, height, width] of the images. */
  readonly image: readonly [number, number, number];
  readonly layers: readonly OnnxLayer[];
  /** Declare the input NHWC and transpose it to NCHW first. */
  readonly nhwc?: boolean;
  /** The declared input dims (default: batch 'N', then the image's dims in the declared layout). */
  readonly inputDims?: readonly (number | string)[];
  readonly seed: number;
  /** Weights' spread (default 0.5 / sqrt(fan-in)). */
  readonly weightScale?: number;
}

export interface OnnxCnn {
  /** The model's bytes, with the weights as they are now. */
  encode(): Uint8Array;
  readonly inputName: string;
  readonly outputName: string;
  /** Output scores per image. */
  readonly k: number;
  /** The same maths in float64: `input` is n images in the declared layout (NCHW, or NHWC with nhwc). */
  forward(input: Float32Array, n: number): Float64Array;
  /** The weights, so tests can hand-set them (before encode). */
  readonly weights: ReadonlyMap<string, { dims: number[]; values: Float32Array }>;
}

interface Shape {
  c: number;
  h: number;
  w: number;
  flat: boolean;
}

type Step = (x: Float64Array, n: number, s: Shape) => Float64Array;

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function dim(d: number | string): Onnx.TensorShapeProto.IDimension {
  return typeof d === 'number' ? { dimValue: d } : { dimParam: d };
}

/** A value-info entry of a float tensor. */
export function floatValue(name: string, dims: readonly (number | string | null)[]): Onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (d === null ? {} : dim(d))) } } } };
}

export function floatTensor(name: string, dims: readonly number[], values: Float32Array): Onnx.ITensorProto {
  return { name, dims: [...dims], dataType: FLOAT, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

export function encodeModel(graph: Onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'fairbound-tests', opsetImport: [{ domain: '', version: 17 }], graph })).finish();
}

function intsAttr(name: string, values: readonly number[]): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...values] };
}

function intAttr(name: string, value: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

export function buildOnnxCnn(spec: OnnxCnnSpec): OnnxCnn {
  const rng = new Xoshiro128(spec.seed);
  const uniform = () => rng.nextUint32() / 2 ** 32 - 0.5;
  const [c0, h0, w0] = spec.image;
  const inputName = 'image';
  const nodes: Onnx.INodeProto[] = [];
  const weights = new Map<string, { dims: number[]; values: Float32Array }>();
  const steps: Step[] = [];
  let current = inputName;
  if (spec.nhwc) {
    nodes.push({ opType: 'Transpose', input: [current], output: ['nchw'], attribute: [intsAttr('perm', [0, 3, 1, 2])] });
    current = 'nchw';
    steps.push((x, n, s) => {
      const out = new Float64Array(x.length);
      for (let i = 0; i < n; i++) for (let y = 0; y < s.h; y++) for (let xx = 0; xx < s.w; xx++) for (let c = 0; c < s.c; c++) {
        out[((i * s.c + c) * s.h + y) * s.w + xx] = x[((i * s.h + y) * s.w + xx) * s.c + c];
      }
      return out;
    });
  }
  const shape: Shape = { c: c0, h: h0, w: w0, flat: false };
  const param = (name: string, dims: number[], fanIn: number): Float32Array => {
    const scale = spec.weightScale ?? 0.5 / Math.sqrt(fanIn);
    const values = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 2 * scale * uniform());
    weights.set(name, { dims, values });
    return values;
  };
  spec.layers.forEach((layer, index) => {
    const out = `t${index}`;
    switch (layer.kind) {
      case 'conv': {
        const { filters: f, kernel: k, pad } = layer;
        const cin = shape.c;
        const wv = param(`conv${index}.w`, [f, cin, k, k], cin * k * k);
        const bv = param(`conv${index}.b`, [f], cin * k * k);
        nodes.push({ opType: 'Conv', input: [current, `conv${index}.w`, `conv${index}.b`], output: [out], attribute: [intsAttr('kernel_shape', [k, k]), intsAttr('pads', [pad, pad, pad, pad])] });
        const hIn = shape.h, wIn = shape.w;
        const hOut = hIn + 2 * pad - k + 1, wOut = wIn + 2 * pad - k + 1;
        steps.push((x, n) => {
          const y = new Float64Array(n * f * hOut * wOut);
          for (let i = 0; i < n; i++) for (let o = 0; o < f; o++) for (let r = 0; r < hOut; r++) for (let q = 0; q < wOut; q++) {
            let sum = bv[o];
            for (let c = 0; c < cin; c++) for (let a = 0; a < k; a++) {
              const yy = r + a - pad;
              if (yy < 0 || yy >= hIn) continue;
              for (let b = 0; b < k; b++) {
                const xx = q + b - pad;
                if (xx < 0 || xx >= wIn) continue;
                sum += wv[((o * cin + c) * k + a) * k + b] * x[((i * cin + c) * hIn + yy) * wIn + xx];
              }
            }
            y[((i * f + o) * hOut + r) * wOut + q] = sum;
          }
          return y;
        });
        Object.assign(shape, { c: f, h: hOut, w: wOut });
        break;
      }
      case 'relu':
        nodes.push({ opType: 'Relu', input: [current], output: [out] });
        steps.push((x) => x.map((v) => Math.max(0, v)));
        break;
      case 'maxpool': {
        nodes.push({ opType: 'MaxPool', input: [current], output: [out], attribute: [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])] });
        const { c, h, w } = shape;
        const ho = Math.floor(h / 2), wo = Math.floor(w / 2);
        steps.push((x, n) => {
          const y = new Float64Array(n * c * ho * wo);
          for (let i = 0; i < n * c; i++) for (let r = 0; r < ho; r++) for (let q = 0; q < wo; q++) {
            const at = (dy: number, dx: number) => x[(i * h + 2 * r + dy) * w + 2 * q + dx];
            y[(i * ho + r) * wo + q] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
          }
          return y;
        });
        Object.assign(shape, { h: ho, w: wo });
        break;
      }
      case 'flatten':
        nodes.push({ opType: 'Flatten', input: [current], output: [out], attribute: [intAttr('axis', 1)] });
        Object.assign(shape, { c: shape.c * shape.h * shape.w, h: 1, w: 1, flat: true });
        break;
      case 'gemm': {
        const fanIn = shape.c;
        const units = layer.units;
        const wv = param(`gemm${index}.w`, [units, fanIn], fanIn);
        const bv = param(`gemm${index}.b`, [units], fanIn);
        nodes.push({ opType: 'Gemm', input: [current, `gemm${index}.w`, `gemm${index}.b`], output: [out], attribute: [intAttr('transB', 1)] });
        steps.push((x, n) => {
          const y = new Float64Array(n * units);
          for (let i = 0; i < n; i++) for (let u = 0; u < units; u++) {
            let sum = bv[u];
            for (let j = 0; j < fanIn; j++) sum += wv[u * fanIn + j] * x[i * fanIn + j];
            y[i * units + u] = sum;
          }
          return y;
        });
        shape.c = units;
        break;
      }
      case 'softmax': {
        nodes.push({ opType: 'Softmax', input: [current], output: [out], attribute: [intAttr('axis', 1)] });
        const k = shape.c;
        steps.push((x, n) => {
          const y = new Float64Array(x.length);
          for (let i = 0; i < n; i++) {
            let max = -Infinity;
            for (let j = 0; j < k; j++) max = Math.max(max, x[i * k + j]);
            let sum = 0;
            for (let j = 0; j < k; j++) sum += y[i * k + j] = Math.exp(x[i * k + j] - max);
            for (let j = 0; j < k; j++) y[i * k + j] /= sum;
          }
          return y;
        });
        break;
      }
      case 'sigmoid':
        nodes.push({ opType: 'Sigmoid', input: [current], output: [out] });
        steps.push((x) => x.map((v) => 1 / (1 + Math.exp(-v))));
        break;
    }
    current = out;
  });
  const k = shape.c;
  const declared = spec.inputDims ?? (spec.nhwc ? ['N', h0, w0, c0] : ['N', c0, h0, w0]);
  const output = current;
  return {
    encode: () =>
      encodeModel({
        name: 'cnn',
        node: nodes,
        initializer: [...weights].map(([name, w]) => floatTensor(name, w.dims, w.values)),
        input: [floatValue(inputName, declared)],
        output: [floatValue(output, ['N', k])],
      }),
    inputName,
    outputName: output,
    k,
    weights,
    forward(input, n) {
      let x: Float64Array = Float64Array.from(input);
      const s: Shape = { c: c0, h: h0, w: w0, flat: false };
      for (const step of steps) x = step(x, n, s);
      return x;
    },
  };
}
