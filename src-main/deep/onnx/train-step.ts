/**
 * One training step of a declarative architecture as an ONNX graph, for ONNX Runtime (which has no
 * training API in Node): the training-mode forward pass, its backward pass written out by hand, and the
 * Adam update — the very step trainClassifier takes with tfjs (train.ts): sparse cross-entropy on logits
 * (linear head) or on clipped probabilities (softmax head), batch statistics in batch norm with tfjs's
 * moving-average update (biased variance), Adam with tfjs's bias correction. Weights, Adam's moments and
 * the batch-norm statistics go in; their new values, the loss and the count of right predictions come out.
 *
 * The layers and their backward are differentiable.ts's, shared with the full-model QSA's gradient graph.
 */
import { planLayers } from '../architecture-specs';
import { emitDifferentiableLayers } from './differentiable';
import { architectureOf, type OnnxModelShape } from './forward';
import { OnnxGraph, type ValueSpec } from './graph';

export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;
/** tfjs's clip of probabilities before the log for a softmax head (train.ts, crossEntropy). */
const PROBABILITY_FLOOR = 1e-7;

/** One trainable or statistics tensor of the step, in ONNX layout. */
export interface StepParameter {
  /** The tfjs weight name (`conv1/kernel`, `bn1/moving_mean`, …). */
  readonly name: string;
  readonly onnxShape: readonly number[];
  /** Trained by Adam (else a batch-norm moving statistic). */
  readonly trainable: boolean;
}

export interface TrainStepGraph {
  readonly model: Uint8Array;
  readonly parameters: readonly StepParameter[];
}

/** Graph value names of the step's inputs and outputs. */
export const STEP = {
  image: 'image',
  labels: 'labels',
  learningRate: 'learning_rate',
  /** 1 − β₁ᵗ and 1 − β₂ᵗ for this step t (tfjs's accumulated betas). */
  oneMinusBeta1Power: 'one_minus_beta1_power',
  oneMinusBeta2Power: 'one_minus_beta2_power',
  loss: 'loss',
  correct: 'correct',
  value: (name: string) => name,
  firstMoment: (name: string) => `${name}/adam_m`,
  secondMoment: (name: string) => `${name}/adam_v`,
  next: (name: string) => `${name}/next`,
} as const;

/**
 * The encoded training-step model of `shape`'s architecture, and the list of tensors it carries from
 * step to step (in the order of its inputs).
 */
export function buildTrainStep(shape: OnnxModelShape): TrainStepGraph {
  const arch = architectureOf(shape);
  const plan = planLayers(arch, shape.inputShape, shape.numClasses);
  const g = new OnnxGraph(`${arch.name}_train_step`);
  const parameters: StepParameter[] = [];
  const param = (name: string, onnxShape: readonly number[], trainable: boolean): string => {
    parameters.push({ name, onnxShape, trainable });
    return g.input(STEP.value(name));
  };
  const zero = g.scalar(0);
  const image = g.input(STEP.image);
  const labels = g.input(STEP.labels);
  const lr = g.input(STEP.learningRate);
  const bias1 = g.input(STEP.oneMinusBeta1Power);
  const bias2 = g.input(STEP.oneMinusBeta2Power);
  const layers = emitDifferentiableLayers(g, arch.name, plan, param, image, 'training');
  const { statisticsOut } = layers;

  // The loss of train.ts (crossEntropy) and its gradient with respect to the head's pre-activation z.
  const head = plan[plan.length - 1].spec;
  const logits = layers.logits;
  const oneHot = g.op1('OneHot', [labels, g.int64s([shape.numClasses]), g.floats('one_hot_values', [2], Float32Array.of(0, 1))], { axis: -1 });
  const batch = g.op1('Cast', [g.op1('Shape', [labels])], { to: 1 });
  const probabilities = g.op1('Softmax', [logits], { axis: -1 });
  let dLogits = g.op1('Div', [g.op1('Sub', [probabilities, oneHot]), batch]);
  let perRowLoss: string;
  if (head.kind === 'dense' && head.activation === 'softmax') {
    const pLabel = g.op1('ReduceSum', [g.op1('Mul', [probabilities, oneHot]), g.int64s([1])], { keepdims: 1 });
    perRowLoss = g.op1('Neg', [g.op1('Log', [g.op1('Clip', [pLabel, g.scalar(PROBABILITY_FLOOR), g.scalar(1)])])]);
    // The clip passes no gradient where the label's probability is below its floor.
    dLogits = g.op1('Where', [g.op1('Less', [pLabel, g.scalar(PROBABILITY_FLOOR)]), zero, dLogits]);
  } else {
    perRowLoss = g.op1('Neg', [g.op1('ReduceSum', [g.op1('Mul', [g.op1('LogSoftmax', [logits], { axis: -1 }), oneHot]), g.int64s([1])], { keepdims: 1 })]);
  }
  g.op1('ReduceMean', [perRowLoss], { keepdims: 0 }, STEP.loss);
  const predicted = g.op1('ArgMax', [logits], { axis: 1, keepdims: 0 });
  g.op1('ReduceSum', [g.op1('Cast', [g.op1('Equal', [predicted, labels])], { to: 1 })], { keepdims: 0 }, STEP.correct);

  const gradients = layers.backward(dLogits);

  // Adam, as tfjs's AdamOptimizer computes it.
  const b1 = g.scalar(ADAM.beta1);
  const b2 = g.scalar(ADAM.beta2);
  const oneMinusB1 = g.scalar(1 - ADAM.beta1);
  const oneMinusB2 = g.scalar(1 - ADAM.beta2);
  const epsilon = g.scalar(ADAM.epsilon);
  const negLr = g.op1('Neg', [lr]);
  const stateInputs: ValueSpec[] = [];
  const stateOutputs: ValueSpec[] = [];
  for (const prm of parameters) {
    const spec: ValueSpec = { name: STEP.value(prm.name), elemType: 'float32', dims: prm.onnxShape };
    stateInputs.push(spec);
    stateOutputs.push({ ...spec, name: STEP.next(prm.name) });
    if (!prm.trainable) {
      const updated = statisticsOut.find((s) => s.name === prm.name);
      if (updated === undefined) throw new Error(`${arch.name}: no update for ${prm.name}`);
      g.op1('Identity', [updated.value], {}, STEP.next(prm.name));
      continue;
    }
    const grad = gradients.get(prm.name);
    if (grad === undefined) throw new Error(`${arch.name}: no gradient for ${prm.name}`);
    const m = g.input(STEP.firstMoment(prm.name));
    const v = g.input(STEP.secondMoment(prm.name));
    stateInputs.push({ ...spec, name: m }, { ...spec, name: v });
    const m2 = g.op1('Add', [g.op1('Mul', [m, b1]), g.op1('Mul', [grad, oneMinusB1])], {}, STEP.next(m));
    const v2 = g.op1('Add', [g.op1('Mul', [v, b2]), g.op1('Mul', [g.op1('Mul', [grad, grad]), oneMinusB2])], {}, STEP.next(v));
    stateOutputs.push({ ...spec, name: m2 }, { ...spec, name: v2 });
    const corrected1 = g.op1('Div', [m2, bias1]);
    const corrected2 = g.op1('Div', [v2, bias2]);
    const stepSize = g.op1('Div', [corrected1, g.op1('Add', [g.op1('Sqrt', [corrected2]), epsilon])]);
    g.op1('Add', [g.op1('Mul', [stepSize, negLr]), STEP.value(prm.name)], {}, STEP.next(prm.name));
  }
  const [h, w, c] = shape.inputShape;
  const scalarSpec = (name: string): ValueSpec => ({ name, elemType: 'float32', dims: [] });
  const model = g.encode(
    [
      { name: image, elemType: 'float32', dims: ['batch', c, h, w] },
      { name: labels, elemType: 'int64', dims: ['batch'] },
      scalarSpec(lr),
      scalarSpec(bias1),
      scalarSpec(bias2),
      ...stateInputs,
    ],
    [scalarSpec(STEP.loss), scalarSpec(STEP.correct), ...stateOutputs],
    `${arch.description}: one Adam training step`,
  );
  return { model, parameters };
}
