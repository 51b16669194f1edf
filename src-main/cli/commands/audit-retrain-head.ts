/**
 * `fairbound audit --retrain-head --run <id>`: a CLI-only step besides the audit use-case. It cuts a stored
 * run's model's head and runs the QSA on a fresh one over the body's latent features in this process
 * (audit/retrain-head.ts), then prints the verdict and each constraint's safety-test bounds like `fairbound
 * train`; nothing is stored. (A model file's path, `--model`, is a stored pretrained run:
 * audit-pretrained-run.ts, printed by printRetrainedHead below.) No bounds of the given model are computed
 * here: that is the audit (services/audit.ts). The rows and their split come from
 * audit/retrain-head-rows.ts: a run's own split on its own dataset, so that no row that trained the body
 * becomes a safety row.
 */
import type { CompiledConstraint } from '../../../src-shared/constraint/ast';
import { auditImages, openAuditModel, type AuditModelSource } from '../../audit/model-audit';
import { RETRAIN_HEAD_DEFAULTS, retrainHead, type RetrainHeadResult, type RetrainHeadSettings } from '../../audit/retrain-head';
import { selectRows } from '../../audit/select-rows';
import type { OnnxPreprocessing } from '../../../src-shared/contract/schemas';
import type { IterationProgress, QsaResult } from '../../engine/qsa';
import type { GroupAccuracy } from '../../runs/types';
import type { LabelledRows } from '../../engine/data';
import { describeLoaded, selectBackend, type BackendPreference } from '../../deep/backends';
import { retrainHeadRows, type RetrainHeadRows } from '../../audit/retrain-head-rows';
import { runSeeds } from '../../runs/prepare';
import type { BoundMethod } from '../../engine/constraint-bounds';
import { pretrainedBodySentence, qsaGuaranteeBound, qsaNoSolutionSentence, qsaPassedSentence, RUN_ESTIMATES } from '../../../src-shared/domain/guarantee-wording';
import { compileForDataset } from '../../engine/compile-for-dataset';
import { buildQsaReport } from '../../engine/report';
import { ConstraintCompileError } from '../../errors/constraint-compile-error';
import { InputError } from '../../errors/input-error';
import { constraintResults } from '../../runs/run-results';
import type { WritableDB } from '../../store/database';
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
  /** Writable: a model file's pretrained path stores its run. */
  readonly db: WritableDB;
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

export function retrainSettings(flags: RetrainHeadFlags, nConstraints: number, fracSafety: number, method: BoundMethod): RetrainHeadSettings {
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
  // A model file's pretrained path is a stored run (audit-pretrained-run.ts); a run's model stays this in-process step.
  if (c.source.kind !== 'run') throw new Error('runRetrainHeadCommand: a model file is a pretrained run (audit-pretrained-run.ts)');
  const { info, flags, out } = c;
  const data = loadDatasetForTraining(c.db, info.id);
  const constraints: CompiledConstraint[] = compileForDataset(c.constraints, { sensitiveColumns: data.sensitiveColumns, nClasses: info.nClasses }, (i, error) => new ConstraintCompileError(`--constraint ${i + 1}`, error));
  if (!data.images) throw new InputError(`dataset '${info.name}' holds numeric features, not images: a model is audited on an image dataset (audit its predictions with --predictions)`);
  const rows = retrainHeadRows(c.db, c.source, info.id, data.nRows, c.fracSafety, RETRAIN_HEAD_DEFAULTS.fracSafety);
  const settings = retrainSettings(flags, constraints.length, rows.fracSafety, c.method);
  const audited = selectRows(data, rows.order);
  const { r, sourceText, backendName, backendText } = await tfjsHead(c, data, rows.order, audited, constraints, settings, iterationPrinter(flags, out));
  printRetrainedHead(
    {
      info,
      sourceText,
      backendName,
      backendText,
      latentDim: r.latentDim,
      replacedHead: r.replacedHead,
      nOutputs: r.nOutputs,
      nCandidate: r.nCandidate,
      nSafety: r.nSafety,
      nRows: audited.nRows,
      rows,
      settings: { ...settings, seedFlag: flags.seed === undefined ? 0 : Number(flags.seed), bound: c.method, kernel: r.kernel },
      groupAccuracy: r.groupAccuracy,
      result: r.result,
      constraints,
      timings: { latents: r.timingsSeconds.latents, candidate_selection: r.timingsSeconds.candidateSelection, safety_test: r.timingsSeconds.safetyTest },
      // A run's training rows are known: its own split, or another dataset.
      pretrained: false,
      runId: null,
    },
    flags,
    out,
  );
  return 0;
}

/** Iteration lines on stderr, every 2 s (not with --json or --quiet). */
export function iterationPrinter(flags: RetrainHeadFlags, out: CliOutput): (p: { iteration: number; total: number; f: number; g: readonly number[] }) => void {
  let lastPrint = 0;
  return (p) => {
    if (flags.quiet || flags.json) return;
    const now = performance.now();
    if (p.iteration !== 0 && p.iteration + 1 !== p.total && now - lastPrint < 2000) return;
    lastPrint = now;
    out.stderr(`  iteration ${p.iteration + 1}/${p.total}: f ${p.f.toFixed(4)}, g [${p.g.map((v) => v.toFixed(4)).join(', ')}]`);
  };
}

/** What `audit --retrain-head` prints, from a head retrained in-process or a stored pretrained run. */
export interface RetrainedHeadView {
  readonly info: DatasetInfo;
  readonly sourceText: string;
  /** What computed the latent features: its name (the --json field) and in words. */
  readonly backendName: string;
  readonly backendText: string;
  readonly latentDim: number;
  readonly replacedHead: { readonly inputDim: number; readonly units: number };
  readonly nOutputs: number;
  readonly nCandidate: number;
  readonly nSafety: number;
  readonly nRows: number;
  readonly rows: RetrainHeadRows;
  readonly settings: {
    readonly fracSafety: number;
    readonly iterations: number;
    readonly alphaTheta: number;
    readonly alphaLambda: number;
    readonly lambdaInit: readonly number[];
    readonly seedFlag: number;
    readonly bound: BoundMethod;
    readonly kernel: { readonly name: string; readonly threads: number };
  };
  readonly groupAccuracy: { readonly of: 'solution' | 'candidate'; readonly groups: readonly GroupAccuracy[] } | null;
  readonly result: QsaResult;
  readonly constraints: readonly CompiledConstraint[];
  readonly timings: { readonly latents: number; readonly candidate_selection: number; readonly safety_test: number };
  /** A model file: its training rows are unknown (the verdict says so). */
  readonly pretrained: boolean;
  /** The stored run (a model file's pretrained path), or null. */
  readonly runId: number | null;
}

export function printRetrainedHead(v: RetrainedHeadView, flags: RetrainHeadFlags, out: CliOutput): void {
  const { info, rows, settings, result, constraints } = v;
  const verdict = result.outcome.kind === 'passed' ? 'passed' : 'nsf';
  if (flags.json) {
    out.stdout(
      stringifyJson({
        verdict,
        ...(v.runId !== null ? { run_id: v.runId } : {}),
        dataset: { id: info.id, name: info.name },
        model: v.sourceText,
        backend: v.backendName,
        latent_dim: v.latentDim,
        replaced_head: v.replacedHead,
        n_rows: v.nRows,
        // The head's rows as dataset row indices: the run's own split, or the engine's split of the stored order.
        rows: { split: rows.ofRun === null ? 'stored-order' : 'run', of_run: rows.ofRun, candidate_rows: Array.from(rows.order.subarray(0, rows.nCandidate)), safety_rows: Array.from(rows.order.subarray(rows.nCandidate)) },
        settings: { frac_safety: settings.fracSafety, iterations: settings.iterations, alpha_theta: settings.alphaTheta, alpha_lambda: settings.alphaLambda, lambda_init: settings.lambdaInit, seed: settings.seedFlag, bound: settings.bound, kernel: settings.kernel.name, kernel_threads: settings.kernel.threads },
        group_accuracy: v.groupAccuracy,
        ...(v.pretrained ? { guarantee_note: pretrainedBodySentence() } : {}),
        ...buildQsaReport(result, constraints, v.nOutputs, v.timings),
      }),
    );
    return;
  }
  const cs = result.candidateSelection;
  const lines = [
    `retrained head on '${info.name}': ${verdict === 'passed' ? 'PASSED — the model passed the safety test' : `No Solution Found${result.outcome.kind === 'no_solution_found' ? ` (${result.outcome.message})` : ''}`}`,
    `${v.sourceText}: head (${v.replacedHead.inputDim} → ${v.replacedHead.units}) cut, a fresh ${v.nOutputs === 1 ? 'logistic' : `softmax (${v.nOutputs} classes)`} head on its ${v.latentDim}-d latent features; ` +
      `${v.nRows} rows (${v.nCandidate} candidate / ${v.nSafety} safety, ${rows.ofRun === null ? `frac safety ${settings.fracSafety} of the stored order` : `run ${rows.ofRun}'s own split: its body never saw the safety rows`}); ${v.backendText}; head QSA on the ${settings.kernel.name === 'simd' ? `SIMD kernel (${settings.kernel.threads} threads)` : 'JS kernel'}`,
    ...constraintResults(result, constraints).flatMap(formatConstraint),
    // The safety test used this command's bound (Student-t or Hoeffding), so the sentence names that one.
    ...(verdict === 'passed'
      ? constraints.map((k) => `guarantee: ${qsaPassedSentence({ source: k.source, delta: k.delta, bound: qsaGuaranteeBound(settings.bound), estimates: RUN_ESTIMATES })}`)
      : [`guarantee: ${qsaNoSolutionSentence()}`]),
    ...(v.pretrained && verdict === 'passed' ? [`guarantee: ${pretrainedBodySentence()}`] : []),
  ];
  if (cs) {
    lines.push(
      `candidate selection: ${cs.iterationsRun}/${cs.iterationsPlanned} iterations, ` +
        (cs.outcome === 'nsf' ? 'stopped on a NaN/infinite value' : `chose iterate ${cs.chosenIndex} (${cs.foundFeasible ? 'predicted feasible' : 'none predicted feasible; smallest ‖g‖'})`),
    );
  }
  if (v.groupAccuracy) lines.push(`accuracy on the safety rows (threshold 0.5) of the ${v.groupAccuracy.of}: ${formatGroups(v.groupAccuracy.groups)}`);
  lines.push(`timings: ${formatTimings(v.timings)}`);
  if (v.runId !== null) lines.push(`stored as run ${v.runId} (\`fairbound run show ${v.runId}\`, \`fairbound report run:${v.runId} --out report.html\`)`);
  out.stdout(lines.join('\n'));
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
