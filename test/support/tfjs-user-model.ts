import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '../../src-main/deep/export';

/**
 * A user's small TF.js layers model (not one of Fairbound's architectures) on 16×16 grey images, with
 * seeded weights, saved as model.json + weights.bin in `dir`; returns the model.json's path.
 */
export async function saveUserTfjsModel(dir: string, classes: number): Promise<string> {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    name: 'user_net',
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init(1), name: 'features' }),
      tf.layers.maxPooling2d({ poolSize: 4, name: 'pool' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 6, activation: 'relu', kernelInitializer: init(2), name: 'hidden' }),
      tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(3), name: 'old_head' }),
    ],
  });
  try {
    await saveModel(model, dir);
  } finally {
    model.dispose();
  }
  return join(dir, 'model.json');
}
