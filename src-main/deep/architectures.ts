/**
 * Builds tfjs models from the declarative specs of architecture-specs.ts (where the tutorial networks
 * and planLayers live, without tfjs), and reads a built model's head, classes and input shape.
 */
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, planLayers, type ArchitectureName, type ArchitectureSpec, type BuildOptions, type InitScheme, type ModelMetadata, type PlannedLayer } from './architecture-specs';
import { deriveSeed } from './seeds';

// Callers that build models also use the specs: one import for both.
export * from './architecture-specs';

/** tfjs-layers does not export its Initializer base class by name. */
type Initializer = ReturnType<typeof tf.initializers.zeros>;

interface WeightInit {
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
}

/**
 * PyTorch's nn.Conv2d / nn.Linear reset_parameters(): kaiming_uniform(a = √5) for the kernel, which is
 * U(±1/√fanIn), and U(±1/√fanIn) for the bias; as Keras initializers, varianceScaling with scale 1/3
 * (limit √(3·scale/fanIn)) and randomUniform.
 */
function initializersFor(scheme: InitScheme, fanIn: number, seed: number, weightIndex: number): WeightInit {
  const kernelSeed = deriveSeed(seed, weightIndex, 0);
  const biasSeed = deriveSeed(seed, weightIndex, 1);
  if (scheme === 'glorot') {
    return { kernelInitializer: tf.initializers.glorotUniform({ seed: kernelSeed }), biasInitializer: tf.initializers.zeros() };
  }
  const bound = 1 / Math.sqrt(fanIn);
  return {
    kernelInitializer: tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: kernelSeed }),
    biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: biasSeed }),
  };
}

function layersFor(p: PlannedLayer, index: number, scheme: InitScheme, seed: number): tf.layers.Layer[] {
  const spec = p.spec;
  switch (spec.kind) {
    case 'conv2d': {
      const k = spec.kernelSize;
      const init = initializersFor(scheme, k * k * p.inputShape[2], seed, index);
      // Symmetric padding p with stride 1 is Keras's 'same' when 2p = k − 1; otherwise pad explicitly.
      const pad = spec.padding === 'same' || spec.padding === 'valid' ? spec.padding : spec.padding === 0 ? 'valid' : 2 * spec.padding === k - 1 ? 'same' : spec.padding;
      const out: tf.layers.Layer[] = [];
      if (typeof pad === 'number') out.push(tf.layers.zeroPadding2d({ padding: pad, name: `${p.name}_pad` }));
      out.push(
        tf.layers.conv2d({
          name: p.name,
          filters: spec.filters,
          kernelSize: k,
          strides: 1,
          padding: typeof pad === 'number' ? 'valid' : pad,
          activation: spec.activation ?? 'linear',
          ...init,
        }),
      );
      return out;
    }
    case 'maxPool2d':
      return [tf.layers.maxPooling2d({ name: p.name, poolSize: spec.poolSize, strides: spec.poolSize, padding: 'valid' })];
    case 'batchNorm':
      return [tf.layers.batchNormalization({ name: p.name, axis: -1, epsilon: spec.epsilon ?? 1e-3, momentum: spec.momentum ?? 0.99 })];
    case 'flatten':
      return [tf.layers.flatten({ name: p.name })];
    case 'dense':
      return [
        tf.layers.dense({
          name: p.name,
          units: spec.units as number,
          activation: spec.activation ?? 'linear',
          ...initializersFor(scheme, p.inputShape[0], seed, index),
        }),
      ];
  }
}

/**
 * Builds the CNN with seeded initial weights: the same seed, spec and input shape give the same weights
 * (the random draws happen in JS, so they agree across backends too). Layer names are fixed
 * (conv1, pool1, bn1, …, dense1, head), so weight names are stable across models and processes.
 */
export function buildModel(architecture: ArchitectureSpec | ArchitectureName, options: BuildOptions): tf.LayersModel {
  const arch = typeof architecture === 'string' ? ARCHITECTURES[architecture] : architecture;
  if (arch === undefined) throw new RangeError(`buildModel: unknown architecture '${String(architecture)}' (${Object.keys(ARCHITECTURES).join(', ')})`);
  const inputShape = options.inputShape ?? arch.defaultInputShape;
  const scheme = options.init ?? 'pytorch';
  const plan = planLayers(arch, inputShape, options.numClasses);
  const input = tf.input({ shape: [...inputShape], name: 'image', dtype: 'float32' });
  let x: tf.SymbolicTensor = input;
  plan.forEach((p, index) => {
    for (const layer of layersFor(p, index, scheme, options.seed)) x = layer.apply(x) as tf.SymbolicTensor;
  });
  const model = tf.model({ inputs: input, outputs: x, name: arch.name });
  const metadata: ModelMetadata = {
    architecture: arch.name,
    layers: plan.map((p) => p.spec),
    inputShape: [inputShape[0], inputShape[1], inputShape[2]],
    numClasses: options.numClasses,
    seed: options.seed,
    init: scheme,
  };
  model.setUserDefinedMetadata({ fairbound: metadata });
  return model;
}

/** What the head outputs: logits (`linear`) or probabilities (`softmax`). */
export type HeadActivation = 'linear' | 'softmax';

/** The head's activation, read from the model itself so it also works for a loaded model. */
export function headActivation(model: tf.LayersModel): HeadActivation {
  const head = model.layers.at(-1);
  if (!(head instanceof tf.layers.Layer) || head.getClassName() !== 'Dense') {
    throw new Error(`model '${model.name}' does not end in a dense head (last layer: ${head?.getClassName() ?? 'none'})`);
  }
  const activation = head.getConfig().activation;
  if (activation === 'linear' || activation === 'softmax') return activation;
  throw new Error(`model '${model.name}': unsupported head activation '${String(activation)}' (linear or softmax)`);
}

/** Class count = the head's units. */
export function numClassesOf(model: tf.LayersModel): number {
  const shape = model.outputs[0].shape;
  const k = shape[shape.length - 1];
  if (typeof k !== 'number') throw new Error(`model '${model.name}' has no fixed class count (output shape ${JSON.stringify(shape)})`);
  return k;
}

/** [height, width, channels] the model takes. */
export function inputShapeOf(model: tf.LayersModel): [number, number, number] {
  const shape = model.inputs[0].shape;
  if (shape.length !== 4 || shape.slice(1).some((d) => typeof d !== 'number')) {
    throw new Error(`model '${model.name}' does not take NHWC images of a fixed size (input shape ${JSON.stringify(shape)})`);
  }
  return [shape[1] as number, shape[2] as number, shape[3] as number];
}
