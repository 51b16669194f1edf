/**
 * A trained model as a folder in the TF.js layers format (model.json + weights.bin), loadable by
 * tf.loadLayersModel anywhere (browser, tfjs-node, Python's tensorflowjs converter). tfjs-node's file://
 * handler is not available without libtensorflow, so this is a small IOHandler on node:fs.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { refuseExisting, writeFileSafely, type SafeWriteOptions } from '../data/safe-write';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface SavedModelFiles {
  readonly modelJson: string;
  readonly weightsBin: string;
  readonly weightBytes: number;
}

function concatenated(weightData: tf.io.WeightData | undefined): ArrayBuffer {
  if (weightData === undefined) return new ArrayBuffer(0);
  return Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData;
}

/** An IOHandler saving to / loading from `dir`; saving replaces existing files only with `overwrite`. */
export function fileSystemHandler(dir: string, options: SafeWriteOptions = {}): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('saveModel: only JSON topologies (layers models) are supported');
      const weights = concatenated(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      await mkdir(dir, { recursive: true });
      refuseExisting([join(dir, WEIGHTS_BIN), join(dir, MODEL_JSON)], options);
      // Weights first: a model.json is only ever visible next to the weights it describes. Each file goes
      // through a temporary file and a rename (data/safe-write.ts).
      writeFileSafely(join(dir, WEIGHTS_BIN), new Uint8Array(weights), options);
      writeFileSafely(join(dir, MODEL_JSON), JSON.stringify(modelJson), options);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = join(dir, MODEL_JSON);
      let parsed: tf.io.ModelJSON;
      try {
        parsed = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (error) {
        throw new Error(`loadModel: cannot read ${jsonPath}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (parsed.modelTopology === undefined || !Array.isArray(parsed.weightsManifest)) {
        throw new Error(`loadModel: ${jsonPath} is not a TF.js layers model (needs modelTopology and weightsManifest)`);
      }
      return tf.io.getModelArtifactsForJSON(parsed, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            // Weight files live next to model.json; a path that climbs out of the folder is refused.
            const name = basename(path);
            if (path !== name && path !== `./${name}`) throw new Error(`loadModel: weight file '${path}' in ${jsonPath} is not in the model's folder`);
            const bytes = await readFile(join(dir, name));
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Saves `model` into `dir` (created if needed) as model.json + weights.bin; existing files only with `overwrite`. */
export async function saveModel(model: tf.LayersModel, dir: string, options: SafeWriteOptions = {}): Promise<SavedModelFiles> {
  const result = await model.save(fileSystemHandler(dir, options));
  return { modelJson: join(dir, MODEL_JSON), weightsBin: join(dir, WEIGHTS_BIN), weightBytes: result.modelArtifactsInfo.weightDataBytes ?? 0 };
}

/** Loads a model saved by saveModel (or any single-folder TF.js layers model). */
export function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystemHandler(dir));
}
