/**
 * `fairbound audit --retrain-head`: a CLI-only step besides the audit use-case. It cuts a model's head and
 * runs the QSA on a fresh one over the body's latent features (audit/retrain-head.ts), then prints the
 * verdict and each constraint's safety-test bounds like `fairbound train`. No bounds of the given model
 * are computed here: that is the audit (services/audit.ts). The rows and their split come from
 * audit/retrain-head-rows.ts: a run's own split on its own dataset, so that no row that trained the body
 * becomes a safety row.
 */
import type { CompiledConstraint } from '../../../src-shared/constraint/ast';
import { auditImages, openAuditModel, type AuditModelSource } from '../../audit/model-audit';
import { RETRAIN_HEAD_DEFAULTS, retrainHead, retrainHeadOnLatents, type RetrainHeadResult, type RetrainHeadSettings } from '../../audit/retrain-head';
import { onnxLatents } from '../../audit/onnx/latents';
import { selectRows } from '../../audit/select-rows';
import type { OnnxPreprocessing } from '../../../src-shared/contract/schemas';
import type { IterationProgress } from '../../engine/qsa';
import type { LabelledRows } from '../../engine/data';
import { describeLoaded, selectBackend, type BackendPreference } from '../../deep/backends';
import { retrainHeadRows } from '../../audit/retrain-head-rows';
import { runSeeds } from '../../runs/prepare';
import type { BoundMethod } from '../../engine/constraint-bounds';
import { pretrainedBodySentence, qsaGuaranteeBound, qsaNoSolutionSentence, qsaPassedSentence, RUN_ESTIMATES } from '../../../src-shared/domain/guarantee-wording';
import { compileForDataset } from '../../engine/compile-for-dataset';
import { buildQsaReport } from '../../engine/report';
import { ConstraintCompileError } from '../../errors/constraint-compile-error';
import { InputError } from '../../errors/input-error';
import { constraintResults } from '../../runs/run-results';
import type { ReadableDB } from '../../store/database';
import { loadDatasetForTraining, type DatasetInfo, type TrainingData } from '../../store/datasets';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { integerOption, numberOption } from '../number-flags';
import { UsageError } from '../usage-error';
import { formatConstraint, formatGroups, formatTimings } from './train';

/** The retrain flags as given (parsed and checked here). */
export interface RetrainHeadFlags {
  readonly iterations?: string;
  readonly 'alpha-theta'?: string;
  readonly 'alpha-lambda'?: string;
  readonly 'lambda-init'?: string;
  readonly seed?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export interface RetrainHeadCommand {
  readonly db: ReadableDB;
  readonly info: DatasetInfo;
  readonly source: AuditModelSource;
  readonly constraints: readonly { readonly source: string; readonly delta: number }[];
  /** --frac-safety as given (null: not given; refused for a run on its own dataset, which uses the run's split). */
  readonly fracSafety: number | null;
  readonly method: BoundMethod;
  readonly backend: BackendPreference;
  readonly resize: number | null;
  /** An ONNX model (--model <file.onnx>): its pre-processing and where to cut (null: a TF.js model or a run). */
  readonly onnx: { readonly preprocessing: OnnxPreprocessing; readonly latentOutput?: string } | null;
  readonly flags: RetrainHeadFlags;
  readonly out: CliOutput;
}

function retrainSettings(flags: RetrainHeadFlags, nConstraints: number, fracSafety: number, method: BoundMethod): RetrainHeadSettings {
  const positive = (v: number) => v > 0;
  const lambdaValues = (flags['lambda-init'] ?? String(RETRAIN_HEAD_DEFAULTS.lambdaInit)).split(',').map((t) => numberOption('lambda-init', t, 0, (v) => v >= 0, 'a number ≥ 0 (or one per constraint, comma-separated)'));
  if (lambdaValues.length !== 1 && lambdaValues.length !== nConstraints) throw new UsageError(`--lambda-init needs one value or one per constraint (${nConstraints}), got ${lambdaValues.length}`);
  return {
    fracSafety,
    seed: runSeeds(integerOption('seed', flags.seed, 0, 0)).head,
    iterations: integerOption('iterations', flags.iterations, RETRAIN_HEAD_DEFAULTS.iterations, 1),
    alphaTheta: numberOption('alpha-theta', flags['alpha-theta'], RETRAIN_HEAD_DEFAULTS.alphaTheta, positive, 'a positive number'),
    alphaLambda: numberOption('alpha-lambda', flags['alpha-lambda'], RETRAIN_HEAD_DEFAULTS.alphaLambda, positive, 'a positive number'),
    lambdaInit: lambdaValues.length === 1 ? Array.from({ length: nConstraints }, () => lambdaValues[0]) : lambdaValues,
    boundMethod: method,
  };
}

export async function runRetrainHeadCommand(c: RetrainHeadCommand): Promise<number> {
  const { info, flags, out } = c;
  const data = loadDatasetForTraining(c.db, info.id);
  const constraints: CompiledConstraint[] = compileForDataset(c.constraints, { sensitiveColumns: data.sensitiveColumns, nClasses: info.nClasses }, (i, error) => new ConstraintCompileError(`--constraint ${i + 1}`, error));
  if (!data.images) throw new InputError(`dataset '${info.name}' holds numeric features, not images: a model is audited on an image dataset (audit its predictions with --predictions)`);
  const rows = retrainHeadRows(c.db, c.source, info.id, data.nRows, c.fracSafety, RETRAIN_HEAD_DEFAULTS.fracSafety);
  const settings = retrainSettings(flags, constraints.length, rows.fracSafety, c.method);
  let lastPrint = 0;
  const onIteration = (p: IterationProgress): void => {
    if (flags.quiet || flags.json) return;
    const now = performance.now();
    if (p.iteration !== 0 && p.iteration + 1 !== p.total && now - lastPrint < 2000) return;
    lastPrint = now;
    out.stderr(`  iteration ${p.iteration + 1}/${p.total}: f ${p.f.toFixed(4)}, g [${p.g.map((v) => v.toFixed(4)).join(', ')}]`);
  };
  const audited = selectRows(data, rows.order);
  const head = c.onnx !== null && c.source.kind === 'model' ? await onnxHead(c, c.onnx, data, rows.order, audited, constraints, settings, onIteration) : await tfjsHead(c, data, rows.order, audited, constraints, settings, onIteration);
  const { r, sourceText, backendName, backendText } = head;
  const result = r.result;
  // A model file's training rows are unknown (a run's are known: its own split, or another dataset).
  const pretrained = c.source.kind === 'model';
  const timings = { latents: r.timingsSeconds.latents, candidate_selection: r.timingsSeconds.candidateSelection, safety_test: r.timingsSeconds.safetyTest };
  const verdict = result.outcome.kind === 'passed' ? 'passed' : 'nsf';
  if (flags.json) {
    out.stdout(
      stringifyJson({
        verdict,
        dataset: { id: info.id, name: info.name },
        model: sourceText,
        backend: backendName,
        latent_dim: r.latentDim,
        replaced_head: r.replacedHead,
        n_rows: audited.nRows,
        // The head's rows as dataset row indices: the run's own split, or the engine's split of the stored order.
        rows: { split: rows.ofRun === null ? 'stored-order' : 'run', of_run: rows.ofRun, candidate_rows: Array.from(rows.order.subarray(0, rows.nCandidate)), safety_rows: Array.from(rows.order.subarray(rows.nCandidate)) },
        settings: { frac_safety: settings.fracSafety, iterations: settings.iterations, alpha_theta: settings.alphaTheta, alpha_lambda: settings.alphaLambda, lambda_init: settings.lambdaInit, seed: flags.seed === undefined ? 0 : Number(flags.seed), bound: c.method, kernel: r.kernel.name, kernel_threads: r.kernel.threads },
        group_accuracy: r.groupAccuracy,
        ...(pretrained ? { guarantee_note: pretrainedBodySentence() } : {}),
        ...buildQsaReport(result, constraints, r.nOutputs, timings),
      }),
    );
    return 0;
  }
  const cs = result.candidateSelection;
  const lines = [
    `retrained head on '${info.name}': ${verdict === 'passed' ? 'PASSED — the model passed the safety test' : `No Solution Found${result.outcome.kind === 'no_solution_found' ? ` (${result.outcome.message})` : ''}`}`,
    `${sourceText}: head (${r.replacedHead.inputDim} → ${r.replacedHead.units}) cut, a fresh ${r.nOutputs === 1 ? 'logistic' : `softmax (${r.nOutputs} classes)`} head on its ${r.latentDim}-d latent features; ` +
      `${audited.nRows} rows (${r.nCandidate} candidate / ${r.nSafety} safety, ${rows.ofRun === null ? `frac safety ${settings.fracSafety} of the stored order` : `run ${rows.ofRun}'s own split: its body never saw the safety rows`}); ${backendText}; head QSA on the ${r.kernel.name === 'simd' ? `SIMD kernel (${r.kernel.threads} threads)` : 'JS kernel'}`,
    ...constraintResults(result, constraints).flatMap(formatConstraint),
    // The safety test used this command's bound (Student-t or Hoeffding), so the sentence names that one.
    ...(verdict === 'passed'
      ? constraints.map((k) => `guarantee: ${qsaPassedSentence({ source: k.source, delta: k.delta, bound: qsaGuaranteeBound(c.method), estimates: RUN_ESTIMATES })}`)
      : [`guarantee: ${qsaNoSolutionSentence()}`]),
    ...(pretrained && verdict === 'passed' ? [`guarantee: ${pretrainedBodySentence()}`] : []),
  ];
  if (cs) {
    lines.push(
      `candidate selection: ${cs.iterationsRun}/${cs.iterationsPlanned} iterations, ` +
        (cs.outcome === 'nsf' ? 'stopped on a NaN/infinite value' : `chose iterate ${cs.chosenIndex} (${cs.foundFeasible ? 'predicted feasible' : 'none predicted feasible; smallest ‖g‖'})`),
    );
  }
  if (r.groupAccuracy) lines.push(`accuracy on the safety rows (threshold 0.5) of the ${r.groupAccuracy.of}: ${formatGroups(r.groupAccuracy.groups)}`);
  lines.push(`timings: ${formatTimings(timings)}`);
  out.stdout(lines.join('\n'));
  return 0;
}

interface TrainedHead {
  readonly r: RetrainHeadResult;
  readonly sourceText: string;
  /** What computed the latent features: its name (the --json field) and in words. */
  readonly backendName: string;
  readonly backendText: string;
}

/** A TF.js model file or a run's model: its head cut (deep/inference.ts), latents on the --backend chain. */
async function tfjsHead(c: RetrainHeadCommand, data: TrainingData, order: Int32Array, audited: LabelledRows, constraints: readonly CompiledConstraint[], settings: RetrainHeadSettings, onIteration: (p: IterationProgress) => void): Promise<TrainedHead> {
  const backend = await selectBackend(c.backend);
  if (!c.flags.quiet && !c.flags.json) c.out.stderr(`backend: ${backend.name} (${describeLoaded(backend)})`);
  const opened = await openAuditModel(c.db, c.source, data, c.info.name, c.resize);
  try {
    const { images } = auditImages(opened, data, c.info.name, order);
    const r = await retrainHead({ model: opened.model, images, data: audited, constraints, settings, onIteration });
    return { r, sourceText: opened.sourceText, backendName: backend.name, backendText: `backend ${backend.name}` };
  } finally {
    opened.model.dispose();
  }
}

/** An ONNX model: cut at its last Gemm/MatMul's input (or --latent-output), latents by ONNX Runtime. */
async function onnxHead(c: RetrainHeadCommand, onnx: NonNullable<RetrainHeadCommand['onnx']>, data: TrainingData, order: Int32Array, audited: LabelledRows, constraints: readonly CompiledConstraint[], settings: RetrainHeadSettings, onIteration: (p: IterationProgress) => void): Promise<TrainedHead> {
  const path = (c.source as Extract<AuditModelSource, { kind: 'model' }>).path;
  const images = data.images!;
  const started = performance.now();
  const latents = await onnxLatents(path, { pixels: images.pixels, n: data.nRows, height: images.height, width: images.width, channels: images.channels }, order, c.info.name, {
    preprocessing: onnx.preprocessing,
    resize: c.resize,
    ...(onnx.latentOutput !== undefined ? { latentOutput: onnx.latentOutput } : {}),
  });
  if (!c.flags.quiet && !c.flags.json) c.out.stderr(`latent features: '${latents.cutAt}' (${latents.dim}-d) on ${latents.backendText}`);
  const r = retrainHeadOnLatents({ latents: latents.latents, dim: latents.dim, latentSeconds: (performance.now() - started) / 1000, replacedHead: latents.replacedHead, data: audited, constraints, settings, onIteration });
  return { r, sourceText: `model ${path} (cut at '${latents.cutAt}')`, backendName: latents.backendText, backendText: latents.backendText };
}
