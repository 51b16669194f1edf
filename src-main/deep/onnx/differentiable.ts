/**
 * The layers of a declarative architecture as a differentiable ONNX graph: each layer's forward ops and
 * its backward written out by hand, for the training step (train-step.ts: batch statistics in batch norm)
 * and for the full-model QSA's vector-Jacobian product (classifier-graphs.ts: inference mode, moving
 * statistics as constants). One backward for both, so the two cannot drift apart.
 *
 * Backward of each op: conv data = ConvTranspose with the same kernel and pads; conv filter = one Gemm of
 * the input's shifted windows against the output gradient; max-pool = MaxUnpool through the forward
 * pass's indices; ReLU = its mask; batch norm = the standard formula of its mode; dense = two Gemms.
 * Values are NCHW, kernels in ONNX's layout ([out, in, kh, kw]; dense [in, out] as tfjs).
 */
import type { PlannedLayer } from '../architecture-specs';
import { convPads } from './forward';
import type { OnnxGraph } from './graph';

/** 'training': batch statistics and their moving-average update; 'inference': the moving statistics. */
export type LayerMode = 'training' | 'inference';

/** Where a weight enters the graph, in ONNX layout; `trainable` is false for batch norm's moving statistics. */
export type DifferentiableParameter = (name: string, onnxShape: readonly number[], trainable: boolean) => string;

export interface DifferentiableLayers {
  /** The head's pre-activation output. */
  readonly logits: string;
  /** The moving statistics' updated values (training mode), by weight name. */
  readonly statisticsOut: readonly { readonly name: string; readonly value: string }[];
  /** Appends the backward pass from d(loss)/d(logits); returns every trainable weight's gradient by name. */
  readonly backward: (dLogits: string) => ReadonlyMap<string, string>;
}

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

interface Normalised {
  readonly normalised: string;
  readonly invStd: string;
  /** Training mode: the batch's statistics, for the moving averages' update. */
  readonly batchMean?: string;
  readonly batchVariance?: string;
}

/** Training mode: normalised by the batch's own mean and (biased) variance. */
function batchStatistics(g: OnnxGraph, x: string, epsilon: number): Normalised {
  const mean = g.op1('ReduceMean', [x], { axes: [0, 2, 3], keepdims: 1 });
  const centred = g.op1('Sub', [x, mean]);
  const variance = g.op1('ReduceMean', [g.op1('Mul', [centred, centred])], { axes: [0, 2, 3], keepdims: 1 });
  const invStd = g.op1('Reciprocal', [g.op1('Sqrt', [g.op1('Add', [variance, g.scalar(epsilon)])])]);
  return { normalised: g.op1('Mul', [centred, invStd]), invStd, batchMean: mean, batchVariance: variance };
}

/** Inference mode: normalised by the moving statistics, as tfjs's model.apply(x, { training: false }). */
function movingStatistics(g: OnnxGraph, x: string, movingMean: string, movingVariance: string, epsilon: number): Normalised {
  const perChannel = g.int64s([1, -1, 1, 1]);
  const mean = g.op1('Reshape', [movingMean, perChannel]);
  const variance = g.op1('Reshape', [movingVariance, perChannel]);
  const invStd = g.op1('Reciprocal', [g.op1('Sqrt', [g.op1('Add', [variance, g.scalar(epsilon)])])]);
  return { normalised: g.op1('Mul', [g.op1('Sub', [x, mean]), invStd]), invStd };
}

interface Tape {
  readonly backward: (dy: string) => string | null;
}

/**
 * Appends the forward pass of `plan` on the NCHW value `image` in `mode`; the backward is appended when
 * the caller has its d(logits) (after the loss, or from the probabilities' cotangent).
 */
export function emitDifferentiableLayers(g: OnnxGraph, name: string, plan: readonly PlannedLayer[], param: DifferentiableParameter, image: string, mode: LayerMode): DifferentiableLayers {
  const gradients = new Map<string, string>();
  // Made on first use (cached by the graph): a graph without a backward has no use for them.
  const zero = (): string => g.scalar(0);
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
        const w = param(`${p.name}/kernel`, [spec.filters, p.inputShape[2], k, k], true);
        const b = param(`${p.name}/bias`, [spec.filters], true);
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
            const dz = relu && !maskAtPool ? g.op1('Where', [g.op1('Greater', [y, zero()]), dy, zero()]) : dy;
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
            const dyMasked = masked ? g.op1('Where', [g.op1('Greater', [y, zero()]), dy, zero()]) : dy;
            return g.op1('MaxUnpool', [dyMasked, indices, inputShape], { kernel_shape: [s, s], strides: [s, s] });
          },
        });
        break;
      }
      case 'batchNorm': {
        const c = p.inputShape[2];
        const epsilon = spec.epsilon ?? 1e-3;
        const gamma = param(`${p.name}/gamma`, [c], true);
        const beta = param(`${p.name}/beta`, [c], true);
        const movingMean = param(`${p.name}/moving_mean`, [c], false);
        const movingVariance = param(`${p.name}/moving_variance`, [c], false);
        const { normalised, invStd, batchMean, batchVariance } = mode === 'training' ? batchStatistics(g, x, epsilon) : movingStatistics(g, x, movingMean, movingVariance, epsilon);
        const perChannel = g.int64s([1, -1, 1, 1]);
        const gammaC = g.op1('Reshape', [gamma, perChannel]);
        value = g.op1('Add', [g.op1('Mul', [normalised, gammaC]), g.op1('Reshape', [beta, perChannel])]);
        const flat = (): string => g.int64s([c]);
        if (batchMean !== undefined && batchVariance !== undefined) {
          // tfjs: moving ← moving − (moving − batch) · (1 − momentum).
          const decay = 1 - (spec.momentum ?? 0.99);
          const update = (moving: string, batch: string) => g.op1('Sub', [moving, g.op1('Mul', [g.op1('Sub', [moving, g.op1('Reshape', [batch, flat()])]), g.scalar(decay)])]);
          statisticsOut.push({ name: `${p.name}/moving_mean`, value: update(movingMean, batchMean) });
          statisticsOut.push({ name: `${p.name}/moving_variance`, value: update(movingVariance, batchVariance) });
        }
        tape.push({
          backward: (dy) => {
            const dBeta = g.op1('ReduceSum', [dy, channelAxes()], { keepdims: 1 });
            const dGamma = g.op1('ReduceSum', [g.op1('Mul', [dy, normalised]), channelAxes()], { keepdims: 1 });
            gradients.set(`${p.name}/beta`, g.op1('Reshape', [dBeta, flat()]));
            gradients.set(`${p.name}/gamma`, g.op1('Reshape', [dGamma, flat()]));
            // Moving statistics are constants: dx = γ/σ · dy.
            if (mode === 'inference') return g.op1('Mul', [dy, g.op1('Mul', [gammaC, invStd])]);
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
        tape.push({ backward: (dy) => g.op1('Transpose', [g.op1('Reshape', [dy, g.int64s([-1, h, w, c])])], { perm: [0, 3, 1, 2] }) });
        break;
      }
      case 'dense': {
        const units = spec.units as number;
        const w = param(`${p.name}/kernel`, [p.inputShape[0], units], true);
        const b = param(`${p.name}/bias`, [units], true);
        const z = g.op1('Gemm', [x, w, b]);
        if (!isHead && spec.activation === 'softmax') throw new Error(`${name}: a softmax before the head cannot be differentiated on ONNX Runtime`);
        const relu = !isHead && spec.activation === 'relu';
        value = relu ? g.op1('Relu', [z]) : z;
        const y = value;
        tape.push({
          backward: (dy) => {
            const dz = relu ? g.op1('Where', [g.op1('Greater', [y, zero()]), dy, zero()]) : dy;
            gradients.set(`${p.name}/kernel`, g.op1('Gemm', [x, dz], { transA: 1 }));
            gradients.set(`${p.name}/bias`, g.op1('ReduceSum', [dz, g.int64s([0])], { keepdims: 0 }));
            return g.op1('Gemm', [dz, w], { transB: 1 });
          },
        });
        break;
      }
    }
  });
  return {
    logits: value,
    statisticsOut,
    backward: (dLogits) => {
      let dy: string | null = dLogits;
      for (let i = tape.length - 1; i >= 0 && dy !== null; i--) dy = tape[i].backward(dy);
      return gradients;
    },
  };
}
