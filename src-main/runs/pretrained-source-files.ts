/**
 * A pretrained run's source model files, read once and each checked against the SHA-256 the run recorded,
 * so that an export never puts the run's head on another body: an ONNX model is its one file, a TF.js
 * layers model its model.json and weight files (the recorded names, in the model's folder).
 */
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { InputError } from '../errors/input-error';
import type { RunInfo } from '../store/runs';

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : String(error);
}

/** The folder of the recorded model (its path is the model file, or the folder that holds a TF.js model). */
function modelFolder(run: RunInfo, path: string): string {
  try {
    return statSync(path).isDirectory() ? path : dirname(path);
  } catch (error) {
    throw new InputError(`run ${run.id}'s source model cannot be read (${errorCode(error)}): the export is the source model's body plus the run's head`, { file: path });
  }
}

/** The recorded files' bytes, by recorded name, each checked against the SHA-256 the run recorded. */
export function verifiedSourceFiles(run: RunInfo): Map<string, Uint8Array> {
  const source = run.settings.pretrained;
  if (!source) throw new Error(`run ${run.id} has no pretrained source`);
  const dir = modelFolder(run, source.path);
  const files = new Map<string, Uint8Array>();
  for (const recorded of source.files) {
    const file = join(dir, recorded.name);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new InputError(`run ${run.id}'s source model file ${recorded.name} cannot be read (${errorCode(error)}): the export is the source model's body plus the run's head`, { file });
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== recorded.sha256) {
      throw new InputError(`run ${run.id}'s source model has changed since the run (${recorded.name}: SHA-256 ${sha}, the run used ${recorded.sha256}): refusing to put the run's head on another body`, { file });
    }
    files.set(recorded.name, bytes);
  }
  return files;
}
