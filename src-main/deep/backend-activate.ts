/**
 * What every loader of the chain shares: resolving an installed package's version and making a
 * registered backend tf's active one with its failure cause as a readable reason.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, type BackendName } from './backend-types';

// Not named `require`: electron-vite's ESM shim declares a module-level `require` in every main-process chunk
// that uses one, and a second declaration of the same name is a SyntaxError when the chunk loads.
export const nodeRequire = createRequire(import.meta.url);

/** The installed version of a package, or undefined when it cannot be resolved from here. */
export function installedVersion(pkg: string): string | undefined {
  let manifest: string;
  try {
    manifest = nodeRequire.resolve(`${pkg}/package.json`);
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').find((line) => line.trim() !== '') ?? message;
}

/**
 * tf.setBackend reports an initialisation failure only as `false`, after printing the cause with
 * console.warn; capture those lines so that the cause becomes the attempt's reason.
 */
export async function activate(name: BackendName): Promise<void> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    // A first write proves the backend works, and flushes one-time banners while warnings are captured.
    if (ok) tf.dispose(tf.scalar(0));
  } catch (error) {
    ok = false;
    warnings.push(firstLine(error));
  } finally {
    console.warn = original;
  }
  if (!ok) {
    const cause = warnings.filter((w) => !/^Initialization of backend .* failed$/.test(w)).map((w) => w.split('\n')[0]);
    throw new BackendUnavailableError(`tf.setBackend('${name}') failed${cause.length > 0 ? `: ${cause.join('; ')}` : ''}`);
  }
  // tfjs-backend-cpu advertises tfjs-node on stderr; the report already explains the chain.
  for (const w of warnings) if (!w.includes('To speed things up dramatically')) original(w);
}

