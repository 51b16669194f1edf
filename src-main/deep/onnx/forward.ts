/**
 * The ONNX forward graph of a declarative architecture (architecture-specs.ts) with given weights: the
 * same function as the TF.js model buildModel makes, so that ONNX Runtime can run a run's CNN (latents,
 * probabilities) and a run's model can be exported for anyone's ONNX runtime.
 *
 * Layouts: the graph computes in NCHW (ONNX's convolution layout); tfjs is NHWC, so conv kernels are
 * transposed from [kh, kw, in, out] to [out, in, kh, kw], and a Transpose back to NHWC precedes every
 * Flatten, which keeps tfjs's (h, w, c) feature order and hence its dense kernels unchanged. Batch norm
 * runs in inference mode (moving statistics).
 */
import { ARCHITECTURES, planLayers, type ArchitectureName, type ArchitectureSpec, type PlannedLayer } from '../architecture-specs';
import type { WeightsByValue } from '../weights';
import { OnnxGraph, type ValueSpec } from './graph';

export type ForwardOutput = 'logits' | 'probabilities' | 'latents';
/** NCHW is PyTorch's and ONNX's convention; NHWC is tfjs's and the stored images'. Same bytes for one channel. */
export type InputLayout = 'nchw' | 'nhwc';

export interface OnnxModelShape {
  readonly architecture: ArchitectureSpec | ArchitectureName;
  /** [height, width, channels]. */
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
}

export interface ForwardModelOptions {
  /** Default 'nchw'. */
  readonly inputLayout?: InputLayout;
  /** Stored as the model's doc string. */
  readonly description?: string;
  /** Stored as the model's metadata_props (key → value). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export const INPUT_NAME = 'image';
export const OUTPUT_NAME: Readonly<Record<ForwardOutput, string>> = { logits: 'logits', probabilities: 'probabilities', latents: 'latents' };

export function architectureOf(shape: OnnxModelShape): ArchitectureSpec {
  const arch = typeof shape.architecture === 'string' ? ARCHITECTURES[shape.architecture] : shape.architecture;
  if (arch === undefined) throw new RangeError(`onnx: unknown architecture '${String(shape.architecture)}' (${Object.keys(ARCHITECTURES).join(', ')})`);
  return arch;
}

/** Looks weights up by their stable names (`conv1/kernel`, `bn1/moving_mean`, …), checking shapes. */
export class WeightTable {
  private readonly byName = new Map<string, number>();

  constructor(private readonly weights: WeightsByValue) {
    weights.names.forEach((name, i) => this.byName.set(name, i));
  }

  get(name: string, shape: readonly number[]): Float32Array {
    const i = this.byName.get(name);
    if (i === undefined) throw new Error(`onnx: no weight '${name}' (have ${this.weights.names.join(', ')})`);
    const got = this.weights.shapes[i];
    if (got.join('×') !== shape.join('×')) throw new Error(`onnx: weight '${name}' has shape ${got.join('×')}, the architecture needs ${shape.join('×')}`);
    return this.weights.data[i];
  }
}

/** tfjs conv kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
export function convKernelToOnnx(kernel: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = kernel[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** ONNX conv kernel [out, in, kh, kw] → tfjs [kh, kw, in, out]. */
export function convKernelFromOnnx(kernel: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((y * kw + x) * cin + i) * cout + o] = kernel[((o * cin + i) * kh + y) * kw + x];
  return out;
}

/** ONNX pads [top, left, bottom, right] of a stride-1 conv as tfjs computes it ('same' puts the odd pixel at the end). */
export function convPads(padding: 'same' | 'valid' | number, kernelSize: number): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const begin = Math.floor((kernelSize - 1) / 2);
    const end = kernelSize - 1 - begin;
    return [begin, begin, end, end];
  }
  return [padding, padding, padding, padding];
}

/** Where a weight enters the graph: an initializer with its value (forward) or a graph input (training). */
export type ParameterSource = (name: string, onnxShape: readonly number[], value: () => Float32Array) => string;

/** The weights as initializers, conv kernels transposed to ONNX's layout. */
export function initializerSource(g: OnnxGraph): ParameterSource {
  return (name, onnxShape, value) => g.floats(name.replace('/', '_'), onnxShape, value());
}

export interface ForwardValues {
  /** The head's input. */
  readonly latents: string;
  /** The head's pre-activation output. */
  readonly logits: string;
  /** Softmax of the logits. */
  readonly probabilities: string;
}

/** Appends the inference-mode forward pass of `plan` on the NCHW value `x`. */
export function emitForward(g: OnnxGraph, plan: readonly PlannedLayer[], table: WeightTable, param: ParameterSource, x: string): ForwardValues {
  let value = x;
  let latents = x;
  let logits = x;
  plan.forEach((p, index) => {
    const spec = p.spec;
    const isHead = index === plan.length - 1;
    switch (spec.kind) {
      case 'conv2d': {
        const k = spec.kernelSize;
        const cin = p.inputShape[2];
        const cout = spec.filters;
        const w = param(`${p.name}/kernel`, [cout, cin, k, k], () => convKernelToOnnx(table.get(`${p.name}/kernel`, [k, k, cin, cout]), k, k, cin, cout));
        const b = param(`${p.name}/bias`, [cout], () => table.get(`${p.name}/bias`, [cout]));
        value = g.op1('Conv', [value, w, b], { kernel_shape: [k, k], pads: convPads(spec.padding, k), strides: [1, 1] });
        if (spec.activation === 'relu') value = g.op1('Relu', [value]);
        break;
      }
      case 'maxPool2d':
        value = g.op1('MaxPool', [value], { kernel_shape: [spec.poolSize, spec.poolSize], strides: [spec.poolSize, spec.poolSize] });
        break;
      case 'batchNorm': {
        const c = p.inputShape[2];
        const get = (suffix: string) => param(`${p.name}/${suffix}`, [c], () => table.get(`${p.name}/${suffix}`, [c]));
        value = g.op1('BatchNormalization', [value, get('gamma'), get('beta'), get('moving_mean'), get('moving_variance')], { epsilon: { float: spec.epsilon ?? 1e-3 } });
        break;
      }
      case 'flatten':
        // Back to NHWC first: tfjs flattens (h, w, c).
        value = g.op1('Flatten', [g.op1('Transpose', [value], { perm: [0, 2, 3, 1] })], { axis: 1 });
        break;
      case 'dense': {
        const units = spec.units as number;
        const inputDim = p.inputShape[0];
        if (isHead) latents = value;
        const w = param(`${p.name}/kernel`, [inputDim, units], () => table.get(`${p.name}/kernel`, [inputDim, units]));
        const b = param(`${p.name}/bias`, [units], () => table.get(`${p.name}/bias`, [units]));
        value = g.op1('Gemm', [value, w, b]);
        if (isHead) logits = value;
        else if (spec.activation === 'relu') value = g.op1('Relu', [value]);
        else if (spec.activation === 'softmax') value = g.op1('Softmax', [value], { axis: -1 });
        break;
      }
    }
  });
  return { latents, logits, probabilities: g.op1('Softmax', [logits], { axis: -1 }) };
}

/**
 * The encoded ONNX model of `shape`'s architecture with `weights` (names and tfjs shapes as
 * getWeightsByValue gives them), with one input `image` (float32 in [0, 1], batch dimension dynamic)
 * and one output: the head's input (`latents`), its logits or its class probabilities.
 * @example const bytes = buildForwardModel({ architecture: 'tutorial-j-cnn', inputShape: [48, 48, 1], numClasses: 2 }, weights, 'latents');
 */
export function buildForwardModel(shape: OnnxModelShape, weights: WeightsByValue, output: ForwardOutput, options: ForwardModelOptions = {}): Uint8Array {
  const arch = architectureOf(shape);
  const plan = planLayers(arch, shape.inputShape, shape.numClasses);
  const [h, w, c] = shape.inputShape;
  const layout = options.inputLayout ?? 'nchw';
  const g = new OnnxGraph(arch.name);
  const input = g.input(INPUT_NAME);
  const x = layout === 'nchw' ? input : g.op1('Transpose', [input], { perm: [0, 3, 1, 2] });
  const values = emitForward(g, plan, new WeightTable(weights), initializerSource(g), x);
  const name = OUTPUT_NAME[output];
  g.op1('Identity', [values[output]], {}, name);
  const head = plan[plan.length - 1];
  const width = output === 'latents' ? head.inputShape[0] : shape.numClasses;
  const inputSpec: ValueSpec = { name: INPUT_NAME, elemType: 'float32', dims: layout === 'nchw' ? ['batch', c, h, w] : ['batch', h, w, c] };
  return g.encode([inputSpec], [{ name, elemType: 'float32', dims: ['batch', width] }], options.description ?? `${arch.description}: ${output}`, options.metadata);
}
