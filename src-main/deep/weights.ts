/**
 * Weights by value, so that a run can store the exact initial (and final) weights of its CNN and a
 * later process can restore them. Names are the layers' stable weight names
 * (`conv1/kernel`, `bn1/moving_mean`, …, `head/bias`), including non-trainable batch-norm statistics.
 */
import * as tf from '@tensorflow/tfjs';

export interface WeightsByValue {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  /** Float32 copies, in model.weights order; owned by the caller. */
  readonly data: readonly Float32Array[];
}

/** tfjs makes variable names unique per process (`conv1/kernel_3`); the original name is the stable one. */
function weightName(w: tf.LayerVariable): string {
  return w.originalName;
}

/** Copies every weight of the model, trainable or not. */
export function getWeightsByValue(model: tf.LayersModel): WeightsByValue {
  const names: string[] = [];
  const shapes: number[][] = [];
  const data: Float32Array[] = [];
  for (const w of model.weights) {
    if (w.dtype !== 'float32') throw new Error(`getWeightsByValue: weight ${weightName(w)} is ${w.dtype}, only float32 is supported`);
    const value = w.read();
    names.push(weightName(w));
    shapes.push([...value.shape]);
    // A copy: on the cpu backend dataSync returns the variable's own storage.
    data.push(Float32Array.from(value.dataSync() as Float32Array));
  }
  return { names, shapes, data };
}

/**
 * getWeightsByValue with asynchronous reads, for GPU backends: webgpu's dataSync goes through canvas copies
 * that some adapters answer with zeros, and webgl's stalls the page. Same names, shapes and order.
 */
export async function getWeightsByValueAsync(model: tf.LayersModel): Promise<WeightsByValue> {
  for (const w of model.weights) {
    if (w.dtype !== 'float32') throw new Error(`getWeightsByValue: weight ${weightName(w)} is ${w.dtype}, only float32 is supported`);
  }
  const values = model.weights.map((w) => w.read());
  const data = await Promise.all(values.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
  return { names: model.weights.map(weightName), shapes: values.map((v) => [...v.shape]), data };
}

/**
 * Restores weights taken from a model of the same architecture. Matches by name, so the order in which
 * they were stored does not matter; throws naming the first missing, extra or mis-shaped weight.
 */
export function setWeights(model: tf.LayersModel, weights: WeightsByValue): void {
  const { names, shapes, data } = weights;
  if (names.length !== shapes.length || names.length !== data.length) {
    throw new Error(`setWeights: ${names.length} names, ${shapes.length} shapes and ${data.length} arrays`);
  }
  const byName = new Map<string, number>();
  names.forEach((name, i) => {
    if (byName.has(name)) throw new Error(`setWeights: weight ${name} given twice`);
    byName.set(name, i);
  });
  const targets = model.weights;
  const missing = targets.map(weightName).filter((n) => !byName.has(n));
  if (missing.length > 0) throw new Error(`setWeights: no value for ${missing.join(', ')}`);
  if (names.length !== targets.length) {
    const known = new Set(targets.map(weightName));
    throw new Error(`setWeights: the model has no weight ${names.filter((n) => !known.has(n)).join(', ')}`);
  }
  tf.tidy(() => {
    const values = targets.map((w) => {
      const i = byName.get(weightName(w)) as number;
      const shape = w.read().shape;
      const expected = shape.join('×');
      if (shapes[i].join('×') !== expected) throw new Error(`setWeights: ${names[i]} has shape ${shapes[i].join('×')}, the model expects ${expected}`);
      const size = shape.reduce((a, b) => a * b, 1);
      if (data[i].length !== size) throw new Error(`setWeights: ${names[i]} has ${data[i].length} values, shape ${expected} needs ${size}`);
      // Copied so that later edits of the caller's arrays cannot reach the model (cpu keeps references).
      return tf.tensor(Float32Array.from(data[i]), shape, 'float32');
    });
    model.setWeights(values);
  });
}
