/**
 * One training step of a declarative architecture as an ONNX graph, for ONNX Runtime (which has no
 * training API in Node): the training-mode forward pass, its backward pass written out by hand, and the
 * Adam update — the very step trainClassifier takes with tfjs (train.ts): sparse cross-entropy on logits
 * (linear head) or on clipped probabilities (softmax head), batch statistics in batch norm with tfjs's
 * moving-average update (biased variance), Adam with tfjs's bias correction. Weights, Adam's moments and
 * the batch-norm statistics go in; their new values, the loss and the count of right predictions come out.
 *
 * Backward of each op: conv data = ConvTranspose with the same kernel and pads; conv filter = one Gemm of
 * the input's shifted windows against the output gradient; max-pool = MaxUnpool through
 * the forward pass's indices; ReLU = its mask; batch norm = the standard training-mode formula; dense =
 * two Gemms. Values are NCHW, kernels in ONNX's layout ([out, in, kh, kw]; dense [in, out] as tfjs).
 */
import { planLayers, type PlannedLayer } from '../architecture-specs';
import { architectureOf, convPads, type OnnxModelShape } from './forward';
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
 * dW[o, i, a, b] = Σ_{n,h,w} dz[n, o, h, w] · x[n, i, h + a, w + b] (stride 1) as one Gemm over the
 * batch and positions: the k² shifted windows of the padded input, stacked, against dz. A Conv with dz as
 * its kernel computes the same but its im2col of a huge kernel is several times slower in MLAS.
 */
function convKernelGradient(g: OnnxGraph, x: string, dz: string, k: number, pads: readonly number[], inChannels: number, filters: number, outputSize: readonly number[]): string {
  const [top, left, bottom, right] = pads;
  // [I, N, H, W], so that each window flattens to one row per input channel.
  let xt = g.op1('Transpose', [x], { perm: [1, 0, 2, 3] });
  if (top + left + bottom + right > 0) xt = g.op1('Pad', [xt, g.int64s([0, 0, top, left, 0, 0, bottom, right])]);
  const [outH, outW] = outputSize;
  const windows: string[] = [];
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      windows.push(g.op1('Slice', [xt, g.int64s([a, b]), g.int64s([a + outH, b + outW]), g.int64s([2, 3])]));
    }
  }
  const rows = g.int64s([k * k * inChannels, -1]);
  const columns = g.op1('Reshape', [g.op1('Concat', windows, { axis: 0 }), rows]);
  const dzt = g.op1('Reshape', [g.op1('Transpose', [dz], { perm: [1, 0, 2, 3] }), g.int64s([filters, -1])]);
  // [k·k·I, O] → [k, k, I, O] → [O, I, k, k].
  const dw = g.op1('Gemm', [columns, dzt], { transB: 1 });
  return g.op1('Transpose', [g.op1('Reshape', [dw, g.int64s([k, k, inChannels, filters])])], { perm: [3, 2, 0, 1] });
}

interface Tape {
  readonly backward: (dy: string) => string | null;
}

/**
 * The encoded training-step model of `shape`'s architecture, and the list of tensors it carries from
 * step to step (in the order of its inputs).
 */
export function buildTrainStep(shape: OnnxModelShape): TrainStepGraph {
  const arch = architectureOf(shape);
  const plan = planLayers(arch, shape.inputShape, shape.numClasses);
  const g = new OnnxGraph(`${arch.name}_train_step`);
  const parameters: StepParameter[] = [];
  const gradients = new Map<string, string>();
  const param = (name: string, onnxShape: readonly number[], trainable = true): string => {
    parameters.push({ name, onnxShape, trainable });
    return g.input(STEP.value(name));
  };
  const zero = g.scalar(0);
  const image = g.input(STEP.image);
  const labels = g.input(STEP.labels);
  const lr = g.input(STEP.learningRate);
  const bias1 = g.input(STEP.oneMinusBeta1Power);
  const bias2 = g.input(STEP.oneMinusBeta2Power);
  const channelAxes = (): string => g.int64s([0, 2, 3]);
  const statisticsOut: { name: string; value: string }[] = [];

  let value = image;
  const tape: Tape[] = [];
  let reluBeforePool = false;
  plan.forEach((p: PlannedLayer, index) => {
    const spec = p.spec;
    const isHead = index === plan.length - 1;
    const x = value;
    const reluMaskPending = reluBeforePool;
    reluBeforePool = false;
    switch (spec.kind) {
      case 'conv2d': {
        const k = spec.kernelSize;
        const pads = convPads(spec.padding, k);
        const w = param(`${p.name}/kernel`, [spec.filters, p.inputShape[2], k, k]);
        const b = param(`${p.name}/bias`, [spec.filters]);
        const z = g.op1('Conv', [x, w, b], { kernel_shape: [k, k], pads, strides: [1, 1] });
        const relu = spec.activation === 'relu';
        value = relu ? g.op1('Relu', [z]) : z;
        const y = value;
        const first = index === 0;
        // ReLU then max-pool: the pool's gradient reaches only its maxima, where ReLU's mask is (max > 0),
        // so the pool applies the mask on its 4× smaller output instead.
        const maskAtPool = relu && plan[index + 1]?.spec.kind === 'maxPool2d';
        reluBeforePool = maskAtPool;
        tape.push({
          backward: (dy) => {
            const dz = relu && !maskAtPool ? g.op1('Where', [g.op1('Greater', [y, zero]), dy, zero]) : dy;
            gradients.set(`${p.name}/bias`, g.op1('ReduceSum', [dz, channelAxes()], { keepdims: 0 }));
            gradients.set(`${p.name}/kernel`, convKernelGradient(g, x, dz, k, pads, p.inputShape[2], spec.filters, p.outputShape));
            return first ? null : g.op1('ConvTranspose', [dz, w], { kernel_shape: [k, k], pads, strides: [1, 1] });
          },
        });
        break;
      }
      case 'maxPool2d': {
        const s = spec.poolSize;
        const [y, indices] = g.op('MaxPool', [x], { kernel_shape: [s, s], strides: [s, s] }, 2);
        value = y;
        const inputShape = g.op1('Shape', [x]);
        const masked = reluMaskPending;
        tape.push({
          backward: (dy) => {
            const dyMasked = masked ? g.op1('Where', [g.op1('Greater', [y, zero]), dy, zero]) : dy;
            return g.op1('MaxUnpool', [dyMasked, indices, inputShape], { kernel_shape: [s, s], strides: [s, s] });
          },
        });
        break;
      }
      case 'batchNorm': {
        const c = p.inputShape[2];
        const epsilon = spec.epsilon ?? 1e-3;
        const decay = 1 - (spec.momentum ?? 0.99);
        const gamma = param(`${p.name}/gamma`, [c]);
        const beta = param(`${p.name}/beta`, [c]);
        const movingMean = param(`${p.name}/moving_mean`, [c], false);
        const movingVariance = param(`${p.name}/moving_variance`, [c], false);
        const mean = g.op1('ReduceMean', [x], { axes: [0, 2, 3], keepdims: 1 });
        const centred = g.op1('Sub', [x, mean]);
        const variance = g.op1('ReduceMean', [g.op1('Mul', [centred, centred])], { axes: [0, 2, 3], keepdims: 1 });
        const invStd = g.op1('Reciprocal', [g.op1('Sqrt', [g.op1('Add', [variance, g.scalar(epsilon)])])]);
        const normalised = g.op1('Mul', [centred, invStd]);
        const perChannel = g.int64s([1, -1, 1, 1]);
        const gammaC = g.op1('Reshape', [gamma, perChannel]);
        value = g.op1('Add', [g.op1('Mul', [normalised, gammaC]), g.op1('Reshape', [beta, perChannel])]);
        // tfjs: moving ← moving − (moving − batch) · (1 − momentum).
        const flat = g.int64s([c]);
        const update = (moving: string, batch: string) => g.op1('Sub', [moving, g.op1('Mul', [g.op1('Sub', [moving, g.op1('Reshape', [batch, flat])]), g.scalar(decay)])]);
        statisticsOut.push({ name: `${p.name}/moving_mean`, value: update(movingMean, mean) });
        statisticsOut.push({ name: `${p.name}/moving_variance`, value: update(movingVariance, variance) });
        tape.push({
          backward: (dy) => {
            const dBeta = g.op1('ReduceSum', [dy, channelAxes()], { keepdims: 1 });
            const dGamma = g.op1('ReduceSum', [g.op1('Mul', [dy, normalised]), channelAxes()], { keepdims: 1 });
            gradients.set(`${p.name}/beta`, g.op1('Reshape', [dBeta, flat]));
            gradients.set(`${p.name}/gamma`, g.op1('Reshape', [dGamma, flat]));
            // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)), the means over N, H, W.
            const count = g.op1('Cast', [g.op1('Div', [g.op1('Size', [x]), g.int64s([c])])], { to: 1 });
            const meanDy = g.op1('Div', [dBeta, count]);
            const meanDyX = g.op1('Div', [dGamma, count]);
            const inner = g.op1('Sub', [g.op1('Sub', [dy, meanDy]), g.op1('Mul', [normalised, meanDyX])]);
            return g.op1('Mul', [inner, g.op1('Mul', [gammaC, invStd])]);
          },
        });
        break;
      }
      case 'flatten': {
        const [h, w, c] = p.inputShape;
        value = g.op1('Flatten', [g.op1('Transpose', [x], { perm: [0, 2, 3, 1] })], { axis: 1 });
        const nhwc = g.int64s([-1, h, w, c]);
        tape.push({ backward: (dy) => g.op1('Transpose', [g.op1('Reshape', [dy, nhwc])], { perm: [0, 3, 1, 2] }) });
        break;
      }
      case 'dense': {
        const units = spec.units as number;
        const w = param(`${p.name}/kernel`, [p.inputShape[0], units]);
        const b = param(`${p.name}/bias`, [units]);
        const z = g.op1('Gemm', [x, w, b]);
        if (!isHead && spec.activation === 'softmax') throw new Error(`${arch.name}: a softmax before the head cannot be trained on ONNX Runtime`);
        const relu = !isHead && spec.activation === 'relu';
        value = relu ? g.op1('Relu', [z]) : z;
        const y = value;
        tape.push({
          backward: (dy) => {
            const dz = relu ? g.op1('Where', [g.op1('Greater', [y, zero]), dy, zero]) : dy;
            gradients.set(`${p.name}/kernel`, g.op1('Gemm', [x, dz], { transA: 1 }));
            gradients.set(`${p.name}/bias`, g.op1('ReduceSum', [dz, g.int64s([0])], { keepdims: 0 }));
            return g.op1('Gemm', [dz, w], { transB: 1 });
          },
        });
        break;
      }
    }
  });

  // The loss of train.ts (crossEntropy) and its gradient with respect to the head's pre-activation z.
  const head = plan[plan.length - 1].spec;
  const logits = value;
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

  let dy: string | null = dLogits;
  for (let i = tape.length - 1; i >= 0 && dy !== null; i--) dy = tape[i].backward(dy);

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
