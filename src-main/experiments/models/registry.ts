/**
 * The model registry: model types by their command-line name. The built-in types are here from the
 * start, so every thread that imports this module (the experiment's worker threads too) knows them, and
 * so are the deep-learning types (`qsa-head`, `qsa-full`, `cnn`) as descriptors without TensorFlow.js
 * (deep-types.ts): every process can list and validate them; only a process that installed their
 * implementations (deep.ts) can run them. A type that runs `in-process` can also be registered at run
 * time; one that runs in workers must be added to BUILTIN_MODEL_TYPES, since a worker thread only has
 * the modules its entry imports.
 */
import { logisticModel, uniformRandomModel, weightedRandomModel } from './baselines';
import { DEEP_MODEL_DESCRIPTORS } from './deep-types';
import type { ExperimentModelType } from './model-type';
import { qsaFeaturesModel } from './qsa-features';
import type { ModelSpec } from '../types';

export const BUILTIN_MODEL_TYPES: readonly ExperimentModelType[] = [qsaFeaturesModel, logisticModel, uniformRandomModel, weightedRandomModel];

const registry = new Map<string, ExperimentModelType>([...BUILTIN_MODEL_TYPES, ...DEEP_MODEL_DESCRIPTORS].map((t) => [t.type, t]));

export function registerExperimentModelType(type: ExperimentModelType): void {
  if (!/^[a-z][a-z0-9-]*$/.test(type.type)) throw new RangeError(`model type names are lower-case words joined by '-', got '${type.type}'`);
  const existing = registry.get(type.type);
  if (existing && existing !== type) throw new RangeError(`model type '${type.type}' is already registered`);
  if (type.execution === 'worker' && !BUILTIN_MODEL_TYPES.includes(type)) {
    throw new RangeError(`model type '${type.type}' runs in workers, so it must be one of BUILTIN_MODEL_TYPES (workers only know those)`);
  }
  registry.set(type.type, type);
}

export function findExperimentModelType(type: string): ExperimentModelType | undefined {
  return registry.get(type);
}

export function experimentModelType(type: string): ExperimentModelType {
  const found = registry.get(type);
  if (!found) throw new RangeError(`unknown model '${type}' (known: ${[...registry.keys()].join(', ')})`);
  return found;
}

export function listExperimentModelTypes(): ExperimentModelType[] {
  return [...registry.values()];
}

/**
 * `qsa-features,logistic,uniform-random,weighted-random:0.7` → model specs, in order, names unique.
 * Throws RangeError naming the bad entry.
 */
export function parseModelList(text: string): ModelSpec[] {
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) throw new RangeError('no models given');
  const specs = entries.map((entry) => {
    const colon = entry.indexOf(':');
    const typeName = colon < 0 ? entry : entry.slice(0, colon);
    const argument = colon < 0 ? undefined : entry.slice(colon + 1);
    return experimentModelType(typeName).spec(argument);
  });
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new RangeError(`model '${s.name}' is listed twice`);
    seen.add(s.name);
  }
  return specs;
}
