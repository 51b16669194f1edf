/**
 * CNNs from a declarative list of layer specs, so that the head (the last dense layer, which QSA
 * retrains) is known by construction and an architecture can be stored with a run as plain JSON.
 *
 * The two Seldonian Toolkit tutorial networks are transcribed from their PyTorch definitions
 * (../shared/anchors/pytorch_tutorial_j_body.py for J; Tutorial G's MNIST CNN), including PyTorch's
 * defaults where Keras's differ: BatchNorm2d's eps 1e-5 and momentum 0.1 (Keras momentum 0.9), and the
 * default init of nn.Conv2d / nn.Linear (`init: 'pytorch'`, see initializersFor in architectures.ts).
 * Known differences that remain: tfjs is NHWC, so `flatten` orders features (h, w, c) rather than
 * PyTorch's (c, h, w), and tfjs's batch norm updates its moving variance with the biased batch variance
 * (PyTorch: unbiased).
 *
 * This module is the tfjs-free half (specs, layer planning, names): the Electron main process validates
 * run requests with it (src-main/runs/prepare.ts) and must never load TensorFlow.js (test/unit/
 * main-bundle-tfjs.test.ts). architectures.ts builds the tfjs models from these specs.
 */
import type { ArchitectureName } from '../../src-shared/domain/architectures';

export type DenseActivation = 'linear' | 'relu' | 'softmax';

export type LayerSpec =
  /** Stride 1. `padding` as a number is PyTorch's symmetric zero padding. */
  | {
      readonly kind: 'conv2d';
      readonly filters: number;
      readonly kernelSize: number;
      readonly padding: 'same' | 'valid' | number;
      readonly activation?: 'linear' | 'relu';
    }
  /** Pool size = stride, no padding (PyTorch's nn.MaxPool2d(k) default). */
  | { readonly kind: 'maxPool2d'; readonly poolSize: number }
  | { readonly kind: 'batchNorm'; readonly epsilon?: number; readonly momentum?: number }
  | { readonly kind: 'flatten' }
  /** `units: 'classes'` takes the class count given when the model is built. */
  | { readonly kind: 'dense'; readonly units: number | 'classes'; readonly activation?: DenseActivation };

export interface ArchitectureSpec {
  readonly name: string;
  readonly description: string;
  /** [height, width, channels] the tutorial uses; a model may be built for another size. */
  readonly defaultInputShape: readonly [number, number, number];
  /** The last entry must be a dense layer: the head. */
  readonly layers: readonly LayerSpec[];
}

/** PyTorch's BatchNorm2d defaults, in Keras terms (momentum of the kept average = 1 − 0.1). */
const TORCH_BATCH_NORM = { kind: 'batchNorm', epsilon: 1e-5, momentum: 0.9 } as const;

/**
 * Tutorial J's CNNModelNoSoftmax: four conv → ReLU → max-pool → batch-norm blocks (only the first conv is
 * padded), then fc1 (128) and fc2 (256) with no activation between them, and fc3 = the head, on logits.
 * The latent features are fc2's output.
 */
export const TUTORIAL_J_CNN: ArchitectureSpec = {
  name: 'tutorial-j-cnn',
  description: "Seldonian Toolkit Tutorial J's CNN (48×48 grey faces → 256-d latent → K logits)",
  defaultInputShape: [48, 48, 1],
  layers: [
    { kind: 'conv2d', filters: 16, kernelSize: 3, padding: 1, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    TORCH_BATCH_NORM,
    { kind: 'conv2d', filters: 32, kernelSize: 3, padding: 0, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    TORCH_BATCH_NORM,
    { kind: 'conv2d', filters: 64, kernelSize: 3, padding: 0, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    TORCH_BATCH_NORM,
    { kind: 'conv2d', filters: 128, kernelSize: 3, padding: 0, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    TORCH_BATCH_NORM,
    { kind: 'flatten' },
    { kind: 'dense', units: 128 },
    { kind: 'dense', units: 256 },
    { kind: 'dense', units: 'classes' },
  ],
};

/** Tutorial G's MNIST CNN: two conv 5×5 (padding 2) → ReLU → max-pool blocks, then a softmax head. */
export const TUTORIAL_G_CNN: ArchitectureSpec = {
  name: 'tutorial-g-cnn',
  description: "Seldonian Toolkit Tutorial G's CNN (28×28 grey digits → 1568-d latent → K softmax)",
  defaultInputShape: [28, 28, 1],
  layers: [
    { kind: 'conv2d', filters: 16, kernelSize: 5, padding: 2, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    { kind: 'conv2d', filters: 32, kernelSize: 5, padding: 2, activation: 'relu' },
    { kind: 'maxPool2d', poolSize: 2 },
    { kind: 'flatten' },
    { kind: 'dense', units: 'classes', activation: 'softmax' },
  ],
};

export const ARCHITECTURES = {
  'tutorial-j-cnn': TUTORIAL_J_CNN,
  'tutorial-g-cnn': TUTORIAL_G_CNN,
} as const satisfies Record<ArchitectureName, ArchitectureSpec>;

export type { ArchitectureName };

export function isArchitectureName(name: string): name is ArchitectureName {
  return Object.hasOwn(ARCHITECTURES, name);
}

/** How weights start: PyTorch's defaults (to compare with the tutorials) or Keras's (Glorot, zero bias). */
export type InitScheme = 'pytorch' | 'glorot';

export interface BuildOptions {
  readonly numClasses: number;
  /** Every weight tensor draws from its own stream derived from this seed (0..2^32−1). */
  readonly seed: number;
  /** Defaults to the architecture's defaultInputShape. */
  readonly inputShape?: readonly [number, number, number];
  readonly init?: InitScheme;
}

/** One layer after shape inference: what buildModel creates, and why an input is too small. */
export interface PlannedLayer {
  readonly name: string;
  readonly spec: LayerSpec;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

/** Stored in model.json (userDefinedMetadata) so an exported model says what it is. */
export interface ModelMetadata {
  readonly architecture: string;
  readonly layers: readonly LayerSpec[];
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly seed: number;
  readonly init: InitScheme;
}

function positiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${value}`);
}

/**
 * Names and shapes of every layer for this input and class count; throws with the first layer whose
 * output would be empty, or on a malformed spec list.
 * @example planLayers(TUTORIAL_J_CNN, [40, 40, 1], 2) // throws: pool4 would output 0×0
 */
export function planLayers(arch: ArchitectureSpec, inputShape: readonly [number, number, number], numClasses: number): PlannedLayer[] {
  const where = `${arch.name}`;
  inputShape.forEach((d, i) => positiveInteger(d, `${where}: input shape[${i}]`));
  positiveInteger(numClasses, `${where}: numClasses`);
  const last = arch.layers.at(-1);
  if (last?.kind !== 'dense') throw new Error(`${where}: the last layer must be the dense head`);
  const counters = new Map<string, number>();
  const nextName = (prefix: string): string => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    return `${prefix}${n}`;
  };
  let shape: number[] = [...inputShape];
  const planned: PlannedLayer[] = [];
  arch.layers.forEach((spec, index) => {
    const isHead = index === arch.layers.length - 1;
    const input = shape;
    const [h, w, c] = shape;
    let name: string;
    switch (spec.kind) {
      case 'conv2d': {
        positiveInteger(spec.filters, `${where}: conv filters`);
        positiveInteger(spec.kernelSize, `${where}: conv kernelSize`);
        if (shape.length !== 3) throw new Error(`${where}: conv2d after flatten (layer ${index + 1})`);
        const pad = spec.padding === 'same' ? (spec.kernelSize - 1) / 2 : spec.padding === 'valid' ? 0 : spec.padding;
        if (typeof spec.padding === 'number' && (!Number.isInteger(pad) || pad < 0)) throw new RangeError(`${where}: conv padding must be a non-negative integer, got ${spec.padding}`);
        const out = (n: number) => (spec.padding === 'same' ? n : n + 2 * pad - spec.kernelSize + 1);
        name = nextName('conv');
        shape = [out(h), out(w), spec.filters];
        break;
      }
      case 'maxPool2d':
        positiveInteger(spec.poolSize, `${where}: poolSize`);
        if (shape.length !== 3) throw new Error(`${where}: maxPool2d after flatten (layer ${index + 1})`);
        name = nextName('pool');
        shape = [Math.floor(h / spec.poolSize), Math.floor(w / spec.poolSize), c];
        break;
      case 'batchNorm':
        name = nextName('bn');
        break;
      case 'flatten':
        name = nextName('flatten');
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'dense': {
        if (shape.length !== 1) throw new Error(`${where}: dense layer ${index + 1} needs a flatten before it`);
        const units = spec.units === 'classes' ? numClasses : spec.units;
        positiveInteger(units, `${where}: dense units`);
        name = isHead ? 'head' : nextName('dense');
        shape = [units];
        break;
      }
    }
    if (shape.some((d) => d < 1)) {
      throw new RangeError(
        `${where}: input ${inputShape.join('×')} is too small: layer '${name}' (${spec.kind}) would output ${shape.join('×')} from ${input.join('×')}`,
      );
    }
    const resolved: LayerSpec = spec.kind === 'dense' ? { ...spec, units: shape[0] } : spec;
    planned.push({ name, spec: resolved, inputShape: input, outputShape: shape });
  });
  return planned;
}
