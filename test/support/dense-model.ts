/**
 * A hand-written TF.js layers model for audit tests: topology JSON + weights.bin, so the test process
 * never builds one (and never loads a TensorFlow.js backend) to get a model file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A TF.js layers model folder: Flatten of [h, w, c] images → Dense(units), linear (logits), with fixed,
 * varied weights so that its predictions differ across rows.
 */
export function writeDenseModel(dir: string, [h, w, c]: readonly [number, number, number], units: number): string {
  mkdirSync(dir, { recursive: true });
  const inputs = h * w * c;
  const kernel = Float32Array.from({ length: inputs * units }, (_, i) => 0.08 * Math.sin(0.37 * i + (i % units)));
  const bias = Float32Array.from({ length: units }, (_, i) => 0.05 * i);
  const topology = {
    class_name: 'Sequential',
    config: {
      name: 'handmade',
      layers: [
        { class_name: 'Flatten', config: { name: 'flatten', trainable: true, dtype: 'float32', batch_input_shape: [null, h, w, c] } },
        {
          class_name: 'Dense',
          config: {
            name: 'dense',
            trainable: true,
            dtype: 'float32',
            units,
            activation: 'linear',
            use_bias: true,
            kernel_initializer: { class_name: 'Zeros', config: {} },
            bias_initializer: { class_name: 'Zeros', config: {} },
          },
        },
      ],
    },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  const manifest = [
    {
      paths: ['./weights.bin'],
      weights: [
        { name: 'dense/kernel', shape: [inputs, units], dtype: 'float32' },
        { name: 'dense/bias', shape: [units], dtype: 'float32' },
      ],
    },
  ];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', generatedBy: 'test', modelTopology: topology, weightsManifest: manifest }));
  const bytes = new Uint8Array(kernel.byteLength + bias.byteLength);
  bytes.set(new Uint8Array(kernel.buffer), 0);
  bytes.set(new Uint8Array(bias.buffer), kernel.byteLength);
  writeFileSync(join(dir, 'weights.bin'), bytes);
  return join(dir, 'model.json');
}
