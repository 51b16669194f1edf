import { parseArgs } from 'node:util';
import { BACKEND_PREFERENCES, type BackendPreference } from '../../deep/backend-types';
import { isArchitectureName } from '../../deep/architectures';
import { DeepWorkerQueue } from '../../jobs/worker-queue/deep-worker-queue';
import type { RunOutcome } from '../../runs/pipeline';
import { serveTrainingWorker } from '../../jobs/worker/serve';
import type { GroupAccuracy, RunEvent } from '../../runs/types';
import { openWorkspace, resolveDatabasePath } from '../../store/database';
import { tryRecoverInterrupted } from '../../store/interrupted';
import { getRunConstraints, type RunConstraintResult } from '../../store/run-results';
import { getRun, type RunInfo } from '../../store/runs';
import { runInput, type RunInput } from '../../../src-shared/contract/run-input';
import { parseFlagInput } from '../flag-input';
import { runDetail } from '../../../src-shared/contract/schemas';
import { groupAccuracyLabel, pretrainedBodySentence, qsaGuaranteeBound, qsaNoSolutionSentence, qsaPassedSentence, RUN_ESTIMATES } from '../../../src-shared/domain/guarantee-wording';
import { qsaBoundLabel } from '../../../src-shared/domain/qsa';
import { runBoundMethod, type RunSettings } from '../../../src-shared/domain/runs';
import { storedRunDetail } from '../../services/runs';
import { contractJson } from '../contract-json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';

export const trainHelp = `fairbound train --dataset <name|id> --constraint '<str>' [--constraint …] [--delta 0.05 [--delta …]]
                 --pipeline head|full --model tutorial-j-cnn|tutorial-g-cnn
                 [--epochs N] [--batch-size B] [--learning-rate L] [--iterations N] [--frac-safety 0.5]
                 [--seed S] [--backend auto|tensorflow|webgpu|onnxruntime|wasm|cpu] [--rows N] [--resize S] [--shuffle-seed S]
                 [--alpha-theta A] [--alpha-lambda A] [--lambda-init L] [--bound student-t|hoeffding|exact]
                 [--db <file>] [--json] [--quiet]
  Trains a classifier under the constraints with the quasi-Seldonian algorithm and stores the run.
  --pipeline head (Tutorial J): splits the rows (candidate = the first round(N·(1−frac)) rows, safety =
    the rest), trains the CNN on the candidate rows only (Adam; --epochs, default 4; --batch-size, 100;
    --learning-rate, 0.001), cuts its head, maps every row through the body to latent features and runs
    the QSA on an untrained head over them (full batch, --iterations, default 1200; α_θ = α_λ = 0.01).
  --pipeline full (Tutorials G/H): the whole CNN is the Seldonian model; the QSA runs on mini-batches
    (--batch-size, default 150) for --epochs (default 5) with α_θ = --learning-rate (default 0.001), α_λ 0.01.
  --bound: the QSA's bound, in the safety test and in candidate selection's prediction of it: student-t
    (default, the engine's: approximate), hoeffding, or exact (the betting bound on the safety rows in
    their order); the last two are valid without approximation for the QSA's soft estimators in [0, 1].
  --rows N uses only the first N rows of the dataset; --resize S resizes images to S×S (bilinear), e.g.
  --resize 48 for tutorial-j-cnn on 28×28 Fashion-MNIST; --shuffle-seed reorders the run's rows first.
  Progress goes to stderr (not with --quiet); the result (verdict, each constraint's safety-test bound and
  base-node intervals, the guarantee of a passed run, accuracy per group on the safety rows at threshold 0.5, timings, backend) to stdout.
  Ctrl-C cancels the run. Exit 0 when the run finished (passed or No Solution Found), 1 when it failed or
  was cancelled, 2 for bad input. Runs are listed by \`fairbound runs\` and shown by \`fairbound run show <id>\`.`;

function integerOption(name: string, raw: string | undefined, min = 1): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return value;
}

function numberOption(name: string, raw: string | undefined, check: (v: number) => boolean, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return value;
}

function seconds(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(value < 10 ? 2 : 1)} s`;
}

function formatNumber(value: number | null, digits = 4): string {
  if (value === null) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+∞' : '−∞';
  return value.toFixed(digits);
}

export function formatGroups(groups: readonly GroupAccuracy[]): string {
  return groups.map((g) => `${g.group} ${Number.isNaN(g.accuracy) ? '—' : g.accuracy.toFixed(3)} (n=${g.n})`).join(', ');
}

export function formatConstraint(c: RunConstraintResult): string[] {
  const verdict = c.passed === null ? 'no safety test (candidate selection returned NSF)' : `safety upper bound ${formatNumber(c.upperBound)} ${c.passed ? '≤ 0 ✓' : '> 0 ✗'}`;
  return [
    `constraint ${c.source} (δ ${c.delta}): ${verdict}`,
    ...c.nodes.map((n) => `    ${n.name}: mean ${formatNumber(n.mean)}, interval [${formatNumber(n.lower)}, ${formatNumber(n.upper)}] (n=${n.nSamples})`),
  ];
}

const TIMING_ORDER = ['loading', 'training', 'latents', 'candidate_selection', 'safety_test', 'evaluation', 'saving', 'total'];

export function formatTimings(timings: Readonly<Record<string, number>>): string {
  const keys = [...TIMING_ORDER.filter((k) => k in timings), ...Object.keys(timings).filter((k) => !TIMING_ORDER.includes(k))];
  return keys.map((k) => `${k.replace('_', ' ')} ${seconds(timings[k])}`).join(', ');
}

/** The images the model took: a pretrained run stores them at their own size and its body resizes them. */
function inputText(s: RunSettings): string {
  if (s.pipeline === 'pretrained') return `${s.sourceShape.join('×')} images${s.resize !== null ? ` resized to ${s.resize}×${s.resize}` : ''}`;
  return `${s.inputShape.join('×')}${s.resize !== null ? ` (resized from ${s.sourceShape.join('×')})` : ''}`;
}

/** The human summary of a run (shared with `run show`). */
export function formatRun(run: RunInfo, constraints: readonly RunConstraintResult[]): string {
  const s = run.settings;
  const verdict =
    run.status === 'passed'
      ? 'PASSED — the model passed the safety test'
      : run.status === 'nsf'
        ? `No Solution Found${run.result?.outcome.message ? ` (${run.result.outcome.message})` : ''}\n${qsaNoSolutionSentence()}`
        : run.status.toUpperCase() + (run.error ? `: ${run.error}` : '');
  const lines = [
    `run ${run.id}: ${verdict}`,
    `dataset '${run.datasetName}', ${run.nRows} rows (${run.nCandidate} candidate / ${run.nSafety} safety), ${run.pipeline} pipeline, ` +
      `${run.architecture} on ${inputText(s)}, ${s.numClasses} classes, seed ${run.seed}`,
    `backend: ${run.backend ? `${run.backend.name} (${run.backend.package} ${run.backend.version}${run.backend.adapter ? `, adapter '${run.backend.adapter.description || run.backend.adapter.device}'${run.backend.adapter.software ? ' (software)' : ''}` : ''})${run.backend.cpuEngine ? `; the CNN trained and ran on ${run.backend.cpuEngine}` : ''}` : `not started (${run.backendPreference})`}`,
    `QSA bound: ${qsaBoundLabel(runBoundMethod(s))}`,
  ];
  for (const c of constraints) lines.push(...formatConstraint(c));
  if (s.pretrained) lines.splice(2, 0, `pretrained ${s.pretrained.kind === 'onnx' ? 'ONNX' : 'TF.js'} model ${s.pretrained.path} (SHA-256 ${s.pretrained.files[0]?.sha256 ?? '—'})${run.result?.pretrainedBody ? `, cut at '${run.result.pretrainedBody.cutAt}' (head ${run.result.pretrainedBody.replacedHead.inputDim} → ${run.result.pretrainedBody.replacedHead.units} replaced), latent features on ${run.result.pretrainedBody.computedBy}` : ''}; its body was not trained here`);
  if (run.status === 'passed') for (const c of constraints) lines.push(`guarantee: ${qsaPassedSentence({ source: c.source, delta: c.delta, bound: qsaGuaranteeBound(runBoundMethod(s)), estimates: RUN_ESTIMATES })}`);
  if (run.status === 'passed' && run.pipeline === 'pretrained') lines.push(`guarantee: ${pretrainedBodySentence()}`);
  const r = run.result;
  if (r) {
    const cs = r.candidateSelection;
    lines.push(
      `candidate selection: ${cs.iterationsRun}/${cs.iterationsPlanned} iterations, ` +
        (cs.returnedNsf ? 'stopped on a NaN/infinite value' : `chose iterate ${cs.chosenIndex} (${cs.foundFeasible ? 'predicted feasible' : 'none predicted feasible; smallest ‖g‖'})`),
    );
    if (r.bodyTraining) lines.push(`body training: ${r.bodyTraining.map((e) => `epoch ${e.epoch + 1} loss ${e.meanLoss.toFixed(4)} acc ${e.accuracy.toFixed(3)}`).join('; ')}`);
    if (r.groupAccuracy) lines.push(`${groupAccuracyLabel(r.groupAccuracy.threshold)} on the safety rows (hard decisions, not the soft accuracy the QSA bounds) of the ${r.groupAccuracy.of}: ${formatGroups(r.groupAccuracy.groups)}`);
    if (r.trainedCnnGroupAccuracy) lines.push(`  the trained CNN with its own head, ${groupAccuracyLabel(r.groupAccuracy?.threshold ?? 0.5)}: ${formatGroups(r.trainedCnnGroupAccuracy)}`);
  }
  if (Object.keys(run.timings).length > 0) lines.push(`timings: ${formatTimings(run.timings)}`);
  return lines.join('\n');
}

/** Progress lines on stderr, throttled so a long run prints a few lines a second at most. */
function progressPrinter(out: CliOutput): (event: RunEvent) => void {
  let lastBatch = 0;
  let lastIteration = 0;
  return (event) => {
    const now = performance.now();
    switch (event.type) {
      case 'status':
        if (event.status === 'queued') out.stderr(`run ${event.runId} queued`);
        return;
      case 'phase':
        out.stderr(`run ${event.runId}: ${event.phase.replace('_', ' ')}${event.phase === 'loading' && event.backend ? ` (backend ${event.backend})` : ''}`);
        return;
      case 'batch': {
        const lastOfEpoch = event.batch + 1 === event.batchesPerEpoch;
        if (!lastOfEpoch && now - lastBatch < 2000) return;
        lastBatch = now;
        out.stderr(
          `  epoch ${event.epoch + 1}/${event.epochs} batch ${event.batch + 1}/${event.batchesPerEpoch}: loss ${event.loss.toFixed(4)}, ` +
            `accuracy ${event.accuracy.toFixed(3)}, ${Math.round(event.imagesPerSecond)} images/s (${Math.round(event.fraction * 100)}%, ~${Math.ceil(event.etaSeconds)} s left)`,
        );
        return;
      }
      case 'latents':
        return;
      case 'iteration':
        if (event.iteration !== 0 && event.iteration + 1 !== event.total && now - lastIteration < 2000) return;
        lastIteration = now;
        out.stderr(`  iteration ${event.iteration + 1}/${event.total}: f ${formatNumber(event.f)}, g [${event.g.map((v) => formatNumber(v)).join(', ')}], λ [${event.lambda.map((v) => formatNumber(v)).join(', ')}]`);
        return;
      case 'finished':
        out.stderr(`run ${event.runId} ${event.status}${event.error ? `: ${event.error}` : ''}`);
        return;
    }
  };
}

/** The hidden `train __worker`: serves the training worker over this process's IPC channel. */
async function serveWorker(): Promise<number> {
  if (!process.send) throw new UsageError('train __worker is internal: it runs only as the training worker process');
  await serveTrainingWorker();
  return 0;
}

export async function runTrainCommand(args: string[], out: CliOutput): Promise<number> {
  if (args[0] === '__worker') return serveWorker();
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      constraint: { type: 'string', multiple: true },
      delta: { type: 'string', multiple: true },
      pipeline: { type: 'string' },
      model: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'learning-rate': { type: 'string' },
      iterations: { type: 'string' },
      'frac-safety': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      rows: { type: 'string' },
      resize: { type: 'string' },
      'shuffle-seed': { type: 'string' },
      'alpha-theta': { type: 'string' },
      'alpha-lambda': { type: 'string' },
      'lambda-init': { type: 'string' },
      bound: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.dataset) throw new UsageError('train needs --dataset <name|id>');
  const sources = values.constraint ?? [];
  if (sources.length === 0) throw new UsageError("train needs at least one --constraint '<str>'");
  const deltas = (values.delta ?? ['0.05']).map((d) => numberOption('delta', d, (v) => v > 0 && v < 1, 'strictly between 0 and 1') as number);
  if (deltas.length !== 1 && deltas.length !== sources.length) throw new UsageError(`give one --delta or one per --constraint (${sources.length}), got ${deltas.length}`);
  if (values.pipeline !== 'head' && values.pipeline !== 'full') throw new UsageError(`--pipeline must be head or full, got '${values.pipeline ?? ''}'`);
  if (!values.model || !isArchitectureName(values.model)) throw new UsageError(`--model must be tutorial-j-cnn or tutorial-g-cnn, got '${values.model ?? ''}'`);
  const backend = values.backend as BackendPreference;
  if (!BACKEND_PREFERENCES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_PREFERENCES.join(', ')}, got '${values.backend}'`);
  const positive = (v: number) => v > 0;
  // The contract's run input, checked by its schema as the app's runs.start is; undefined flags drop out.
  const request = parseFlagInput(runInput, {
    dataset: values.dataset,
    constraints: sources.map((source, i) => ({ source, delta: deltas.length === 1 ? deltas[0] : deltas[i] })),
    pipeline: values.pipeline,
    architecture: values.model,
    epochs: integerOption('epochs', values.epochs),
    batchSize: integerOption('batch-size', values['batch-size']),
    learningRate: numberOption('learning-rate', values['learning-rate'], positive, 'a positive number'),
    iterations: integerOption('iterations', values.iterations),
    fracSafety: numberOption('frac-safety', values['frac-safety'], (v) => v > 0 && v < 1, 'strictly between 0 and 1'),
    seed: integerOption('seed', values.seed, 0),
    backend,
    rows: integerOption('rows', values.rows),
    resize: integerOption('resize', values.resize),
    shuffleSeed: integerOption('shuffle-seed', values['shuffle-seed'], 0),
    alphaTheta: numberOption('alpha-theta', values['alpha-theta'], positive, 'a positive number'),
    alphaLambda: numberOption('alpha-lambda', values['alpha-lambda'], positive, 'a positive number'),
    lambdaInit: numberOption('lambda-init', values['lambda-init'], (v) => v >= 0, 'a number ≥ 0'),
    bound: values.bound as RunInput['bound'],
  }, { architecture: 'model' });
  const dbPath = resolveDatabasePath(values.db);
  // Runs left running by a process that has died are ended first, so `fairbound runs` shows them honestly.
  const recovering = openWorkspace(dbPath);
  try {
    tryRecoverInterrupted(recovering, (message) => out.stderr(`warning: ${message}`));
  } finally {
    recovering.close();
  }
  const host = new DeepWorkerQueue();
  let outcome: RunOutcome;
  const printer = values.quiet ? undefined : progressPrinter(out);
  try {
    const handle = host.start(dbPath, request, { onEvent: printer });
    const onSigint = (): void => {
      out.stderr(`cancelling run ${handle.runId} …`);
      handle.cancel('cancelled by the user (Ctrl-C)');
    };
    process.on('SIGINT', onSigint);
    try {
      outcome = await handle.done;
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    await host.close();
  }
  const db = openWorkspace(dbPath);
  try {
    const run = getRun(db, outcome.runId)!;
    out.stdout(values.json ? contractJson(runDetail, storedRunDetail(db, run)) : formatRun(run, getRunConstraints(db, run.id)));
    if (run.status === 'failed') out.stderr(`error: run ${run.id} failed: ${run.error}`);
    if (run.status === 'cancelled') out.stderr(`run ${run.id} was cancelled: ${run.error}`);
    return run.status === 'passed' || run.status === 'nsf' ? 0 : 1;
  } finally {
    db.close();
  }
}
