/**
 * The deep-learning experiment model types (`qsa-head`, `qsa-full`, `cnn`) as every process sees them,
 * WITHOUT TensorFlow.js: their names, settings, checks and descriptions. The app's main process lists and
 * validates them from here and sends their trials to the one process that does deep work (the training
 * worker, src-main/runs/host.ts); that process — and the CLI, which runs them in-process — installs the
 * implementations from deep.ts with `installDeepImplementations` (deep.ts's
 * `registerDeepExperimentModels()`). Creating one where nothing was installed throws, so a mistake shows
 * up as an error instead of TensorFlow.js loading in the app's main process and freezing it.
 */
import type { BackendPreference } from '../../deep/backend-types';
import { BACKEND_PREFERENCES } from '../../deep/backend-types';
import type { ModelSpec } from '../types';
import type { DatasetShape, ExperimentModelType, ModelContext, TrialModel } from './model-type';

/** The architectures of src-main/deep/architectures.ts by name (deep.ts checks that the two lists agree). */
export const DEEP_ARCHITECTURES = ['tutorial-j-cnn', 'tutorial-g-cnn'] as const;
export type DeepArchitecture = (typeof DEEP_ARCHITECTURES)[number];

export function isDeepArchitecture(name: unknown): name is DeepArchitecture {
  return typeof name === 'string' && (DEEP_ARCHITECTURES as readonly string[]).includes(name);
}

export const DEEP_MODEL_TYPES = ['qsa-head', 'qsa-full', 'cnn'] as const;
export type DeepModelTypeName = (typeof DEEP_MODEL_TYPES)[number];

export function isDeepModelType(type: string): type is DeepModelTypeName {
  return (DEEP_MODEL_TYPES as readonly string[]).includes(type);
}

/** Mini-batch size and epochs of body training at one data fraction. */
export interface BatchEpochs {
  readonly batchSize: number;
  readonly epochs: number;
}

/** The tutorial's fixed batch size. */
export const DEFAULT_BATCH_SIZE = 100;
/** Adam's learning rate in Tutorial J. */
export const BODY_LEARNING_RATE = 0.001;

/**
 * Tutorial J's make_batch_epoch_dict_min_sample_repeat(25, φs, N_cand, 100, 4) for one φ: a fixed batch
 * of 100; 4 epochs when 4·N_cand·φ/100 > 25 batches, else ceil(25 / max(1, N_cand·φ/100)) epochs, so
 * every fraction sees at least 25 batches.
 */
export function defaultBatchEpochs(fraction: number, nCandidate: number, minBatches = 25, batchSize = DEFAULT_BATCH_SIZE, minEpochs = 4): BatchEpochs {
  const batchesPerEpoch = (nCandidate * fraction) / batchSize;
  const epochs = minEpochs * batchesPerEpoch > minBatches ? minEpochs : Math.ceil(minBatches / Math.max(1, batchesPerEpoch));
  return { batchSize, epochs };
}

/**
 * `0.001:24x50,0.01:100x4` → φ ↦ {batch, epochs}, like the tutorial's batch_epoch_dict. Throws RangeError
 * naming the bad entry.
 */
export function parseEpochsPerFraction(text: string): Record<string, BatchEpochs> {
  const out: Record<string, BatchEpochs> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const m = /^([0-9.eE+-]+):(\d+)x(\d+)$/.exec(entry);
    const fraction = m ? Number(m[1]) : Number.NaN;
    if (!m || !(fraction > 0 && fraction <= 1) || Number(m[2]) < 1 || Number(m[3]) < 1) {
      throw new RangeError(`--epochs-per-fraction entries are φ:BATCHxEPOCHS with φ in (0, 1], e.g. 0.01:100x4; got '${entry}'`);
    }
    out[String(fraction)] = { batchSize: Number(m[2]), epochs: Number(m[3]) };
  }
  if (Object.keys(out).length === 0) throw new RangeError('--epochs-per-fraction is empty');
  return out;
}

/** Settings of a deep model, as stored in its spec's params. */
export interface DeepParams {
  readonly architecture: DeepArchitecture | null;
  readonly initSeed: number;
  readonly learningRate: number;
  readonly batchEpochs: Readonly<Record<string, BatchEpochs>> | null;
  /** Which TensorFlow.js backend the deep process should use (`auto`: the first in deep/backends.ts's chain that loads). */
  readonly backend: BackendPreference;
}

function isBatchEpochs(v: unknown): v is BatchEpochs {
  if (!v || typeof v !== 'object') return false;
  const { batchSize, epochs } = v as Record<string, unknown>;
  return Number.isInteger(batchSize) && (batchSize as number) >= 1 && Number.isInteger(epochs) && (epochs as number) >= 1;
}

export function deepParams(spec: ModelSpec): DeepParams {
  const p = spec.params;
  const be = p.batchEpochs;
  const backend = typeof p.backend === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(p.backend) ? (p.backend as BackendPreference) : 'auto';
  return {
    architecture: isDeepArchitecture(p.architecture) ? p.architecture : null,
    initSeed: typeof p.initSeed === 'number' ? p.initSeed : 0,
    learningRate: typeof p.learningRate === 'number' ? p.learningRate : BODY_LEARNING_RATE,
    batchEpochs: be && typeof be === 'object' && Object.values(be).every(isBatchEpochs) ? (be as Record<string, BatchEpochs>) : null,
    backend,
  };
}

function checkImages(dataset: DatasetShape, spec: ModelSpec, who: string): string | null {
  if (!dataset.hasImages) return `${who} needs images (an image dataset); this dataset has ${dataset.nFeatures !== null ? 'numeric features only' : 'none'}`;
  const p = spec.params;
  if (p.architecture !== undefined && !isDeepArchitecture(p.architecture)) return `${who}: unknown architecture '${String(p.architecture)}' (known: ${DEEP_ARCHITECTURES.join(', ')})`;
  if (p.backend !== undefined && !(typeof p.backend === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(p.backend))) {
    return `${who}: unknown backend '${String(p.backend)}' (known: ${BACKEND_PREFERENCES.join(', ')})`;
  }
  if (p.batchEpochs !== undefined && deepParams(spec).batchEpochs === null) return `${who}: batch × epochs per fraction must be positive integers`;
  return null;
}

function specFor(type: DeepModelTypeName, argument: string | undefined): ModelSpec {
  if (argument === undefined) return { name: type, type, params: {} };
  if (!isDeepArchitecture(argument)) throw new RangeError(`${type}:ARCH takes one of ${DEEP_ARCHITECTURES.join(', ')}; got '${argument}'`);
  return { name: `${type}-${argument.replace(/-cnn$/, '')}`, type, params: { architecture: argument } };
}

export type DeepModelFactory = (context: ModelContext) => TrialModel;

/** The implementations installed in this process (deep.ts), by type. */
const implementations = new Map<DeepModelTypeName, DeepModelFactory>();

/** Makes `create` of the deep types work in this process: call only where TensorFlow.js may load. */
export function installDeepImplementations(factories: Readonly<Record<DeepModelTypeName, DeepModelFactory>>): void {
  for (const type of DEEP_MODEL_TYPES) implementations.set(type, factories[type]);
}

export function deepImplementationsInstalled(): boolean {
  return implementations.size === DEEP_MODEL_TYPES.length;
}

const DESCRIPTIONS: Readonly<Record<DeepModelTypeName, { kind: 'seldonian' | 'baseline'; description: string }>> = {
  'qsa-head': {
    kind: 'seldonian',
    description: "Tutorial J's body/head pipeline: CNN body trained on the candidate rows, QSA on the head (qsa-head:tutorial-g-cnn|tutorial-j-cnn)",
  },
  'qsa-full': {
    kind: 'seldonian',
    description: 'full-model QSA (Tutorials G/H): the whole CNN is the Seldonian model, mini-batches; slow (qsa-full:tutorial-g-cnn|tutorial-j-cnn)',
  },
  cnn: { kind: 'baseline', description: 'the full CNN trained on all trial rows without constraints (Adam, cross-entropy) (cnn:tutorial-g-cnn|tutorial-j-cnn)' },
};

/**
 * A deep model type. `create` defaults to the installed implementation; deep.ts passes its own for
 * types built with test hooks.
 */
export function deepModelType(type: DeepModelTypeName, create?: DeepModelFactory): ExperimentModelType {
  return {
    type,
    kind: DESCRIPTIONS[type].kind,
    inputs: 'images',
    execution: 'process',
    description: DESCRIPTIONS[type].description,
    spec: (argument) => specFor(type, argument),
    check: (dataset, spec) => checkImages(dataset, spec, type),
    create:
      create ??
      ((context) => {
        const factory = implementations.get(type);
        if (!factory) throw new Error(`${type} runs in the deep-learning worker process; TensorFlow.js is not loaded in this one`);
        return factory(context);
      }),
  };
}

/** The registered descriptors (registry.ts has them from the start, in every process). */
export const qsaHeadModel = deepModelType('qsa-head');
export const qsaFullModel = deepModelType('qsa-full');
export const cnnModel = deepModelType('cnn');
export const DEEP_MODEL_DESCRIPTORS: readonly ExperimentModelType[] = [qsaHeadModel, qsaFullModel, cnnModel];

/** What a caller may set for the deep models of an experiment (the CLI's flags, the app's start form). */
export interface DeepOptions {
  readonly initSeed?: number;
  readonly batchEpochs?: Record<string, BatchEpochs>;
  readonly architecture?: DeepArchitecture;
  readonly backend?: BackendPreference;
}

/**
 * Sets options of the deep models of a model list: the init seed (the same initial weights for every
 * trial), batch/epochs per fraction, the architecture (unless the entry named one) and the backend.
 */
export function withDeepOptions(specs: readonly ModelSpec[], options: DeepOptions): ModelSpec[] {
  return specs.map((s) =>
    isDeepModelType(s.type)
      ? {
          ...s,
          params: {
            ...(options.architecture !== undefined ? { architecture: options.architecture } : {}),
            ...s.params,
            ...(options.initSeed !== undefined ? { initSeed: options.initSeed } : {}),
            ...(options.batchEpochs ? { batchEpochs: options.batchEpochs } : {}),
            ...(options.backend !== undefined ? { backend: options.backend } : {}),
          },
        }
      : s,
  );
}

/** The backend preference of an experiment's deep models (the first that names one; `auto` otherwise). */
export function deepBackendOf(models: readonly ModelSpec[]): BackendPreference {
  for (const m of models) if (isDeepModelType(m.type) && m.params.backend !== undefined) return deepParams(m).backend;
  return 'auto';
}

/**
 * Whether a deep type's trials read every tensor asynchronously (training, latents, predictions), so the
 * webgpu backend can compute them; qsa-full's QSA reads gradients synchronously inside the engine's loop.
 */
export function readsTensorsAsync(type: DeepModelTypeName): boolean {
  return type !== 'qsa-full';
}

/** Whether any deep model of the list reads tensors synchronously: its process's chain then passes over webgpu. */
export function deepModelsReadSync(models: readonly ModelSpec[]): boolean {
  return models.some((m) => isDeepModelType(m.type) && !readsTensorsAsync(m.type));
}

/** The stream of the experiment's seed that draws the deep models' initial weights (as the CLI does). */
export const DEEP_INIT_SEED_STREAM = 0x6d6f64;
