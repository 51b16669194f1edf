/**
 * trainClassifier on ONNX Runtime's CPU kernels: the same arguments, batches, loss, Adam and result, but
 * each batch is one session.run of the training-step graph (train-step.ts) with every core's thread.
 * The weights live in ONNX layout between steps and go back into the tfjs model at the end (also when
 * cancelled, so the model holds what was trained).
 */
import type * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import type { ImageSet, RowSelection } from '../images';
import { checkTrainingInput, type TrainOptions, type TrainResult } from '../train';
import { runBatches } from '../train-loop';
import { getWeightsByValue, setWeights, type WeightsByValue } from '../weights';
import { convKernelFromOnnx, convKernelToOnnx } from './forward';
import { createCpuSession, fillNchwBatch, floatTensor, type OnnxSessionOptions } from './session';
import { ADAM, buildTrainStep, STEP, type StepParameter } from './train-step';
import { onnxShapeOf } from './tfjs-model';

const WHERE = 'trainClassifier (onnx)';

function isConvKernel(p: StepParameter): boolean {
  return p.onnxShape.length === 4;
}

/**
 * The model's weights and zero Adam moments as the step's input tensors, by name. Each step's outputs are
 * the next step's inputs as they are, so the state stays in tensors.
 */
function initialState(weights: WeightsByValue, parameters: readonly StepParameter[]): Map<string, ort.Tensor> {
  const state = new Map<string, ort.Tensor>();
  for (const p of parameters) {
    const i = weights.names.indexOf(p.name);
    if (i < 0) throw new Error(`${WHERE}: the model has no weight ${p.name}`);
    const data = weights.data[i];
    if (isConvKernel(p)) {
      const [cout, cin, kh, kw] = p.onnxShape;
      state.set(STEP.value(p.name), floatTensor(convKernelToOnnx(data, kh, kw, cin, cout), p.onnxShape));
    } else state.set(STEP.value(p.name), floatTensor(Float32Array.from(data), p.onnxShape));
    if (p.trainable) {
      state.set(STEP.firstMoment(p.name), floatTensor(new Float32Array(data.length), p.onnxShape));
      state.set(STEP.secondMoment(p.name), floatTensor(new Float32Array(data.length), p.onnxShape));
    }
  }
  return state;
}

/** The trained values back in tfjs's layout, as setWeights takes them. */
function weightsOf(state: ReadonlyMap<string, ort.Tensor>, parameters: readonly StepParameter[], shapes: ReadonlyMap<string, readonly number[]>): WeightsByValue {
  return {
    names: parameters.map((p) => p.name),
    shapes: parameters.map((p) => shapes.get(p.name) as readonly number[]),
    data: parameters.map((p) => {
      const value = (state.get(STEP.value(p.name)) as ort.Tensor).data as Float32Array;
      if (!isConvKernel(p)) return value;
      const [cout, cin, kh, kw] = p.onnxShape;
      return convKernelFromOnnx(value, kh, kw, cin, cout);
    }),
  };
}

/**
 * Trains `model` in place as trainClassifier does (see there), on ONNX Runtime.
 * @example await trainClassifierOnCpu(model, images, labels, { start: 0, end: 1000 }, { epochs: 1, batchSize: 100, learningRate: 1e-3, seed: 0 });
 */
export async function trainClassifierOnCpu(
  model: tf.LayersModel,
  images: ImageSet,
  labels: Int32Array,
  rows: RowSelection,
  options: TrainOptions,
  sessionOptions: OnnxSessionOptions = {},
): Promise<TrainResult> {
  const { batchSize, learningRate } = options;
  const { selected } = checkTrainingInput(model, images, labels, rows, options, WHERE);
  const step = buildTrainStep(onnxShapeOf(model));
  const session = await createCpuSession(step.model, sessionOptions);
  const initial = getWeightsByValue(model);
  const shapes = new Map(initial.names.map((name, i) => [name, initial.shapes[i]]));
  const state = initialState(initial, step.parameters);
  const { height, width, channels } = images;
  const size = height * width * channels;
  const pixels = new Float32Array(batchSize * size);
  const batchLabels = new BigInt64Array(batchSize);
  const rate = floatTensor(Float32Array.of(learningRate), []);
  // tfjs's accumulated β powers, kept in float32 as its variables are.
  let beta1Power = Math.fround(ADAM.beta1);
  let beta2Power = Math.fround(ADAM.beta2);
  try {
    return await runBatches(selected, options, WHERE, async ({ order, from, count }) => {
      fillNchwBatch(images, order, from, count, pixels);
      for (let k = 0; k < count; k++) batchLabels[k] = BigInt(labels[order[from + k]]);
      const feeds: Record<string, ort.Tensor> = {
        [STEP.image]: floatTensor(pixels.subarray(0, count * size), [count, channels, height, width]),
        [STEP.labels]: new ort.Tensor('int64', batchLabels.subarray(0, count), [count]),
        [STEP.learningRate]: rate,
        [STEP.oneMinusBeta1Power]: floatTensor(Float32Array.of(1 - beta1Power), []),
        [STEP.oneMinusBeta2Power]: floatTensor(Float32Array.of(1 - beta2Power), []),
      };
      for (const [name, value] of state) feeds[name] = value;
      const outputs = await session.run(feeds);
      return {
        loss: (outputs[STEP.loss].data as Float32Array)[0],
        correct: (outputs[STEP.correct].data as Float32Array)[0],
        commit: () => {
          for (const name of state.keys()) state.set(name, outputs[STEP.next(name)]);
          beta1Power = Math.fround(beta1Power * Math.fround(ADAM.beta1));
          beta2Power = Math.fround(beta2Power * Math.fround(ADAM.beta2));
        },
      };
    });
  } finally {
    setWeights(model, weightsOf(state, step.parameters, shapes));
    await session.release();
  }
}
