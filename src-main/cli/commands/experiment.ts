import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { confidenceLabel, conclusionLabel, formatViolationBounds, safetyHeadline, type ExperimentSafety } from '../../../src-shared/domain/experiment-safety';
import { InputError } from '../../errors/input-error';
import type { FractionAggregate, ModelAggregate } from '../../experiments/aggregate';
import { registerDeepExperimentModels } from '../../experiments/models/deep';
import { listExperimentModelTypes } from '../../experiments/models/registry';
import { experimentResults, experimentSvgs, exportExperimentResults, trialBackends, trialKernels, type ExperimentResults, type ModelBackends, type ModelKernels } from '../../experiments/results';
import type { ExperimentProgress, RunSummary } from '../../experiments/runner';
import { runExperimentInThreads } from '../../jobs/trial-threads/run-experiment';
import { TRIAL_WORKER_MARKER } from '../../jobs/trial-threads/protocol';
import { serveTrialWorker } from '../../jobs/trial-threads/serve';
import { openWorkspace, resolveDatabasePath, type WritableDB } from '../../store/database';
import { tryRecoverInterrupted } from '../../store/interrupted';
import { deleteFinishedExperiment, listExperiments, type ExperimentInfo, type ExperimentListing } from '../../store/experiments';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { FORCE_OPTION, refusingExisting } from '../overwrite';
import { writeFilesSafely } from '../../data/safe-write';
import { UsageError } from '../usage-error';
import { createFromFlags, integerOption, RUN_DEFINITION_OPTIONS, type RunValues } from './experiment-input';

// The deep-learning models (qsa-head, cnn) run in-process, so registering them here is enough.
registerDeepExperimentModels();

const modelLines = (): string =>
  listExperimentModelTypes()
    .map((t) => `    ${t.type.padEnd(16)} ${t.kind === 'seldonian' ? '(Seldonian) ' : ''}${t.description}`)
    .join('\n');

export const experimentHelp = `fairbound experiment run --dataset <name|id> --constraint '<str>' [--constraint …] --delta 0.05 [--delta …]
                          --fractions 0.01,0.1,0.5,1 --trials 10 --models qsa-features,logistic,uniform-random[,weighted-random:0.7]
                          [--performance accuracy|probabilistic-accuracy|log-loss] [--threshold 0.5]
                          [--iterations 200] [--frac-safety 0.5] [--lambda-init 0.5] [--alpha-theta 0.005] [--alpha-lambda 0.005]
                          [--theta-init zeros|random|logistic] [--bound student-t|hoeffding|exact]
                          [--epochs-per-fraction 0.001:24x50,0.01:100x4]   (qsa-head, cnn: body batch × epochs per φ)
                          [--rows N]   (the first N rows of the dataset's stored order; default: all)
                          [--backend auto|tensorflow|webgpu|onnxruntime|wasm|cpu]  (qsa-head, cnn, qsa-full)
                          [--seed S] [--workers N] [--name NAME] [--quiet] [--db <file>] [--json]
fairbound experiment run --resume <id> [--workers N] [--quiet] [--db <file>] [--json]
fairbound experiment show <id> [--db <file>] [--json]
fairbound experiment export <id> --out <dir> [--force] [--db <file>] [--json]
fairbound experiment plot <id> --out <dir> [--width 1350] [--height 410] [--force] [--db <file>] [--json]
fairbound experiment delete <id> [--db <file>] [--json]
  A Seldonian experiment: per trial a bootstrap resample of the dataset (stored); at each data
  fraction φ the first round(φ·N) of its rows train every model; each solution is scored on the whole
  dataset (the ground truth): performance and each constraint's g, NSF counting as g = −∞. show prints,
  per model and fraction, the trials, mean performance ± s.e. over trials with a solution, P(solution) and
  P(violation) ± s.e., and the safety conclusion: per Seldonian model, constraint and fraction the violation
  rate with exact (Clopper–Pearson) one-sided 95% bounds over trials — exceeds δ (lower bound > δ), within δ
  (upper bound ≤ δ) or too few trials to tell — and any failed trial with its error (a failed trial has no
  result; the experiment then ends failed). export writes the Seldonian Experiments CSV layout
  (<model>_results/…); plot writes the three plots per constraint as SVG (neither replaces existing files
  unless --force). Trials run in worker threads (--workers, default: the cores);
  progress goes to stderr. Ctrl-C cancels, keeping the finished trials (those in flight are dropped);
  --resume <id> runs what is missing (refused while another live Fairbound process runs that experiment).
  Exit 0 when the run completed, 1 when it failed or was cancelled, 2 for bad usage or input, or when
  another process is running the experiment.
  models:
${modelLines()}`;

export const experimentsHelp = `fairbound experiments [--db <file>] [--json]
  Lists the workspace's experiments with their status and how many of their trials are stored.`;

function parseId(raw: string | undefined, sub: string): number {
  if (raw === undefined) throw new UsageError(`experiment ${sub} needs an experiment id`);
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`experiment ids are positive integers, got '${raw}'`);
  return id;
}

function loadResults(db: WritableDB, id: number): ExperimentResults {
  const results = experimentResults(db, id);
  if (!results) throw new InputError(`no experiment with id ${id} (fairbound experiments lists them)`);
  return results;
}

export async function runExperimentCommand(args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      constraint: { type: 'string', multiple: true },
      delta: { type: 'string', multiple: true },
      fractions: { type: 'string' },
      trials: { type: 'string' },
      models: { type: 'string' },
      performance: { type: 'string' },
      threshold: { type: 'string' },
      iterations: { type: 'string' },
      'frac-safety': { type: 'string' },
      'lambda-init': { type: 'string' },
      'alpha-theta': { type: 'string' },
      'alpha-lambda': { type: 'string' },
      'theta-init': { type: 'string' },
      bound: { type: 'string' },
      seed: { type: 'string' },
      'epochs-per-fraction': { type: 'string' },
      rows: { type: 'string' },
      backend: { type: 'string' },
      workers: { type: 'string' },
      name: { type: 'string' },
      resume: { type: 'string' },
      out: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      ...FORCE_OPTION,
      quiet: { type: 'boolean', default: false },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [sub, ...rest] = positionals;
  if (sub === '__trial-worker') return serveWorkerCommand();
  if (sub === undefined) throw new UsageError('experiment needs a subcommand: run, show, export, plot or delete');
  const expectArgs = (n: number, what: string): void => {
    if (rest.length !== n) throw new UsageError(`experiment ${sub} takes ${what} (got ${rest.length} argument${rest.length === 1 ? '' : 's'})`);
  };
  if (sub !== 'run') {
    for (const key of [...RUN_DEFINITION_OPTIONS, 'workers', 'resume', 'quiet'] as const) {
      if (values[key] !== undefined && values[key] !== false) throw new UsageError(`--${key} applies to experiment run`);
    }
  }
  if (sub !== 'export' && sub !== 'plot' && values.out !== undefined) throw new UsageError('--out applies to experiment export and plot');
  if (sub !== 'plot' && (values.width !== undefined || values.height !== undefined)) throw new UsageError('--width and --height apply to experiment plot');
  if (sub !== 'export' && sub !== 'plot' && values.force) throw new UsageError('--force applies to experiment export and plot');

  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    // A run or experiment left running by a process that has died shows (and can be deleted) as interrupted.
    tryRecoverInterrupted(db, (message) => out.stderr(`warning: ${message}`));
    switch (sub) {
      case 'run':
        expectArgs(0, 'options only');
        return await runCommand(db, values, out);
      case 'show': {
        expectArgs(1, 'one experiment id');
        const results = loadResults(db, parseId(rest[0], sub));
        out.stdout(values.json ? stringifyJson(resultsJson(results)) : formatResults(results));
        return 0;
      }
      case 'export': {
        expectArgs(1, 'one experiment id');
        if (!values.out) throw new UsageError('experiment export needs --out <dir>');
        const results = loadResults(db, parseId(rest[0], sub));
        const outDir = values.out;
        const files = await refusingExisting(() => exportExperimentResults(results, outDir, { overwrite: values.force }));
        out.stdout(
          values.json
            ? stringifyJson({ experiment: results.experiment.id, out: values.out, files })
            : `wrote ${files.length} files under ${values.out} (${[...new Set(files.map((f) => f.split(/[\\/]/)[0]))].join(', ') || 'no trials yet'})`,
        );
        return 0;
      }
      case 'plot': {
        expectArgs(1, 'one experiment id');
        if (!values.out) throw new UsageError('experiment plot needs --out <dir>');
        const width = integerOption('width', values.width, 300);
        const height = integerOption('height', values.height, 200);
        const results = loadResults(db, parseId(rest[0], sub));
        const svgs = experimentSvgs(results, { ...(width ? { width } : {}), ...(height ? { height } : {}) });
        const outDir = values.out;
        await refusingExisting(() => writeFilesSafely(outDir, svgs.map((s) => ({ file: s.file, data: s.svg })), { overwrite: values.force }));
        const files = svgs.map((s) => join(values.out!, s.file));
        out.stdout(values.json ? stringifyJson({ experiment: results.experiment.id, files }) : files.join('\n'));
        return 0;
      }
      case 'delete': {
        expectArgs(1, 'one experiment id');
        const id = parseId(rest[0], sub);
        // One transaction checks and deletes: a running experiment (here or in another process) is kept.
        const result = deleteFinishedExperiment(db, id);
        if (result.outcome === 'missing') throw new InputError(`no experiment ${id}`);
        if (result.outcome === 'active') throw new InputError(`experiment ${id} is running: cancel it first`);
        out.stdout(values.json ? stringifyJson({ deleted: id }) : `deleted experiment ${id}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown experiment subcommand '${sub}' (run, show, export, plot, delete)`);
    }
  } finally {
    db.close();
  }
}

/** The hidden subcommand a worker thread of the CLI bundle runs (see src-main/jobs/worker-entry.ts). */
async function serveWorkerCommand(): Promise<number> {
  if (isMainThread || !parentPort || workerData !== TRIAL_WORKER_MARKER) throw new UsageError('experiment __trial-worker is internal: it runs only inside an experiment worker thread');
  await serveTrialWorker(parentPort);
  return 0;
}

async function runCommand(db: WritableDB, values: RunValues, out: CliOutput): Promise<number> {
  const str = (key: keyof RunValues): string | undefined => values[key] as string | undefined;
  const workers = integerOption('workers', str('workers'), 1);
  let experimentId: number;
  if (values.resume !== undefined) {
    for (const key of RUN_DEFINITION_OPTIONS) if (values[key] !== undefined) throw new UsageError(`--${key} cannot change a resumed experiment; give only --resume <id> (and --workers)`);
    experimentId = parseId(str('resume'), 'run --resume');
  } else {
    experimentId = createFromFlags(db, values, workers);
  }

  const controller = new AbortController();
  const onSigint = (): void => {
    out.stderr('cancelling: finished trials are kept, trials in flight are dropped (Ctrl-C again to kill)');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let summary: RunSummary;
  try {
    summary = await runExperimentInThreads(db, experimentId, {
      ...(workers !== undefined ? { workers } : {}),
      signal: controller.signal,
      onStart: (s) => {
        if (!values.quiet) out.stderr(`experiment ${s.experimentId}: ${s.total} trials to run${s.skipped ? ` (${s.skipped} already stored)` : ''} on ${s.workers} thread${s.workers === 1 ? '' : 's'}`);
      },
      onProgress: (p) => {
        if (!values.quiet) out.stderr(progressLine(p));
      },
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const results = loadResults(db, experimentId);
  if (values.json) out.stdout(stringifyJson({ run: summary, ...resultsJson(results) }));
  else {
    const verdict =
      summary.status === 'completed'
        ? `completed: ${summary.trialsRun} trials in ${formatDuration(summary.seconds)}`
        : summary.status === 'cancelled'
          ? `cancelled after ${summary.trialsRun} trials; resume with: fairbound experiment run --resume ${experimentId}`
          : `failed: ${summary.error}`;
    out.stdout(`${formatResults(results)}\n\nexperiment ${experimentId} ${verdict}`);
  }
  return summary.status === 'completed' ? 0 : 1;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

function progressLine(p: ExperimentProgress): string {
  const t = p.last;
  const outcome =
    t.error !== undefined ? `FAILED (${t.error})` : t.passed ? `solution, performance ${Number.isNaN(t.performance) ? 'nan' : t.performance.toFixed(4)}` : 'no solution';
  const eta = p.etaSeconds === null ? '' : `, ETA ${formatDuration(p.etaSeconds)}`;
  // The JS kernel is the default for small matrices: only the SIMD kernel is worth a mention.
  const kernel = t.kernel?.name === 'simd' ? ` (SIMD kernel, ${t.kernel.threads} thread${t.kernel.threads === 1 ? '' : 's'})` : '';
  const on = t.backend !== undefined ? ` on ${t.backend}` : '';
  return `[${p.done}/${p.total}] ${t.model} φ=${t.fraction} (${t.nRows} rows) trial ${t.trialIndex}: ${outcome} in ${t.durationSeconds.toFixed(2)} s${on}${kernel} — elapsed ${formatDuration(p.elapsedSeconds)}${eta}`;
}

function num(v: number, digits = 3): string {
  return Number.isFinite(v) ? v.toFixed(digits) : Number.isNaN(v) ? '–' : String(v);
}

function withError(v: { mean: number; ste: number } | null): string {
  if (!v) return '–';
  return Number.isFinite(v.ste) ? `${num(v.mean)} ± ${num(v.ste)}` : num(v.mean);
}

function describeExperiment(e: ExperimentInfo): string[] {
  const s = e.settings;
  const q = s.qsa;
  return [
    `experiment ${e.id} '${e.name}': ${e.status}${e.error ? ` (${e.error})` : ''}, dataset '${e.datasetName}'${e.datasetId === null ? ' (deleted)' : ` (id ${e.datasetId})`}, N = ${e.nRows}${s.rows !== undefined ? ` (the dataset's first ${s.rows} rows)` : ''}, seed ${e.seed}`,
    ...e.constraints.map((c, j) => `constraint ${j + 1}: ${c.source}   (g = ${c.parsed}, δ = ${c.delta})`),
    `fractions ${s.fractions.join(', ')} × ${s.nTrials} trials; models ${s.models.map((m) => m.name).join(', ')}; performance: ${s.performance}`,
    `QSA: frac_safety ${q.fracSafety}, ${q.iterations} iterations, λ₀ ${q.lambdaInit}, α_θ ${q.alphaTheta}, α_λ ${q.alphaLambda}, θ₀ ${q.thetaInit}, ${q.boundMethod} bounds`,
    `run time so far ${formatDuration(e.runSeconds)}`,
  ];
}

function fractionRow(model: ModelAggregate, f: FractionAggregate): string[] {
  return [
    model.name,
    String(f.fraction),
    String(Math.round(f.amount)),
    String(f.trials),
    withError(f.performance),
    withError(f.probabilityOfSolution),
    ...f.probabilityOfViolation.map(withError),
  ];
}

export function formatResults(results: ExperimentResults): string {
  const { experiment, aggregates } = results;
  const header = ['model', 'φ', 'φ·N', 'trials', `${experiment.settings.performance} ± s.e.`, 'P(solution)', ...experiment.constraints.map((_, j) => `P(violation ${j + 1})`)];
  const rows = aggregates.models.flatMap((m) => m.fractions.map((f) => fractionRow(m, f)));
  const lines = describeExperiment(experiment);
  lines.push(...trialKernels(results).map(kernelLine), ...trialBackends(results).map(backendLine));
  lines.push('', rows.length === 0 ? '  no trials stored yet' : table(header, rows));
  lines.push('', ...safetyLines(results.safety));
  if (results.failedTrials.length > 0) {
    lines.push('', `failed trials (${results.failedTrials.length}; no result, left out of every number above):`);
    lines.push(...results.failedTrials.map((t) => `  ${t.model} φ=${t.fraction} trial ${t.trialIndex}: ${t.error}`));
  }
  return lines.join('\n');
}

/** The safety conclusion (src-shared/domain/experiment-safety.ts) and its exact bounds per fraction. */
function safetyLines(safety: ExperimentSafety): string[] {
  const level = confidenceLabel(safety.confidence);
  const lines = [`safety: ${safetyHeadline(safety)}`];
  for (const r of safety.rows) {
    lines.push(`  ${r.model}, constraint ${r.constraint + 1} (δ = ${r.delta}): ${conclusionLabel(r.conclusion)}`);
    for (const f of r.fractions) lines.push(`    φ=${f.fraction}: violations ${formatViolationBounds(f)} (exact ${level} bounds) → ${conclusionLabel(f.conclusion)}`);
  }
  return lines;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** e.g. `qsa-head QSA kernel: SIMD ×2 threads (10 trials), JS (2 trials)`. */
function kernelLine(m: ModelKernels): string {
  const parts = m.kernels.map((k) => `${k.name === 'simd' ? `SIMD ×${plural(k.threads, 'thread')}` : 'JS'} (${plural(k.trials, 'trial')})`);
  if (m.unrecorded > 0) parts.push(`not recorded (${plural(m.unrecorded, 'trial')})`);
  return `${m.model} QSA kernel: ${parts.join(', ')}`;
}

/** e.g. `qsa-head computed on: webgpu (10 trials)`. */
function backendLine(m: ModelBackends): string {
  return `${m.model} computed on: ${m.backends.map((b) => `${b.backend} (${plural(b.trials, 'trial')})`).join(', ')}`;
}

/** Plain text table; `left` lists the columns aligned left (text), the others are aligned right (numbers). */
function table(header: readonly string[], rows: readonly (readonly string[])[], left: readonly number[] = [0]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

function resultsJson(results: ExperimentResults): Record<string, unknown> {
  return { experiment: results.experiment, aggregates: results.aggregates, kernels: trialKernels(results), backends: trialBackends(results), safety: results.safety, failedTrials: results.failedTrials };
}

function formatList(experiments: readonly ExperimentListing[]): string {
  if (experiments.length === 0) return 'no experiments (fairbound experiment run --help shows how to start one)';
  return table(
    ['id', 'name', 'dataset', 'status', 'trials', 'models', 'created'],
    experiments.map((e) => [
      String(e.id),
      e.name,
      e.datasetName,
      e.status,
      `${e.trialsStored}/${e.trialsPlanned}`,
      e.settings.models.map((m) => m.name).join(','),
      e.createdAt,
    ]),
    [1, 2, 3, 5, 6],
  );
}

export function runExperimentsCommand(args: string[], out: CliOutput): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { db: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (experiment show <id> shows one)`);
  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    // A run or experiment left running by a process that has died shows (and can be deleted) as interrupted.
    tryRecoverInterrupted(db, (message) => out.stderr(`warning: ${message}`));
    const experiments = listExperiments(db);
    out.stdout(values.json ? stringifyJson({ experiments }) : formatList(experiments));
    return 0;
  } finally {
    db.close();
  }
}
