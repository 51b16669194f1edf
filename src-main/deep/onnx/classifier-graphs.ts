/**
 * The full-model QSA's two graphs of a declarative architecture, for ONNX Runtime: the engine's outputs
 * (class probabilities, or P(y=1) in the binary form) and their vector-Jacobian product. θ changes on
 * every iteration, so the trainable weights are graph inputs, in tfjs's layout and names (the graph
 * transposes conv kernels itself); batch norm runs in inference mode, its moving statistics fixed
 * initializers, as TfjsClassifierModel applies the model (training: false). Both graphs are the layers of
 * differentiable.ts, the training step's own forward and backward, so there is one model definition.
 */
import { planLayers } from '../architecture-specs';
import type { WeightsByValue } from '../weights';
import { emitDifferentiableLayers, type DifferentiableParameter } from './differentiable';
import { architectureOf, WeightTable, type OnnxModelShape } from './forward';
import { OnnxGraph, type ValueSpec } from './graph';

/** Graph value names of the classifier graphs' inputs and outputs; each trainable weight is an input of its own name. */
export const CLASSIFIER = { image: 'image', probs: 'probs', dProbs: 'd_probs', gradient: 'gradient' } as const;

/** A trainable weight in θ order: its tfjs name and shape. */
export interface ThetaPart {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface ClassifierGraphs {
  /** Inputs: image (NCHW) and every θ part; output probs [batch, nOutputs]. */
  readonly predict: Uint8Array;
  /** Inputs: those and d_probs [batch, nOutputs]; output gradient [nParams], flat in θ order. */
  readonly vjp: Uint8Array;
}

/** tfjs conv kernel [kh, kw, in, out] ↔ ONNX [out, in, kh, kw]. */
const KERNEL_TO_ONNX = [3, 2, 0, 1];
const KERNEL_FROM_ONNX = [2, 3, 1, 0];

function build(shape: OnnxModelShape, theta: readonly ThetaPart[], fixed: WeightsByValue, nOutputs: number, withVjp: boolean): Uint8Array {
  const arch = architectureOf(shape);
  const plan = planLayers(arch, shape.inputShape, shape.numClasses);
  if (nOutputs === 1 && shape.numClasses !== 2) throw new RangeError(`${arch.name}: the binary form needs 2 classes, the model has ${shape.numClasses}`);
  const g = new OnnxGraph(`${arch.name}_${withVjp ? 'vjp' : 'predict'}`);
  const table = new WeightTable(fixed);
  const tfjsShape = new Map(theta.map((t) => [t.name, t.shape]));
  const used = new Set<string>();
  const param: DifferentiableParameter = (name, onnxShape, trainable) => {
    if (!trainable) return g.floats(name.replace('/', '_'), onnxShape, table.get(name, onnxShape));
    const given = tfjsShape.get(name);
    const kernel = onnxShape.length === 4;
    const expected = kernel ? KERNEL_FROM_ONNX.map((a) => onnxShape[a]) : onnxShape;
    if (given === undefined || given.join('×') !== expected.join('×')) {
      throw new Error(`${arch.name}: θ has ${given === undefined ? 'no' : `a ${given.join('×')}`} weight '${name}', the architecture needs ${expected.join('×')}`);
    }
    used.add(name);
    const input = g.input(name);
    return kernel ? g.op1('Transpose', [input], { perm: KERNEL_TO_ONNX }) : input;
  };
  const image = g.input(CLASSIFIER.image);
  const layers = emitDifferentiableLayers(g, arch.name, plan, param, image, 'inference');
  const unused = theta.filter((t) => !used.has(t.name));
  if (unused.length > 0) throw new Error(`${arch.name}: θ has weights the architecture does not use: ${unused.map((t) => t.name).join(', ')}`);
  const probabilities = g.op1('Softmax', [layers.logits], { axis: -1 });
  const binary = nOutputs === 1;
  if (!withVjp) g.op1(binary ? 'Slice' : 'Identity', binary ? [probabilities, g.int64s([1]), g.int64s([2]), g.int64s([1])] : [probabilities], {}, CLASSIFIER.probs);
  const [h, w, c] = shape.inputShape;
  const inputs: ValueSpec[] = [{ name: image, elemType: 'float32', dims: ['batch', c, h, w] }, ...theta.map((t) => ({ name: t.name, elemType: 'float32' as const, dims: t.shape }))];
  if (!withVjp) return g.encode(inputs, [{ name: CLASSIFIER.probs, elemType: 'float32', dims: ['batch', nOutputs] }], `${arch.description}: the QSA's predictions`);

  // d/dlogits of Σ dP ⊙ P through the softmax: P ⊙ (dP − Σ_k P·dP); the binary form's dP is class 1's.
  const dProbs = g.input(CLASSIFIER.dProbs);
  const dFull = binary ? g.op1('Pad', [dProbs, g.int64s([0, 1, 0, 0])]) : dProbs;
  const inner = g.op1('ReduceSum', [g.op1('Mul', [probabilities, dFull]), g.int64s([1])], { keepdims: 1 });
  const dLogits = g.op1('Mul', [probabilities, g.op1('Sub', [dFull, inner])]);
  const gradients = layers.backward(dLogits);
  const flat = theta.map((t) => {
    const grad = gradients.get(t.name);
    if (grad === undefined) throw new Error(`${arch.name}: no gradient for ${t.name}`);
    const tfjsLayout = t.shape.length === 4 ? g.op1('Transpose', [grad], { perm: KERNEL_FROM_ONNX }) : grad;
    return g.op1('Reshape', [tfjsLayout, g.int64s([-1])]);
  });
  g.op1('Concat', flat, { axis: 0 }, CLASSIFIER.gradient);
  const nParams = theta.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
  return g.encode(
    [...inputs, { name: dProbs, elemType: 'float32', dims: ['batch', nOutputs] }],
    [{ name: CLASSIFIER.gradient, elemType: 'float32', dims: [nParams] }],
    `${arch.description}: the QSA's vector-Jacobian product`,
  );
}

/**
 * Both graphs of `shape`'s architecture for θ laid out as `theta` (trainable weights in θ order, tfjs
 * shapes) and the model's other weights (`fixed`: batch norm's moving statistics) by value.
 */
export function buildClassifierGraphs(shape: OnnxModelShape, theta: readonly ThetaPart[], fixed: WeightsByValue, nOutputs: number): ClassifierGraphs {
  return { predict: build(shape, theta, fixed, nOutputs, false), vjp: build(shape, theta, fixed, nOutputs, true) };
}
