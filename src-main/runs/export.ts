/**
 * Exports of a finished run:
 * - its head problem as a case in the golden fixtures' format (data.csv.gz, metadata.json,
 *   theta_init.json, spec.json; shared/fixtures/seldonian/README.md), so that `fairbound qsa --spec`
 *   reproduces the run's head QSA from files alone. Features are written as the shortest decimal that
 *   reads back as the same float64 (the float32 latent widened), the very values the run's QSA used;
 * - its CNN in the TF.js layers format or as one ONNX file: the Seldonian model (the trained body with the
 *   QSA's head, or the full pipeline's solution θ), the candidate, the body-trained CNN or the initial one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors/input-error';
import { refuseExisting, writeFileSafely, type SafeWriteOptions } from '../data/safe-write';
import { buildModel } from '../deep/architectures';
import { cnnArchitecture } from './pipeline-steps';
import { pretrainedHeadKind, pretrainedOnnxBytes, type PretrainedHead, type PretrainedWhich } from './pretrained-export';
import { exportPretrainedTfjs } from './pretrained-tfjs-export';
import { saveModel, type SavedModelFiles } from '../deep/export';
import { forwardModelOf } from '../deep/onnx/tfjs-model';
import { setWeights, type WeightsByValue } from '../deep/weights';
import type { ReadableDB } from '../store/database';
import { getDataset, loadDatasetForTraining } from '../store/datasets';
import { getRunLatents, getRunRows, getRunWeights, type RunWeights, type RunWeightsKind } from '../store/run-results';
import { getRun, type RunInfo } from '../store/runs';

/** The run, which must have finished with results. */
function finishedRun(db: ReadableDB, runId: number): RunInfo {
  const run = getRun(db, runId);
  if (!run) throw new InputError(`no run ${runId} in this workspace (see \`fairbound runs\`)`);
  if (run.status !== 'passed' && run.status !== 'nsf') {
    throw new InputError(`run ${runId} is ${run.status}${run.error ? ` (${run.error})` : ''}: only a finished run (passed or NSF) has results to export`);
  }
  return run;
}

function requireWeights(db: ReadableDB, runId: number, kind: RunWeightsKind): RunWeights {
  const w = getRunWeights(db, runId, kind);
  if (!w) throw new Error(`run ${runId} has no stored '${kind}' weights`);
  return w;
}

/** A name not in `taken`: `base`, else `base_2`, `base_3`, … */
function freeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

export interface LatentsCaseFiles {
  readonly spec: string;
  readonly data: string;
  readonly metadata: string;
  readonly thetaInit: string;
  readonly nRows: number;
  readonly nFeatures: number;
}

/**
 * Writes the run's head QSA as a fixtures-style case in `outDir`: the latent features of every run row
 * (run order: candidate rows first), the sensitive columns and the label; the head's θ₀; the run's
 * constraints, δs, safety fraction and optimiser settings.
 */
export function exportLatentsCase(db: ReadableDB, runId: number, outDir: string, options: SafeWriteOptions = {}): LatentsCaseFiles {
  const run = finishedRun(db, runId);
  if (run.pipeline === 'full') throw new InputError(`run ${runId} is a full-model run: it has no latent features (export-latents is for head and pretrained runs)`);
  const latents = getRunLatents(db, runId);
  const rows = getRunRows(db, runId);
  if (!latents || !rows) throw new Error(`run ${runId} has no stored latent features or row list`);
  if (run.datasetId === null || !getDataset(db, run.datasetId)) throw new InputError(`run ${runId}'s dataset '${run.datasetName}' was deleted: its labels and groups are gone`);
  const data = loadDatasetForTraining(db, run.datasetId);
  const s = run.settings;
  const k = data.sensitiveColumns.length;
  const d = latents.dim;
  const thetaInit = requireWeights(db, runId, 'head_initial').data as Float64Array;

  // Column names: the dataset's sensitive columns and label as they are; features z0..z{d−1} unless taken.
  const taken = new Set<string>(data.sensitiveColumns);
  const label = freeName('label', taken);
  taken.add(label);
  let prefix = 'z';
  while ([...taken].some((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))) prefix = `${prefix}_`;
  const features = Array.from({ length: d }, (_, j) => `${prefix}${j}`);

  const lines: string[] = [];
  const cells: string[] = new Array(d + k + 1);
  for (let i = 0; i < latents.nRows; i++) {
    const r = rows.rowOrder[i];
    // String(float64) is the shortest decimal that reads back as exactly this double.
    for (let j = 0; j < d; j++) cells[j] = String(latents.data[i * d + j]);
    for (let c = 0; c < k; c++) cells[d + c] = String(data.sensitive[r * k + c]);
    cells[d + k] = String(data.labels[r]);
    lines.push(cells.join(','));
  }

  mkdirSync(outDir, { recursive: true });
  const files = {
    data: join(outDir, 'data.csv.gz'),
    metadata: join(outDir, 'metadata.json'),
    thetaInit: join(outDir, 'theta_init.json'),
    spec: join(outDir, 'spec.json'),
  };
  // All four files or none: an existing one is refused before any is written (unless overwrite).
  refuseExisting(Object.values(files), options);
  const writeAtomically = (path: string, text: string | Uint8Array): void => writeFileSafely(path, text, options);
  const multiclass = s.numClasses > 2;
  writeAtomically(files.data, gzipSync(lines.join('\n') + '\n'));
  writeAtomically(
    files.metadata,
    JSON.stringify(
      {
        regime: 'supervised_learning',
        sub_regime: multiclass ? 'multiclass_classification' : 'classification',
        all_col_names: [...features, ...data.sensitiveColumns, label],
        label_col_names: [label],
        sensitive_col_names: data.sensitiveColumns,
      },
      null,
      1,
    ),
  );
  const theta = multiclass
    ? Array.from({ length: d + 1 }, (_, i) => Array.from(thetaInit.subarray(i * s.numClasses, (i + 1) * s.numClasses)))
    : Array.from(thetaInit);
  writeAtomically(files.thetaInit, JSON.stringify(theta));
  writeAtomically(
    files.spec,
    JSON.stringify(
      {
        constraints: run.constraints.map((c) => c.source),
        deltas: run.constraints.map((c) => c.delta),
        frac_data_in_safety: s.fracSafety,
        optimization: {
          model: s.qsaModel,
          primary_objective: s.objective,
          initial_solution: 'theta_init',
          optimization_technique: 'gradient_descent',
          optimizer: 'adam',
          hyperparams: {
            lambda_init: [...s.qsa.lambdaInit],
            alpha_theta: s.qsa.alphaTheta,
            alpha_lamb: s.qsa.alphaLambda,
            beta_velocity: s.qsa.betaVelocity,
            beta_rmsprop: s.qsa.betaRmsprop,
            use_batches: false,
            num_iters: s.qsa.numIters,
          },
        },
        files: { data: 'data.csv.gz', metadata: 'metadata.json', theta_init: 'theta_init.json' },
        fairbound_run: { id: run.id, dataset: run.datasetName, pipeline: run.pipeline, architecture: run.architecture, seed: run.seed },
      },
      null,
      1,
    ),
  );
  return { ...files, nRows: latents.nRows, nFeatures: d };
}

export type ExportedModel = 'seldonian' | 'candidate' | 'trained' | 'initial';

/** Stored weights (names, shapes, concatenated data) as WeightsByValue. */
export function splitWeights(w: RunWeights): WeightsByValue {
  const data: Float32Array[] = [];
  let offset = 0;
  for (const shape of w.shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    data.push(Float32Array.from(w.data.subarray(offset, offset + size)));
    offset += size;
  }
  if (offset !== w.data.length) throw new Error(`weights '${w.kind}': shapes cover ${offset} values, the blob holds ${w.data.length}`);
  return { names: w.names, shapes: w.shapes, data };
}

/**
 * The head's θ as Dense(d → K) weights: multiclass θ[0] biases, θ[1+i][k] kernel; binary θ = [b, w]
 * becomes the two-logit layer kernel[:,0] = 0, kernel[:,1] = w, bias = [0, b], whose softmax column 1 is
 * σ(b + x·w), the logistic model itself.
 */
export function headThetaAsDense(theta: Float64Array, inputDim: number, numClasses: number): { kernel: Float32Array; bias: Float32Array } {
  const kernel = new Float32Array(inputDim * numClasses);
  const bias = new Float32Array(numClasses);
  if (numClasses === 2) {
    if (theta.length !== inputDim + 1) throw new Error(`binary head θ has ${theta.length} values, expected ${inputDim + 1}`);
    bias[1] = theta[0];
    for (let i = 0; i < inputDim; i++) kernel[i * 2 + 1] = theta[1 + i];
  } else {
    if (theta.length !== (inputDim + 1) * numClasses) throw new Error(`head θ has ${theta.length} values, expected ${(inputDim + 1) * numClasses}`);
    bias.set(theta.subarray(0, numClasses));
    kernel.set(theta.subarray(numClasses));
  }
  return { kernel, bias };
}

/** The run's CNN with the chosen weights, as a tf.LayersModel (the caller disposes it). */
export function runModel(db: ReadableDB, runId: number, which: ExportedModel): tf.LayersModel {
  const run = finishedRun(db, runId);
  const s = run.settings;
  if (s.pretrained) {
    throw new InputError(
      s.pretrained.kind === 'onnx'
        ? `run ${runId} is a pretrained run on the ONNX model ${s.pretrained.path}: it has no TF.js model (export it with --format onnx: the source graph cut at its latent features plus the run's head)`
        : `run ${runId} is a pretrained run on the TF.js model ${s.pretrained.path}: its model is the source model's body with the run's head, opened from its export (\`fairbound run export-model ${runId}\`)`,
    );
  }
  const head = run.pipeline === 'head';
  if (which === 'trained' && !head) throw new InputError(`run ${runId} is a full-model run: there is no separately trained CNN (use seldonian, candidate or initial)`);
  const thetaKind: RunWeightsKind | null =
    which === 'seldonian' ? (head ? 'head_solution' : 'theta_solution') : which === 'candidate' ? (head ? 'head_candidate' : 'theta_candidate') : null;
  const theta = thetaKind ? getRunWeights(db, runId, thetaKind) : null;
  if (thetaKind && !theta) {
    throw new InputError(
      which === 'seldonian'
        ? `run ${runId} returned No Solution Found: there is no Seldonian model (export --which candidate, trained or initial instead)`
        : `run ${runId} has no candidate solution (candidate selection ended in NSF)`,
    );
  }
  const model = buildModel(cnnArchitecture(s), { numClasses: s.numClasses, seed: run.seeds.model, inputShape: [s.inputShape[0], s.inputShape[1], s.inputShape[2]] });
  try {
    const base = head && which !== 'initial' ? 'cnn_trained' : 'cnn_initial';
    const weights = splitWeights(requireWeights(db, runId, base));
    if (theta && head) {
      const headIndex = (suffix: string) => weights.names.indexOf(`head/${suffix}`);
      const inputDim = weights.shapes[headIndex('kernel')][0];
      const dense = headThetaAsDense(theta.data as Float64Array, inputDim, s.numClasses);
      (weights.data as Float32Array[])[headIndex('kernel')] = dense.kernel;
      (weights.data as Float32Array[])[headIndex('bias')] = dense.bias;
    } else if (theta) {
      // Full pipeline: θ covers the trainable weights in order; the rest (batch-norm statistics) stay.
      const parts = splitWeights(theta);
      parts.names.forEach((name, i) => {
        const at = weights.names.indexOf(name);
        if (at < 0) throw new Error(`run ${runId}: θ names weight '${name}', which the model does not have`);
        (weights.data as Float32Array[])[at] = parts.data[i];
      });
    }
    setWeights(model, weights);
    model.setUserDefinedMetadata({
      ...(model.getUserDefinedMetadata() as Record<string, unknown>),
      fairboundRun: { id: run.id, status: run.status, weights: which, pipeline: run.pipeline, constraints: run.constraints },
    });
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Writes the run's model (see runModel) to `outDir` as model.json + weights.bin (existing files only with overwrite). */
export async function exportRunModel(
  db: ReadableDB,
  runId: number,
  outDir: string,
  which: ExportedModel = 'seldonian',
  options: SafeWriteOptions = {},
): Promise<SavedModelFiles> {
  const finished = finishedRun(db, runId);
  if (finished.settings.pretrained?.kind === 'tfjs') return exportPretrainedTfjs(finished, pretrainedHead(db, finished, which), which as PretrainedWhich, outDir, options);
  const model = runModel(db, runId, which);
  try {
    return await saveModel(model, outDir, options);
  } finally {
    model.dispose();
  }
}

export interface OnnxModelFile {
  readonly path: string;
  readonly bytes: number;
  /** [batch, channels, height, width], float32 in [0, 1]. */
  readonly input: readonly (number | string)[];
  /** [batch, classes]: class probabilities. */
  readonly output: readonly (number | string)[];
}

/**
 * Writes the run's model (see runModel: for a head run the trained body with the QSA's head) as one ONNX
 * file: input `image` NCHW float32 in [0, 1] at the run's input size, output `probabilities` (softmax over
 * the classes), the run's identity in the model's metadata. Existing files only with overwrite.
 */
export function exportRunModelOnnx(db: ReadableDB, runId: number, outFile: string, which: ExportedModel = 'seldonian', options: SafeWriteOptions = {}): OnnxModelFile {
  refuseExisting([outFile], options);
  const finished = finishedRun(db, runId);
  if (finished.settings.pretrained) return exportPretrainedOnnx(db, finished, outFile, which, options);
  const model = runModel(db, runId, which);
  try {
    const run = getRun(db, runId) as RunInfo;
    const [h, w, c] = run.settings.inputShape;
    const bytes = forwardModelOf(model, 'probabilities', {
      description:
        `Fairbound run ${runId} (${run.architecture}, ${which} model, ${run.status}). Input 'image': N×${c}×${h}×${w} float32, ` +
        `pixels / 255 after resizing to ${h}×${w}; output 'probabilities': N×${run.settings.numClasses} class probabilities.`,
      metadata: { fairbound_run: JSON.stringify({ id: run.id, status: run.status, weights: which, pipeline: run.pipeline, architecture: run.architecture, constraints: run.constraints }) },
    });
    writeFileSafely(outFile, bytes, options);
    return { path: outFile, bytes: bytes.length, input: ['batch', c, h, w], output: ['batch', run.settings.numClasses] };
  } finally {
    model.dispose();
  }
}

/** Where a pretrained run cut its source model, and its `which` head θ as a dense layer. */
function pretrainedHead(db: ReadableDB, run: RunInfo, which: ExportedModel): PretrainedHead {
  const body = run.result?.pretrainedBody;
  const dim = run.result?.latentDim;
  if (!body || dim === null || dim === undefined) throw new Error(`run ${run.id} has no record of where its model was cut`);
  const theta = getRunWeights(db, run.id, pretrainedHeadKind(run, which));
  if (!theta) throw new InputError(which === 'seldonian' ? `run ${run.id} returned No Solution Found: there is no Seldonian model (export --which candidate or initial instead)` : `run ${run.id} has no candidate solution (candidate selection ended in NSF)`);
  const numClasses = run.settings.numClasses;
  const dense = headThetaAsDense(theta.data as Float64Array, dim, numClasses);
  return { cutAt: body.cutAt, kernel: dense.kernel, bias: dense.bias, inputDim: dim, numClasses };
}

/** A pretrained run on an ONNX model: its source graph cut where the run cut it, then the run's head (runs/pretrained-export.ts). */
function exportPretrainedOnnx(db: ReadableDB, run: RunInfo, outFile: string, which: ExportedModel, options: SafeWriteOptions): OnnxModelFile {
  const source = run.settings.pretrained!;
  if (source.kind !== 'onnx') {
    throw new InputError(
      `run ${run.id} is a pretrained run on the TF.js model ${source.path}: it has no ONNX export (the source model's layers are not all ones Fairbound writes as ONNX); ` +
        `export it in the TF.js layers format (without --format onnx: the source model's body with the run's head)`,
    );
  }
  const head = pretrainedHead(db, run, which);
  const { bytes, input } = pretrainedOnnxBytes(run, head, which as PretrainedWhich);
  writeFileSafely(outFile, bytes, options);
  return { path: outFile, bytes: bytes.length, input, output: ['batch', head.numClasses] };
}
