/**
 * The untrained head's initial θ (as in the Python headless experiments: the head module's own random
 * init, not the pretrained layer). A PyTorch nn.Linear(d, K) draws its weight (K × d) and then its bias
 * (K) from U(−1/√d, 1/√d); we make the same kind of draw from a seeded stream and lay it out for the
 * engine:
 * - K > 2, the softmax head: θ is (d+1) × K row-major, row 0 the biases, θ[1+i][k] = weight[k][i];
 * - K = 2, the engine's binary logistic model: softmax(z)[1] = σ(z₁ − z₀), so the two-logit layer is the
 *   logistic model with θ = [b₁ − b₀, w₁ − w₀].
 */
import { Xoshiro128 } from '../data/shuffle';

export interface LinearDraw {
  /** K × d row-major (PyTorch's weight layout). */
  readonly weight: Float64Array;
  readonly bias: Float64Array;
}

/** U(±1/√d) for weight then bias, from `seed`. */
export function drawLinear(inputDim: number, units: number, seed: number): LinearDraw {
  if (!Number.isInteger(inputDim) || inputDim < 1) throw new RangeError(`drawLinear: inputDim must be a positive integer, got ${inputDim}`);
  if (!Number.isInteger(units) || units < 1) throw new RangeError(`drawLinear: units must be a positive integer, got ${units}`);
  const rng = new Xoshiro128(seed);
  const bound = 1 / Math.sqrt(inputDim);
  // 53-bit uniform in [0, 1) from two 32-bit outputs, then scaled to [−bound, bound).
  const uniform = (): number => {
    const hi = rng.nextUint32() >>> 5;
    const lo = rng.nextUint32() >>> 6;
    return ((hi * 67108864 + lo) / 9007199254740992) * 2 * bound - bound;
  };
  const weight = new Float64Array(units * inputDim);
  for (let i = 0; i < weight.length; i++) weight[i] = uniform();
  const bias = new Float64Array(units);
  for (let k = 0; k < units; k++) bias[k] = uniform();
  return { weight, bias };
}

/** θ₀ of the engine's binary logistic model equivalent to a Linear(d, 2) draw: [b₁ − b₀, w₁ − w₀]. */
export function binaryHeadTheta(draw: LinearDraw, inputDim: number): Float64Array {
  if (draw.bias.length !== 2) throw new RangeError(`binaryHeadTheta: needs a 2-unit draw, got ${draw.bias.length} units`);
  const theta = new Float64Array(inputDim + 1);
  theta[0] = draw.bias[1] - draw.bias[0];
  for (let i = 0; i < inputDim; i++) theta[1 + i] = draw.weight[inputDim + i] - draw.weight[i];
  return theta;
}

/** θ₀ of the softmax head, (d+1) × K row-major with the biases in row 0. */
export function softmaxHeadTheta(draw: LinearDraw, inputDim: number): Float64Array {
  const units = draw.bias.length;
  const theta = new Float64Array((inputDim + 1) * units);
  for (let k = 0; k < units; k++) {
    theta[k] = draw.bias[k];
    for (let i = 0; i < inputDim; i++) theta[(1 + i) * units + k] = draw.weight[k * inputDim + i];
  }
  return theta;
}

/** The head's θ₀ for K classes: the logistic form for K = 2, the softmax form otherwise. */
export function initialHeadTheta(inputDim: number, numClasses: number, seed: number): Float64Array {
  const draw = drawLinear(inputDim, numClasses, seed);
  return numClasses === 2 ? binaryHeadTheta(draw, inputDim) : softmaxHeadTheta(draw, inputDim);
}
