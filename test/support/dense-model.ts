/**
 * A hand-written TF.js layers model for audit tests: topology JSON + weights.bin, so the test process
 * never builds one (and never loads a TensorFlow.js backend) to get a model file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface DenseSpec {
  readonly name: string;
  readonly inputs: number;
  readonly units: number;
  readonly activation: 'linear' | 'relu';
}

/** Fixed, varied weights (kernel row-major [inputs, units], then bias), so predictions differ across rows. */
function denseWeights({ inputs, units }: DenseSpec): Float32Array[] {
  return [Float32Array.from({ length: inputs * units }, (_, i) => 0.08 * Math.sin(0.37 * i + (i % units))), Float32Array.from({ length: units }, (_, i) => 0.05 * i)];
}

/**
 * A TF.js layers model folder: Flatten of [h, w, c] images → Dense(units), linear (logits). With
 * `hidden`, a Dense(hidden, relu) comes first: the same handmade kind of model, only slower per image,
 * for tests that need an inference long enough to watch or cancel.
 */
export function writeDenseModel(dir: string, [h, w, c]: readonly [number, number, number], units: number, options: { hidden?: number } = {}): string {
  mkdirSync(dir, { recursive: true });
  const inputs = h * w * c;
  const denses: DenseSpec[] =
    options.hidden === undefined
      ? [{ name: 'dense', inputs, units, activation: 'linear' }]
      : [
          { name: 'hidden', inputs, units: options.hidden, activation: 'relu' },
          { name: 'dense', inputs: options.hidden, units, activation: 'linear' },
        ];
  const topology = {
    class_name: 'Sequential',
    config: {
      name: 'handmade',
      layers: [
        { class_name: 'Flatten', config: { name: 'flatten', trainable: true, dtype: 'float32', batch_input_shape: [null, h, w, c] } },
        ...denses.map((d) => ({
          class_name: 'Dense',
          config: {
            name: d.name,
            trainable: true,
            dtype: 'float32',
            units: d.units,
            activation: d.activation,
            use_bias: true,
            kernel_initializer: { class_name: 'Zeros', config: {} },
            bias_initializer: { class_name: 'Zeros', config: {} },
          },
        })),
      ],
    },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  const manifest = [
    {
      paths: ['./weights.bin'],
      weights: denses.flatMap((d) => [
        { name: `${d.name}/kernel`, shape: [d.inputs, d.units], dtype: 'float32' },
        { name: `${d.name}/bias`, shape: [d.units], dtype: 'float32' },
      ]),
    },
  ];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', generatedBy: 'test', modelTopology: topology, weightsManifest: manifest }));
  const arrays = denses.flatMap(denseWeights);
  const bytes = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let offset = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer), offset);
    offset += a.byteLength;
  }
  writeFileSync(join(dir, 'weights.bin'), bytes);
  return join(dir, 'model.json');
}
