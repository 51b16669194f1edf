import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runDetail, runIterations } from '../../../src-shared/contract/schemas';
import { storedRunDetail } from '../../services/runs';
import { selectBackend } from '../../deep/backends';
import { exportLatentsCase, exportRunModel, exportRunModelOnnx, type ExportedModel } from '../../runs/export';
import { FORCE_OPTION, refusingExisting } from '../overwrite';
import { openWorkspace, resolveDatabasePath } from '../../store/database';
import { tryRecoverInterrupted } from '../../store/interrupted';
import { getRunConstraints, getRunIterations, getRunRows, listRunWeightKinds, type RunIteration } from '../../store/run-results';
import { deleteFinishedRun, getRun, listRuns, requestRunCancel, type RunInfo } from '../../store/runs';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';
import { runCertificateCommand } from './certificate';
import { formatRun } from './train';

export const runsHelp = `fairbound runs [--db <file>] [--json]
  Lists the workspace's training runs: status (queued, running, passed, nsf, failed, cancelled), pipeline,
  model, dataset and rows, backend, and when each finished. Show one with \`fairbound run show <id>\`.`;

export const runHelp = `fairbound run show <id> [--iterations all|N] [--db <file>] [--json]
fairbound run export-model <id> --out <dir|file.onnx> [--format tfjs|onnx] [--which seldonian|candidate|trained|initial] [--force] [--db <file>]
fairbound run export-latents <id> --out <dir> [--force] [--db <file>]
fairbound run cancel <id> [--db <file>]
fairbound run delete <id> [--db <file>]
  show: the run's settings, verdict, each constraint's safety-test bound with its base-node intervals,
    accuracy per group, timings, and the candidate-selection log (f, g, λ, L per iteration; in text about
    40 iterations evenly spaced unless --iterations all or N; --json always has every iteration).
  export-model: the CNN in the TF.js layers format (model.json + weights.bin in --out <dir>; the default) or,
    with --format onnx, as one ONNX file (--out <file.onnx>; input 'image' N×C×H×W float32 = pixels / 255
    at the run's input size, output 'probabilities'), for ONNX Runtime and PyTorch users. seldonian (default): the
    model that passed the safety test (head runs: the trained body with the QSA's head); candidate: the
    candidate-selection solution even if it failed the safety test; trained: the CNN as trained on the
    candidate rows (head runs); initial: the stored initial weights. A pretrained run has one format, its
    source model's: an ONNX model's graph (--format onnx) or a TF.js model's layers (the default), cut where
    the run cut it, with the run's head; the source files must still have the SHA-256 the run recorded.
  export-latents: a head run's QSA as a case in the golden fixtures' format (data.csv.gz, metadata.json,
    theta_init.json, spec.json); \`fairbound qsa --spec <dir>/spec.json\` reproduces the run's head QSA.
  Exports never replace existing files unless --force (exit 2 otherwise); each file is written to a
    temporary file in its folder and renamed into place.
  cancel: asks a queued or running run to stop (from any process: the worker polls the request).
  delete: removes a finished run with everything it stored.`;

function parseRunId(raw: string | undefined): number {
  if (raw === undefined) throw new UsageError('give the run id');
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`run id must be a positive integer, got '${raw}'`);
  return id;
}

function requireRun(run: RunInfo | undefined, id: number): RunInfo {
  if (!run) throw new UsageError(`no run ${id} in this workspace (see \`fairbound runs\`)`);
  return run;
}

function formatList(runs: readonly RunInfo[]): string {
  if (runs.length === 0) return 'no runs yet (start one with `fairbound train`)';
  const rows = runs.map((r) => [
    String(r.id),
    r.status,
    r.pipeline,
    r.architecture,
    `${r.datasetName} (${r.nRows} rows)`,
    r.backend?.name ?? r.backendPreference,
    r.timings.total !== undefined ? `${r.timings.total.toFixed(1)} s` : '',
    r.finishedAt ?? r.startedAt ?? r.createdAt,
  ]);
  const header = ['id', 'status', 'pipeline', 'model', 'dataset', 'backend', 'time', 'finished'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** Iterations to print in text: evenly spaced, plus the first, the last and the chosen one. */
function sampledIterations(log: readonly RunIteration[], count: number, chosen: number | null): RunIteration[] {
  if (log.length <= count) return [...log];
  const keep = new Set<number>([0, log.length - 1]);
  if (chosen !== null) keep.add(chosen);
  for (let i = 0; i < count; i++) keep.add(Math.round((i * (log.length - 1)) / (count - 1)));
  return [...keep].sort((a, b) => a - b).map((t) => log[t]);
}

function formatIterations(log: readonly RunIteration[], chosen: number | null): string[] {
  const n = (v: number) => (Number.isFinite(v) ? v.toFixed(6) : String(v));
  return log.map((it) => `  ${String(it.iteration).padStart(6)}${it.iteration === chosen ? '*' : ' '} f ${n(it.f)}  g [${it.g.map(n).join(', ')}]  λ [${it.lambda.map(n).join(', ')}]  L ${n(it.lagrangian)}`);
}

export function runRunsCommand(args: string[], out: CliOutput): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { db: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'list')) throw new UsageError(`runs takes no arguments (got '${positionals.join(' ')}')`);
  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    // A run or experiment left running by a process that has died shows (and can be deleted) as interrupted.
    tryRecoverInterrupted(db, (message) => out.stderr(`warning: ${message}`));
    const runs = listRuns(db);
    out.stdout(
      values.json
        ? stringifyJson({
            runs: runs.map((r) => ({
              id: r.id,
              status: r.status,
              error: r.error,
              pipeline: r.pipeline,
              model: r.architecture,
              dataset: { id: r.datasetId, name: r.datasetName },
              n_rows: r.nRows,
              constraints: r.constraints,
              backend: r.backend?.name ?? null,
              verdict: r.result?.verdict ?? null,
              timings_s: r.timings,
              created_at: r.createdAt,
              started_at: r.startedAt,
              finished_at: r.finishedAt,
            })),
          })
        : formatList(runs),
    );
    return 0;
  } finally {
    db.close();
  }
}

export async function runRunCommand(args: string[], out: CliOutput): Promise<number> {
  if (args[0] === 'certificate') return runCertificateCommand(args.slice(1), out);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      which: { type: 'string', default: 'seldonian' },
      format: { type: 'string', default: 'tfjs' },
      iterations: { type: 'string' },
      ...FORCE_OPTION,
    },
  });
  const [sub, rawId, ...rest] = positionals;
  if (sub === undefined) throw new UsageError('run needs a subcommand: show, export-model, export-latents, certificate, cancel or delete');
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const id = parseRunId(rawId);
  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    // A run or experiment left running by a process that has died shows (and can be deleted) as interrupted.
    tryRecoverInterrupted(db, (message) => out.stderr(`warning: ${message}`));
    switch (sub) {
      case 'show': {
        const run = requireRun(getRun(db, id), id);
        const constraints = getRunConstraints(db, id);
        const log = getRunIterations(db, id);
        const rows = getRunRows(db, id);
        if (values.json) {
          // runs.get's RunDetail and runs.iterations' log, as the app's routes send them, with what only the CLI shows.
          const detail = z.encode(runDetail, storedRunDetail(db, run));
          const iterations = z.encode(runIterations, { runId: id, iterations: log.map((it) => ({ ...it, g: [...it.g], lambda: [...it.lambda] })) }).iterations;
          out.stdout(
            JSON.stringify({
              ...detail,
              weights: listRunWeightKinds(db, id),
              rows: rows ? { runRows: rows.rowOrder.length, bodyRows: rows.bodyRows.length } : null,
              iterations,
            }),
          );
          return 0;
        }
        const chosen = run.result?.candidateSelection.chosenIndex ?? null;
        let count = 40;
        if (values.iterations === 'all') count = Infinity;
        else if (values.iterations !== undefined) {
          count = Number(values.iterations);
          if (!Number.isSafeInteger(count) || count < 2) throw new UsageError(`--iterations must be 'all' or an integer ≥ 2, got '${values.iterations}'`);
        }
        const lines = [formatRun(run, constraints)];
        if (log.length > 0) {
          lines.push(`iteration log (${log.length} iterations${log.length > count ? `, ${count} shown` : ''}; * = chosen):`);
          lines.push(...formatIterations(sampledIterations(log, count, chosen), chosen));
        }
        out.stdout(lines.join('\n'));
        return 0;
      }
      case 'export-model': {
        if (!values.out) throw new UsageError('run export-model needs --out <dir>');
        const which = values.which as ExportedModel;
        if (!['seldonian', 'candidate', 'trained', 'initial'].includes(which)) throw new UsageError(`--which must be seldonian, candidate, trained or initial, got '${values.which}'`);
        if (values.format !== 'tfjs' && values.format !== 'onnx') throw new UsageError(`--format must be tfjs or onnx, got '${values.format}'`);
        requireRun(getRun(db, id), id);
        // Building and saving a model is light work: the pure-JS backend avoids loading anything native.
        await selectBackend('cpu');
        if (values.format === 'onnx') {
          const outFile = values.out;
          const file = await refusingExisting(() => exportRunModelOnnx(db, id, outFile, which, { overwrite: values.force }));
          out.stdout(values.json ? stringifyJson({ run: id, which, format: 'onnx', ...file }) : `wrote ${file.path} (${file.bytes} bytes, ONNX: run ${id}, ${which} model; input image ${file.input.join('×')}, output probabilities ${file.output.join('×')})`);
          return 0;
        }
        const outDir = values.out;
        const files = await refusingExisting(() => exportRunModel(db, id, outDir, which, { overwrite: values.force }));
        out.stdout(values.json ? stringifyJson({ run: id, which, ...files }) : `wrote ${files.modelJson} and ${files.weightsBin} (${files.weightBytes} bytes of weights: run ${id}, ${which} model)`);
        return 0;
      }
      case 'export-latents': {
        if (!values.out) throw new UsageError('run export-latents needs --out <dir>');
        requireRun(getRun(db, id), id);
        const outDir = values.out;
        const files = await refusingExisting(() => exportLatentsCase(db, id, outDir, { overwrite: values.force }));
        out.stdout(
          values.json
            ? stringifyJson({ run: id, ...files })
            : `wrote ${files.nRows} rows × ${files.nFeatures} latent features: ${files.spec} (run \`fairbound qsa --spec ${files.spec}\` to reproduce the head QSA)`,
        );
        return 0;
      }
      case 'cancel': {
        const status = requestRunCancel(db, id);
        if (status === undefined) throw new UsageError(`no run ${id} in this workspace (see \`fairbound runs\`)`);
        const pending = status === 'queued' || status === 'running';
        out.stdout(values.json ? stringifyJson({ run: id, status, cancel_requested: pending }) : pending ? `asked run ${id} (${status}) to stop` : `run ${id} has already ended (${status})`);
        return 0;
      }
      case 'delete': {
        // One transaction checks and deletes: no gap in which a run could start or change.
        const result = deleteFinishedRun(db, id);
        if (result.outcome === 'missing') requireRun(undefined, id);
        if (result.outcome === 'active') throw new UsageError(`run ${id} is ${result.status}: cancel it first`);
        out.stdout(values.json ? stringifyJson({ deleted: id }) : `deleted run ${id}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown subcommand '${sub}' (show, export-model, export-latents, cancel, delete)`);
    }
  } finally {
    db.close();
  }
}
