import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type * as tf from '@tensorflow/tfjs';
import { compileConstraint } from '../../../src-shared/constraint';
import type { CompiledConstraint, SubRegime } from '../../../src-shared/constraint/ast';
import { auditConstraints, hardDecisions, type AuditedConstraint, type AuditedNode, type EstimatorMode } from '../../audit/audit';
import { groupTable, type GroupRow } from '../../audit/group-table';
import { auditImages, auditModelPredictions, openAuditModel } from '../../audit/model-audit';
import { readPredictions, type RowMatching } from '../../audit/predictions';
import { RETRAIN_HEAD_DEFAULTS, retrainHead, type RetrainHeadSettings } from '../../audit/retrain-head';
import { InputError } from '../../errors/input-error';
import { buildAuditReportHtml } from '../../report/audit-report';
import { ChromiumMissingError, printPdf } from '../../report/pdf';
import { BACKEND_PREFERENCES, describeLoaded, selectBackend, type BackendPreference } from '../../deep/backends';
import type { ImageSet } from '../../deep/images';
import type { BoundMethod } from '../../engine/constraint-bounds';
import type { LabelledRows, RowRange } from '../../engine/data';
import { candidateSafetySplit } from '../../engine/qsa';
import { buildQsaReport } from '../../engine/report';
import { ConstraintCompileError } from '../../errors/constraint-compile-error';
import type { ExportedModel } from '../../runs/export';
import { constraintResults } from '../../runs/pipeline';
import { runSeeds } from '../../runs/prepare';
import { openWorkspace, resolveDatabasePath } from '../../store/database';
import { datasetRowKeys, getDataset, loadDatasetForTraining, type DatasetInfo } from '../../store/datasets';
import { getRun, getRunRows } from '../../store/runs';
import { datasetSummary, type DatasetSummary } from '../../store/summary';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';
import { resolveDataset } from './datasets';
import { formatConstraint, formatGroups, formatTimings } from './train';

export const auditHelp = `fairbound audit --dataset <name|id> (--predictions <csv> (--key <column> | --by-order) | --model <model.json> | --run <id>)
                 --constraint '<str>' [--constraint …] --delta 0.05 [--delta …]
                 [--threshold 0.5] [--soft] [--bound student-t|hoeffding] [--rows safety|all] [--frac-safety 0.5]
                 [--confidence-alpha 0.05] [--intersection M,White …] [--db <file>] [--json]
                 [--backend auto|tensorflow|wasm|cpu] [--resize S] [--which seldonian|candidate|trained|initial]
                 [--report <file.html>] [--pdf <file.pdf>]
fairbound audit --retrain-head --model <model.json> --dataset <name|id> --constraint '<str>' … --delta 0.05 …
                 [--frac-safety 0.5] [--iterations 1200] [--alpha-theta 0.01] [--alpha-lambda 0.01]
                 [--lambda-init 0.5] [--seed 0] [--bound student-t|hoeffding] [--backend …] [--resize S] [--json]
  High-confidence bounds on each constraint's g for an existing model, given as exactly one of:
  --predictions: a CSV with 'p', or 'p_0' … 'p_{K-1}', matched to the dataset's rows by a key column (the
    image path for image-folder datasets, else the row's 0-based position in the source file) or by order;
  --model: a TF.js layers model (model.json with weights.bin next to it, e.g. from \`fairbound run
    export-model\` or converted from Keras) run on the dataset's images (pixels scaled to [0, 1], inference
    mode) on the --backend chain; its input shape must be the images' (after --resize S, bilinear) and its
    class count the dataset's; it may end in a dense head on logits, a softmax, or one sigmoid unit;
  --run: the model of a stored training run (--which, default seldonian: for a head run the trained body
    with the QSA's head), on --dataset (default: the run's own), resized to the run's input size. With the
    run's own dataset, --rows safety audits the run's own safety rows (its row order, its split).
  Verdict per constraint: holds (upper bound of g ≤ 0), violated (lower bound of g > 0) or inconclusive
  (with the data that would decide). Estimators are hard decisions at --threshold (what a deployed
  classifier does) unless --soft (the engine's probabilistic estimators). --rows safety audits the rows
  the engine's split would hold out (the last frac-safety share); all (default) audits every row.
  --report writes, besides the normal output, a self-contained HTML report (inline CSS and SVG, no external
  references): the dataset's rows per group and class, the model source, mode, bound method and rows
  audited, and per constraint g, δ, the verdict, g's point estimate and bounds and every base node's
  interval (chart and table), plus the per-group rate table. --pdf prints it through Chromium
  (/usr/bin/chromium, or CHROMIUM_PATH); without Chromium --pdf exits 1 (the HTML, if asked, is written).
  --retrain-head (Tutorial J's pretrained-network path): cuts the model's head, maps every row of the
  dataset through its body to latent features and runs the QSA on a fresh head (logistic for a binary
  dataset, softmax otherwise), candidate rows = the first round(N·(1−frac)) rows, safety rows = the rest,
  both from this dataset; prints the verdict and each constraint's safety-test bounds like \`fairbound train\`.
  Exit 0 for any verdict (a No Solution Found included), 2 for bad input (a model whose input shape or class
  count does not fit the dataset names both shapes).
  A constraint that starts with '-' must be attached: --constraint='-(ACC) + 0.7 <= 0'.`;

function numberOption(name: string, raw: string | undefined, fallback: number, check: (v: number) => boolean, what: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return value;
}

function nodeJson(n: AuditedNode): Record<string, unknown> {
  return {
    name: n.spec.name,
    n: n.bound.nSamples,
    mean: n.bound.mean,
    lower: n.bound.lower,
    upper: n.bound.upper,
    lower_needed: n.spec.lowerNeeded,
    upper_needed: n.spec.upperNeeded,
    delta_lower: n.spec.deltaLower,
    delta_upper: n.spec.deltaUpper,
  };
}

function constraintJson(a: AuditedConstraint): Record<string, unknown> {
  return {
    constraint: a.constraint.source,
    parsed: a.constraint.parsed,
    delta: a.constraint.delta,
    base_nodes: a.upperStatement.nodes.map(nodeJson),
    lower_bound_base_nodes: a.lowerStatement.nodes.map(nodeJson),
    g_lower: a.gLower,
    g_upper: a.gUpper,
    g_point: a.gPoint,
    verdict: a.verdict,
    data_needed: a.dataNeeded,
  };
}

function groupJson(g: GroupRow): Record<string, unknown> {
  return { group: g.columns.length ? g.columns.join(' & ') : 'all', columns: g.columns, n: g.nRows, rates: g.rates };
}

const VERDICT_TEXT = { holds: 'HOLDS with confidence', violated: 'VIOLATED with confidence', inconclusive: 'INCONCLUSIVE at confidence' } as const;

function formatText(results: readonly AuditedConstraint[], groups: readonly GroupRow[], header: string): string {
  const lines = [header];
  for (const r of results) {
    lines.push('', `${r.constraint.source}`, `  g = ${r.constraint.parsed}`, `  point estimate ${r.gPoint.toFixed(4)}, bounds [${r.gLower.toFixed(4)}, ${r.gUpper.toFixed(4)}]`);
    lines.push(`  ${VERDICT_TEXT[r.verdict]} ${1 - r.constraint.delta}`);
    if (r.verdict === 'inconclusive') {
      lines.push(
        r.dataNeeded
          ? `  about ${r.dataNeeded.rows} rows (×${r.dataNeeded.factor.toFixed(2)}, same group shares and spreads) would likely show it ${r.dataNeeded.towards === 'holds' ? 'holds' : 'is violated'}`
          : '  no amount of similar data would decide it (the point estimate sits on the boundary)',
      );
    }
    for (const n of r.upperStatement.nodes) lines.push(`    ${n.spec.name}: n=${n.bound.nSamples} mean=${n.bound.mean.toFixed(4)} [${n.bound.lower.toFixed(4)}, ${n.bound.upper.toFixed(4)}]`);
  }
  lines.push('', 'group            n      ' + Object.keys(groups[0]?.rates ?? {}).map((m) => m.padEnd(22)).join(''));
  for (const g of groups) {
    const name = (g.columns.length ? g.columns.join('&') : 'all').padEnd(16);
    const cells = Object.values(g.rates).map((r) => `${r!.mean.toFixed(3)} [${r!.lower.toFixed(3)},${r!.upper.toFixed(3)}]`.padEnd(22));
    lines.push(`${name} ${String(g.nRows).padEnd(6)} ${cells.join('')}`);
  }
  return lines.join('\n');
}

/** Where the audited probabilities come from. */
type ModelSource = { readonly kind: 'model'; readonly path: string } | { readonly kind: 'run'; readonly id: number };

const WHICH = ['seldonian', 'candidate', 'trained', 'initial'] as const;

function integerOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return value;
}

function sourceOf(values: { predictions?: string; model?: string; run?: string }): { kind: 'predictions'; path: string } | ModelSource {
  const given = (['predictions', 'model', 'run'] as const).filter((k) => values[k] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(given.length === 0 ? 'audit needs one of --predictions <csv>, --model <model.json> or --run <id>' : `give exactly one of --predictions, --model or --run, got ${given.map((g) => `--${g}`).join(' and ')}`);
  }
  if (values.predictions !== undefined) return { kind: 'predictions', path: values.predictions };
  if (values.model !== undefined) return { kind: 'model', path: values.model };
  return { kind: 'run', id: integerOption('run', values.run, 0, 1) };
}

export async function runAuditCommand(args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      predictions: { type: 'string' },
      model: { type: 'string' },
      run: { type: 'string' },
      which: { type: 'string' },
      backend: { type: 'string' },
      resize: { type: 'string' },
      'retrain-head': { type: 'boolean', default: false },
      iterations: { type: 'string' },
      'alpha-theta': { type: 'string' },
      'alpha-lambda': { type: 'string' },
      'lambda-init': { type: 'string' },
      seed: { type: 'string' },
      key: { type: 'string' },
      'by-order': { type: 'boolean', default: false },
      constraint: { type: 'string', multiple: true },
      delta: { type: 'string', multiple: true },
      threshold: { type: 'string' },
      soft: { type: 'boolean', default: false },
      bound: { type: 'string', default: 'student-t' },
      rows: { type: 'string' },
      'frac-safety': { type: 'string' },
      'confidence-alpha': { type: 'string' },
      intersection: { type: 'string', multiple: true },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      report: { type: 'string' },
      pdf: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const source = sourceOf(values);
  const retrain = values['retrain-head'];
  if (source.kind === 'predictions') {
    if (!values.key === !values['by-order']) throw new UsageError('give exactly one of --key <column> or --by-order');
    for (const flag of ['backend', 'resize', 'which'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --model or --run, not to --predictions`);
    if (retrain) throw new UsageError('--retrain-head needs --model <model.json> (or --run <id>): a predictions file has no network to cut');
  } else if (values.key !== undefined || values['by-order']) {
    throw new UsageError('--key and --by-order match a predictions file to the rows; a model is run on the rows themselves');
  }
  if (source.kind === 'model' && values.which !== undefined) throw new UsageError('--which picks a run\'s model (--run); drop it with --model');
  if (!values.dataset && source.kind !== 'run') throw new UsageError('audit needs --dataset <name|id>');
  if (!retrain) {
    for (const flag of ['iterations', 'alpha-theta', 'alpha-lambda', 'lambda-init', 'seed'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --retrain-head`);
    }
  } else {
    for (const flag of ['threshold', 'rows', 'confidence-alpha'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to an audit, not to --retrain-head`);
    if (values.soft) throw new UsageError('--soft applies to an audit, not to --retrain-head (the QSA uses the engine\'s estimators)');
    if (values.intersection !== undefined) throw new UsageError('--intersection applies to an audit, not to --retrain-head');
    if (values.report !== undefined || values.pdf !== undefined) throw new UsageError('--report and --pdf export a bounds audit; --retrain-head does not write a report (use `fairbound train` and `fairbound report` for a run\'s report)');
  }
  const sources = values.constraint ?? [];
  if (sources.length === 0) throw new UsageError("audit needs at least one --constraint '<str>'");
  const deltas = (values.delta ?? ['0.05']).map((d) => numberOption('delta', d, 0.05, (v) => v > 0 && v < 1, 'strictly between 0 and 1'));
  if (deltas.length !== 1 && deltas.length !== sources.length) throw new UsageError(`give one --delta or one per --constraint (${sources.length}), got ${deltas.length}`);
  if (values.bound !== 'student-t' && values.bound !== 'hoeffding') throw new UsageError(`--bound must be student-t or hoeffding, got '${values.bound}'`);
  const whichRows = values.rows ?? 'all';
  if (whichRows !== 'all' && whichRows !== 'safety') throw new UsageError(`--rows must be safety or all, got '${values.rows}'`);
  if (values.soft && values.threshold !== undefined) throw new UsageError('--threshold applies to hard decisions; drop it or --soft');
  const threshold = numberOption('threshold', values.threshold, 0.5, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const fracSafety = numberOption('frac-safety', values['frac-safety'], 0.5, (v) => v > 0 && v < 1, 'strictly between 0 and 1');
  const alpha = numberOption('confidence-alpha', values['confidence-alpha'], 0.05, (v) => v > 0 && v < 1, 'strictly between 0 and 1');
  const method = values.bound as BoundMethod;
  const mode: EstimatorMode = values.soft ? { kind: 'soft' } : { kind: 'hard', threshold };
  const backend = (values.backend ?? 'auto') as BackendPreference;
  if (!BACKEND_PREFERENCES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_PREFERENCES.join(', ')}, got '${values.backend}'`);
  const resizeOption = values.resize === undefined ? null : integerOption('resize', values.resize, 0, 1);
  const which = (values.which ?? 'seldonian') as ExportedModel;
  if (!WHICH.includes(which)) throw new UsageError(`--which must be one of ${WHICH.join(', ')}, got '${values.which}'`);

  const db = openWorkspace(resolveDatabasePath(values.db));
  let model: tf.LayersModel | null = null;
  try {
    const run = source.kind === 'run' ? getRun(db, source.id) : undefined;
    if (source.kind === 'run' && !run) throw new InputError(`no run ${source.id} in this workspace (see \`fairbound runs\`)`);
    let datasetRef: string | number | undefined = values.dataset;
    if (datasetRef === undefined && run) {
      if (run.datasetId === null) throw new InputError(`run ${run.id}'s dataset '${run.datasetName}' was deleted: give --dataset`);
      datasetRef = run.datasetId;
    }
    const info = typeof datasetRef === 'number' ? getDataset(db, datasetRef)! : resolveDataset(db, datasetRef!);
    const data = loadDatasetForTraining(db, info.id);
    const subRegime: SubRegime = info.nClasses > 2 ? 'multiclass_classification' : 'classification';
    const constraints: CompiledConstraint[] = sources.map((text, i) => {
      const compiled = compileConstraint(text, { columns: data.sensitiveColumns, subRegime, delta: deltas.length === 1 ? deltas[0] : deltas[i], nClasses: info.nClasses });
      if (!compiled.ok) throw new ConstraintCompileError(`--constraint ${i + 1}`, compiled.error);
      return compiled.constraint;
    });
    const intersections = (values.intersection ?? []).map((s) => s.split(',').map((c) => c.trim()));
    for (const cols of intersections) {
      const unknown = cols.find((c) => !data.sensitiveColumns.includes(c));
      if (unknown) throw new UsageError(`--intersection names unknown attribute '${unknown}' (known: ${data.sensitiveColumns.join(', ')})`);
    }

    // The audited rows and their probabilities.
    let audited: LabelledRows = data;
    let rows: RowRange;
    let probsAll: Float64Array;
    let nOutputs: number;
    let rowsJson: Record<string, unknown>;
    let sourceText: string;
    if (source.kind === 'predictions') {
      const matching: RowMatching = values.key ? { kind: 'key', column: values.key, rowKeys: datasetRowKeys(db, info.id, info.format) } : { kind: 'order' };
      const predictions = await readPredictions(source.path, data.nRows, matching);
      if (predictions.nOutputs !== 1 && predictions.nOutputs !== info.nClasses) {
        throw new UsageError(`the predictions have ${predictions.nOutputs} class columns but dataset '${info.name}' has ${info.nClasses} classes`);
      }
      if (predictions.nOutputs === 1 && info.nClasses > 2) throw new UsageError(`dataset '${info.name}' is multiclass (${info.nClasses} classes): give p_0 … p_${info.nClasses - 1}`);
      rows = whichRows === 'safety' ? candidateSafetySplit(data.nRows, fracSafety).safety : { start: 0, end: data.nRows };
      probsAll = predictions.probs;
      nOutputs = predictions.nOutputs;
      rowsJson = { which: whichRows, start: rows.start, end: rows.end };
      sourceText = `predictions ${source.path}`;
    } else {
      if (!data.images) throw new InputError(`dataset '${info.name}' holds numeric features, not images: a model is audited on an image dataset (audit its predictions with --predictions)`);
      const report = await selectBackend(backend);
      if (!values.quiet && !values.json) out.stderr(`backend: ${report.name} (${describeLoaded(report)})`);
      const opened = await openAuditModel(db, source.kind === 'model' ? source : { kind: 'run', id: source.id, which }, data, info.name, resizeOption);
      model = opened.model;
      sourceText = opened.sourceText;
      // Which dataset rows, in which order: all; the engine's split of the stored order; or a run's own safety rows.
      let selection: Int32Array | undefined;
      const ownRun = run && run.datasetId === info.id;
      if (whichRows === 'safety' && ownRun && !retrain) {
        if (values['frac-safety'] !== undefined) throw new UsageError(`--rows safety on run ${run.id}'s own dataset audits the run's own safety rows; drop --frac-safety`);
        const runRows = getRunRows(db, run.id);
        if (!runRows) throw new InputError(`run ${run.id} has no stored row order`);
        selection = runRows.rowOrder.slice(run.nCandidate);
        rowsJson = { which: 'safety', of: `run ${run.id}`, n: selection.length };
      } else if (whichRows === 'safety') {
        const split = candidateSafetySplit(data.nRows, fracSafety).safety;
        selection = Int32Array.from({ length: split.end - split.start }, (_, i) => split.start + i);
        rowsJson = { which: 'safety', start: split.start, end: split.end };
      } else {
        rowsJson = { which: 'all', start: 0, end: data.nRows };
      }
      const fitted = auditImages(opened, data, info.name, selection);
      const images = fitted.images;
      audited = fitted.audited;
      if (retrain) return await retrainAndReport({ model, images, data: audited, constraints, info, sourceText, backendName: report.name, values, fracSafety, method, out });
      const predictions = await auditModelPredictions(opened, images, info.nClasses, info.name);
      rows = { start: 0, end: audited.nRows };
      probsAll = predictions.probs;
      nOutputs = predictions.nOutputs;
    }

    const probs = probsAll.subarray(rows.start * nOutputs, rows.end * nOutputs);
    const results = auditConstraints({ data: audited, probs, nOutputs, rows, constraints, mode, method });
    const groupProbs = mode.kind === 'hard' ? hardDecisions(probs, nOutputs, mode.threshold) : probs;
    const groups = groupTable({ data: audited, probs: groupProbs, nOutputs, rows, intersections, alpha, method });
    const modeText = mode.kind === 'hard' ? `hard decisions at p ≥ ${mode.threshold}` : 'soft (probabilistic) estimators';
    if (values.json) {
      out.stdout(
        stringifyJson({
          dataset: { id: info.id, name: info.name },
          source: source.kind === 'predictions' ? { kind: 'predictions', path: source.path } : source.kind === 'model' ? { kind: 'model', path: source.path } : { kind: 'run', id: source.id, which },
          rows: rowsJson,
          mode: mode.kind === 'hard' ? { kind: 'hard', threshold: mode.threshold } : { kind: 'soft' },
          bound: method,
          constraints: results.map(constraintJson),
          groups: groups.map(groupJson),
          group_confidence: 1 - alpha,
        }),
      );
    } else {
      const rowText = 'start' in rowsJson ? `rows ${String(rowsJson.start)}–${Number(rowsJson.end) - 1} (${whichRows})` : `the ${String(rowsJson.n)} safety rows of ${String(rowsJson.of)}`;
      out.stdout(formatText(results, groups, `audit of ${sourceText} on '${info.name}', ${rowText}, ${modeText}, ${method} bounds`));
    }
    if (values.report !== undefined || values.pdf !== undefined) {
      const rowsText = 'start' in rowsJson ? `rows ${String(rowsJson.start)}–${Number(rowsJson.end) - 1} (${whichRows})` : `the safety rows of ${String(rowsJson.of)}`;
      let summary: DatasetSummary | null = null;
      try {
        summary = datasetSummary(db, info.id);
      } catch {
        // The report says the summary is unavailable.
      }
      const html = buildAuditReportHtml({
        results,
        groups,
        summary,
        metadata: { datasetName: info.name, source: sourceText, sourceKind: source.kind, mode, method, rowsText, nRows: rows.end - rows.start, groupConfidence: 1 - alpha },
      });
      return await writeReport(html, values.report, values.pdf, out, values.json || values.quiet);
    }
    return 0;
  } finally {
    model?.dispose();
    db.close();
  }
}

/** Writes the audit's HTML and/or PDF report; 1 when Chromium is missing for --pdf. */
async function writeReport(html: string, htmlFile: string | undefined, pdfFile: string | undefined, out: CliOutput, silent: boolean): Promise<number> {
  const files: string[] = [];
  if (htmlFile !== undefined) {
    mkdirSync(dirname(htmlFile), { recursive: true });
    writeFileSync(htmlFile, html);
    files.push(htmlFile);
  }
  if (pdfFile !== undefined) {
    try {
      mkdirSync(dirname(pdfFile), { recursive: true });
      await printPdf(html, pdfFile);
      files.push(pdfFile);
    } catch (error) {
      if (error instanceof ChromiumMissingError) {
        out.stderr(`error: ${error.message}${files.length ? ` (the HTML report was written to ${files.join(', ')})` : ''}`);
        return 1;
      }
      throw error;
    }
  }
  if (!silent) out.stderr(`report: wrote ${files.join(', ')}`);
  return 0;
}

interface RetrainArgs {
  readonly model: tf.LayersModel;
  readonly images: ImageSet;
  readonly data: LabelledRows;
  readonly constraints: readonly CompiledConstraint[];
  readonly info: DatasetInfo;
  readonly sourceText: string;
  readonly backendName: string;
  readonly values: { readonly iterations?: string; readonly 'alpha-theta'?: string; readonly 'alpha-lambda'?: string; readonly 'lambda-init'?: string; readonly seed?: string; readonly json?: boolean; readonly quiet?: boolean };
  readonly fracSafety: number;
  readonly method: BoundMethod;
  readonly out: CliOutput;
}

async function retrainAndReport(a: RetrainArgs): Promise<number> {
  const { values, out, constraints } = a;
  const positive = (v: number) => v > 0;
  const lambdaValues = (values['lambda-init'] ?? String(RETRAIN_HEAD_DEFAULTS.lambdaInit)).split(',').map((t) => numberOption('lambda-init', t, 0, (v) => v >= 0, 'a number ≥ 0 (or one per constraint, comma-separated)'));
  if (lambdaValues.length !== 1 && lambdaValues.length !== constraints.length) throw new UsageError(`--lambda-init needs one value or one per constraint (${constraints.length}), got ${lambdaValues.length}`);
  const settings: RetrainHeadSettings = {
    fracSafety: a.fracSafety,
    seed: runSeeds(integerOption('seed', values.seed, 0, 0)).head,
    iterations: integerOption('iterations', values.iterations, RETRAIN_HEAD_DEFAULTS.iterations, 1),
    alphaTheta: numberOption('alpha-theta', values['alpha-theta'], RETRAIN_HEAD_DEFAULTS.alphaTheta, positive, 'a positive number'),
    alphaLambda: numberOption('alpha-lambda', values['alpha-lambda'], RETRAIN_HEAD_DEFAULTS.alphaLambda, positive, 'a positive number'),
    lambdaInit: lambdaValues.length === 1 ? constraints.map(() => lambdaValues[0]) : lambdaValues,
    boundMethod: a.method,
  };
  let lastPrint = 0;
  const r = await retrainHead({
    model: a.model,
    images: a.images,
    data: a.data,
    constraints,
    settings,
    onIteration: (p) => {
      if (values.quiet || values.json) return;
      const now = performance.now();
      if (p.iteration !== 0 && p.iteration + 1 !== p.total && now - lastPrint < 2000) return;
      lastPrint = now;
      out.stderr(`  iteration ${p.iteration + 1}/${p.total}: f ${p.f.toFixed(4)}, g [${p.g.map((v) => v.toFixed(4)).join(', ')}]`);
    },
  });
  const result = r.result;
  const retrained = constraintResults(result, constraints);
  const timings = { latents: r.timingsSeconds.latents, candidate_selection: r.timingsSeconds.candidateSelection, safety_test: r.timingsSeconds.safetyTest };
  const verdict = result.outcome.kind === 'passed' ? 'passed' : 'nsf';
  if (values.json) {
    out.stdout(
      stringifyJson({
        verdict,
        dataset: { id: a.info.id, name: a.info.name },
        model: a.sourceText,
        backend: a.backendName,
        latent_dim: r.latentDim,
        replaced_head: r.replacedHead,
        n_rows: a.data.nRows,
        settings: { frac_safety: settings.fracSafety, iterations: settings.iterations, alpha_theta: settings.alphaTheta, alpha_lambda: settings.alphaLambda, lambda_init: settings.lambdaInit, seed: values.seed === undefined ? 0 : Number(values.seed), bound: a.method, kernel: r.kernel.name, kernel_threads: r.kernel.threads },
        group_accuracy: r.groupAccuracy,
        ...buildQsaReport(result, constraints, r.nOutputs, timings),
      }),
    );
    return 0;
  }
  const cs = result.candidateSelection;
  const lines = [
    `retrained head on '${a.info.name}': ${verdict === 'passed' ? 'PASSED — the model passed the safety test' : `No Solution Found${result.outcome.kind === 'no_solution_found' ? ` (${result.outcome.message})` : ''}`}`,
    `${a.sourceText}: head (${r.replacedHead.inputDim} → ${r.replacedHead.units}) cut, a fresh ${r.nOutputs === 1 ? 'logistic' : `softmax (${r.nOutputs} classes)`} head on its ${r.latentDim}-d latent features; ` +
      `${a.data.nRows} rows (${r.nCandidate} candidate / ${r.nSafety} safety, frac safety ${settings.fracSafety}); backend ${a.backendName}; head QSA on the ${r.kernel.name === 'simd' ? `SIMD kernel (${r.kernel.threads} threads)` : 'JS kernel'}`,
    ...retrained.flatMap(formatConstraint),
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
