/**
 * The files a model is made of, each with its SHA-256 as it is on disk, in a fixed order: what a
 * certificate records of the model (src-main/certificate). A TF.js layers model is its model.json, then
 * each weight file in the order its weightsManifest lists them; anything else (an ONNX model, a
 * predictions CSV) is its one file. Without TensorFlow.js: only bytes and the manifest's JSON are read.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors/input-error';

export interface HashedFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface ModelFiles {
  readonly format: 'tfjs-layers' | 'single-file' | 'predictions-csv';
  readonly files: readonly HashedFile[];
}

const MODEL_JSON = 'model.json';
/** The name a certificate gives a run's ONNX export (the user names the file; only its bytes are hashed). */
export const ONNX_EXPORT_NAME = 'model.onnx';

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new InputError(`cannot read the model file (${reason === 'ENOENT' ? 'no such file' : reason})`, { file });
  }
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function hashed(name: string, bytes: Uint8Array): HashedFile {
  return { name, bytes: bytes.length, sha256: sha256Hex(bytes) };
}

/** The weight files a model.json's manifest names, in order; each must sit next to it. */
function manifestWeightFiles(jsonPath: string, text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not a TF.js model.json: ${error instanceof Error ? error.message : String(error)}`, { file: jsonPath });
  }
  const manifest = (parsed as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) throw new InputError('not a TF.js layers model: model.json has no weightsManifest', { file: jsonPath });
  const names: string[] = [];
  for (const group of manifest as { paths?: unknown }[]) {
    if (!Array.isArray(group.paths)) throw new InputError('a weightsManifest group has no paths', { file: jsonPath });
    for (const path of group.paths) {
      const name = typeof path === 'string' ? basename(path) : '';
      if (name === '' || (path !== name && path !== `./${name}`)) throw new InputError(`weight file '${String(path)}' is not in the model's folder`, { file: jsonPath });
      names.push(name);
    }
  }
  return names;
}

/** One file, hashed as it is on disk (InputError naming it when it cannot be read). */
export function hashedFile(path: string): HashedFile {
  return hashed(basename(path), readBytes(path));
}

/**
 * The model at `path` as hashed files: a TF.js model (its model.json, or the folder holding it) or one
 * file of any other kind. `predictions` marks a predictions CSV (one file too).
 */
export function modelFiles(path: string, options: { readonly predictions?: boolean } = {}): ModelFiles {
  if (options.predictions) return { format: 'predictions-csv', files: [hashed(basename(path), readBytes(path))] };
  let isFolder = false;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    // readBytes names the missing file below.
  }
  const jsonPath = isFolder ? join(path, MODEL_JSON) : path;
  if (basename(jsonPath) !== MODEL_JSON) return { format: 'single-file', files: [hashed(basename(path), readBytes(path))] };
  const json = readBytes(jsonPath);
  const folder = dirname(jsonPath);
  const weights = manifestWeightFiles(jsonPath, json.toString('utf8')).map((name) => hashed(name, readBytes(join(folder, name))));
  return { format: 'tfjs-layers', files: [hashed(MODEL_JSON, json), ...weights] };
}
