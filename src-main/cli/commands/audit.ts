/**
 * `fairbound audit`: turns the flags into the contract's audit input (checked by the same zod schema as
 * the app's audit.run), runs the audit use-case (services/audit.ts) with the model run in this process,
 * and prints its result: text, or the contract's result shape with --json. --report/--pdf write the HTML
 * report of that result; --retrain-head is a separate step (audit-retrain-head.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { AUDIT_BOUND_METHODS, auditBoundLabel, DEFAULT_AUDIT_BOUND, intervalConfidenceText, NO_DATA_NEEDED_TEXT, verdictLine } from '../../../src-shared/bounds/audit-bounds';
import { BOUND_METHODS } from '../../../src-shared/domain/qsa';
import { auditVerdictSentence, guaranteeBound, pretrainedBodySentence, rateKindLabel } from '../../../src-shared/domain/guarantee-wording';
import { uncappedAuditInput } from '../../../src-shared/contract/audit-input';
import { auditResult, type AuditInput, type AuditResult, type OnnxPreprocessing } from '../../../src-shared/contract/schemas';
import { onnxPreprocessingText, parseNormalizePairs } from '../../../src-shared/contract/onnx-preprocessing';
import { isOnnxPath } from '../../audit/onnx/predict';
import { predictAuditRows, type AuditModelSource } from '../../audit/model-audit';
import { BACKEND_PREFERENCES, type BackendPreference } from '../../deep/backend-types';
import { ConstraintCompileError } from '../../errors/constraint-compile-error';
import { InputError } from '../../errors/input-error';
import { buildAuditReportHtml } from '../../report/audit-report';
import { ChromiumMissingError, printPdf } from '../../report/pdf';
import { refuseExisting, writeFileSafely, type SafeWriteOptions } from '../../data/safe-write';
import { FORCE_OPTION, refusingExisting } from '../overwrite';
import type { ExportedModel } from '../../runs/export';
import { buildAuditCertificate } from '../../certificate/build';
import { writeCertificate } from '../../services/certificate';
import { reportInput, rowsText, runAudit, summaryOrNull, type AuditComputation, type AuditPredictor } from '../../services/audit';
import { ConstraintListError } from '../../errors/constraint-compile-error';
import { openWorkspace, resolveDatabasePath, type ReadableDB } from '../../store/database';
import { getDataset } from '../../store/datasets';
import { getRun } from '../../store/runs';
import { parseFlagInput } from '../flag-input';
import { integerOption, numberOption } from '../number-flags';
import { contractJson } from '../contract-json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';
import { runRetrainHeadCommand, type RetrainHeadCommand } from './audit-retrain-head';
import { runPretrainedCommand } from './audit-pretrained-run';
import { cliCertificateEnvironment } from './certificate';
import { resolveDataset } from './datasets';

export const auditHelp = `fairbound audit --dataset <name|id> (--predictions <csv> (--key <column> | --by-order) | --model <model.json|model.onnx> | --run <id>)
                 --constraint '<str>' [--constraint …] --delta 0.05 [--delta …]
                 [--threshold 0.5] [--soft] [--bound exact|hoeffding|student-t] [--rows safety|all] [--frac-safety 0.5]
                 [--confidence-alpha 0.05] [--intersection M,White …] [--db <file>] [--json]
                 [--backend auto|tensorflow|wasm|cpu] [--resize S] [--which seldonian|candidate|trained|initial]
                 [--report <file.html>] [--pdf <file.pdf>] [--certificate <file.json>] [--force]
                 ONNX (--model <file.onnx>): [--layout NCHW|NHWC] [--normalize mean,std[,mean,std…]] [--channels 1|3]
                 [--output logits|probabilities] [--positive-class K]
fairbound audit --retrain-head --model <model.json|model.onnx> [--latent-output <name>] --dataset <name|id> --constraint '<str>' … --delta 0.05 …
                 [--frac-safety 0.5] [--iterations 1200] [--alpha-theta 0.01] [--alpha-lambda 0.01]
                 [--lambda-init 0.5] [--seed 0] [--bound student-t|hoeffding|exact] [--backend …] [--resize S] [--json]
  High-confidence bounds on each constraint's g for an existing model, given as exactly one of:
  --predictions: a CSV with 'p', or 'p_0' … 'p_{K-1}', matched to the dataset's rows by a key column (the
    image path for image-folder datasets, else the row's 0-based position in the source file) or by order;
  --model: a TF.js layers model (model.json with weights.bin next to it, e.g. from \`fairbound run
    export-model\` or converted from Keras) run on the dataset's images (pixels scaled to [0, 1], inference
    mode) on the --backend chain; its input shape must be the images' (after --resize S, bilinear) and its
    class count the dataset's; it may end in a dense head on logits, a softmax, or one sigmoid unit;
  --model <file.onnx>: an ONNX model (PyTorch's torch.onnx.export, Keras via tf2onnx, …) run by ONNX Runtime
    (CUDA, DirectML or CoreML where present, else the CPU; the output names which ran) on the dataset's
    images: one float input of rank 4, NCHW or NHWC (--layout; detected from the input shape where only
    one reading has 1 or 3 channels), a dynamic batch dimension or a fixed one; pixels scaled to [0, 1],
    then per channel (x − mean)/std with --normalize (torchvision's Normalize; one pair for every channel);
    --channels 3 replicates grey images into R, G, B, --channels 1 feeds RGB images' luma; --output says
    whether the one output [batch, K] holds logits (softmax over K, sigmoid over one) or probabilities
    (default: read from its last operator); --positive-class K audits class K of a multiclass model
    against the rest on a binary dataset. The result records all of it. External data files must lie in
    the model's folder;
  --run: the model of a stored training run (--which, default seldonian: for a head run the trained body
    with the QSA's head), on --dataset (default: the run's own), resized to the run's input size. On the
    run's own dataset the audited rows are the run's own safety rows (its row order, its split): for its
    seldonian or candidate model the verdict then repeats the run's safety test, it is no independent
    confirmation. --rows all there includes the rows that trained the model, and the verdict says it is
    not a guarantee. A pretrained run is audited as its export (\`run export-model\`: ONNX for an ONNX
    model, fed with the run's pre-processing; TF.js for a TF.js model) and the run's resize; its body's
    training rows are unknown, and the output says so.
  Verdict per constraint: holds (upper bound of g ≤ 0), violated (lower bound of g > 0) or inconclusive
  (with the data that would decide). Estimators are hard decisions at --threshold (what a deployed
  classifier does) unless --soft (the engine's probabilistic estimators). --rows safety audits the rows
  the engine's split would hold out (the last frac-safety share); all (default but for a run on its own
  dataset) audits every row. A model or predictions file may have trained on the audited rows, which
  the audit cannot know: its verdicts hold only if none did.
  --bound exact (default) is valid without approximation: Clopper–Pearson's binomial bound for hard
  decisions, the betting bound (Waudby-Smith & Ramdas' hedged capital process, rows in the audited
  order) for --soft; hoeffding holds for any distribution on [0, 1] but is wider; student-t is the
  engine's normal approximation: approximate, and unreliable for small groups (five correct rows give a
  zero-width interval). g's bounds are two one-sided bounds at δ each: each end holds with confidence
  1 − δ, the pair [lower, upper] together with 1 − 2δ; each verdict uses one end, at 1 − δ.
  --report writes, besides the normal output, a self-contained HTML report (inline CSS and SVG, no external
  references): the dataset's rows per group and class, the model source, mode, bound method and rows
  audited, and per constraint g, δ, the verdict, g's point estimate and bounds and every base node's
  interval (chart and table), plus the per-group rate table. --pdf prints it through Chromium
  (/usr/bin/chromium, or CHROMIUM_PATH); without Chromium --pdf exits 1 (the HTML, if asked, is written).
  --certificate writes the audit's certificate (README, "Certificates"): the verdicts and bounds with the
  SHA-256 of the model's files (a run's: as \`fairbound run export-model\` writes them), of the audited rows
  and of the settings, which \`fairbound verify\` recomputes from the files.
  An existing report or certificate file is replaced only with --force (exit 2 otherwise, before the audit runs).
  --retrain-head (Tutorial J's pretrained-network path): cuts the model's head, maps every row of the
  dataset through its body to latent features and runs the QSA on a fresh head (logistic for a binary
  dataset, softmax otherwise). For --run on the run's own dataset the rows and split are the run's own
  (its order; its candidate rows, which trained the body, stay candidate rows; --frac-safety is refused),
  so that no row that trained the body becomes a safety row; otherwise candidate rows = the first
  round(N·(1−frac)) rows of the stored order, safety rows = the rest. An ONNX model is cut at the input of
  its last Gemm or MatMul, or at the node output --latent-output names (flattened per row). A model file's
  training rows are unknown: its guarantee holds only if no safety row trained it, and the output says so.
  Prints the verdict and each constraint's safety-test bounds like \`fairbound train\` (--bound student-t,
  the default here, hoeffding or exact). With --model the result is a stored run (pipeline pretrained:
  its id is printed; \`fairbound run show\`, \`fairbound report run:<id>\`, \`run export-latents\` and, for an
  ONNX model, \`run export-model --format onnx\` work on it); with --run nothing is stored.
  Exit 0 for any verdict (a No Solution Found included), 2 for bad input (a model whose input shape or class
  count does not fit the dataset names both shapes).
  A constraint that starts with '-' must be attached: --constraint='-(ACC) + 0.7 <= 0'.`;

function formatText(result: AuditResult): string {
  const mode = result.mode.kind === 'hard' ? `hard decisions at p ≥ ${result.mode.threshold}` : 'soft (probabilistic) estimators';
  const lines = [`audit of ${result.source ?? result.sourceKind} on '${result.dataset.name}', ${rowsText(result.rows)}, ${mode}, ${auditBoundLabel(result.bound, result.mode.kind)}`];
  if (result.preprocessing) lines.push(`pre-processing: ${onnxPreprocessingText(result.preprocessing)}`);
  for (const c of result.constraints) {
    lines.push('', `${c.source}`, `  g = ${c.parsed}`, `  point estimate ${c.gPoint.toFixed(4)}, bounds [${c.gLower.toFixed(4)}, ${c.gUpper.toFixed(4)}] (${intervalConfidenceText(c.delta)})`);
    lines.push(`  ${verdictLine(c.verdict, c.delta, result.guarantee)}`);
    lines.push(`  ${auditVerdictSentence({ verdict: c.verdict, delta: c.delta, bound: guaranteeBound(result.bound, result.mode.kind), estimates: result.mode, guarantee: result.guarantee })}`);
    if (c.verdict === 'inconclusive') {
      lines.push(
        c.dataNeeded
          ? `  about ${c.dataNeeded.rows} rows (×${c.dataNeeded.factor.toFixed(2)}, same group shares and spreads) would likely show it ${c.dataNeeded.towards === 'holds' ? 'holds' : 'is violated'}`
          : `  ${NO_DATA_NEEDED_TEXT}`,
      );
    }
    for (const n of c.baseNodes) lines.push(`    ${n.name}: n=${n.n} mean=${n.mean.toFixed(4)} [${n.lower.toFixed(4)}, ${n.upper.toFixed(4)}]`);
  }
  lines.push('', `rates per group: ${rateKindLabel(result.mode, 'rates')}, mean [two-sided interval]`);
  lines.push('group            n      ' + Object.keys(result.groups[0]?.rates ?? {}).map((m) => m.padEnd(22)).join(''));
  for (const g of result.groups) {
    const name = (g.columns.length ? g.columns.join('&') : 'all').padEnd(16);
    const cells = Object.values(g.rates).map((r) => `${r.mean.toFixed(3)} [${r.lower.toFixed(3)},${r.upper.toFixed(3)}]`.padEnd(22));
    lines.push(`${name} ${String(g.n).padEnd(6)} ${cells.join('')}`);
  }
  return lines.join('\n');
}

const ONNX_FLAGS = ['layout', 'normalize', 'channels', 'output', 'positive-class'] as const;

/** An ONNX model's pre-processing flags as the contract's object (its schema checks the ranges again). */
function onnxOptions(values: Partial<Record<(typeof ONNX_FLAGS)[number], string>>): OnnxPreprocessing {
  const options: { -readonly [K in keyof OnnxPreprocessing]: OnnxPreprocessing[K] } = {};
  if (values.layout !== undefined) {
    const layout = values.layout.toUpperCase();
    if (layout !== 'NCHW' && layout !== 'NHWC') throw new UsageError(`--layout must be NCHW or NHWC, got '${values.layout}'`);
    options.layout = layout;
  }
  if (values.normalize !== undefined) {
    const pairs = parseNormalizePairs(values.normalize);
    if (typeof pairs === 'string') throw new UsageError(`--normalize: ${pairs}`);
    options.normalize = pairs;
  }
  if (values.channels !== undefined) {
    if (values.channels !== '1' && values.channels !== '3') throw new UsageError(`--channels must be 1 or 3, got '${values.channels}'`);
    options.channels = values.channels === '1' ? 1 : 3;
  }
  if (values.output !== undefined) {
    if (values.output !== 'logits' && values.output !== 'probabilities') throw new UsageError(`--output must be logits or probabilities, got '${values.output}'`);
    options.output = values.output;
  }
  if (values['positive-class'] !== undefined) options.positiveClass = integerOption('positive-class', values['positive-class'], 0, 0);
  return options;
}

/** Where the audited probabilities come from, as the flags give it. */
type SourceFlag = { readonly kind: 'predictions'; readonly path: string } | { readonly kind: 'model'; readonly path: string } | { readonly kind: 'run'; readonly id: number };

const WHICH = ['seldonian', 'candidate', 'trained', 'initial'] as const;

function sourceOf(values: { predictions?: string; model?: string; run?: string }): SourceFlag {
  const given = (['predictions', 'model', 'run'] as const).filter((k) => values[k] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(given.length === 0 ? 'audit needs one of --predictions <csv>, --model <model.json> or --run <id>' : `give exactly one of --predictions, --model or --run, got ${given.map((g) => `--${g}`).join(' and ')}`);
  }
  if (values.predictions !== undefined) return { kind: 'predictions', path: values.predictions };
  if (values.model !== undefined) return { kind: 'model', path: values.model };
  return { kind: 'run', id: integerOption('run', values.run, 0, 1) };
}

function sourceFlagName(source: SourceFlag): string {
  return source.kind === 'predictions' ? 'predictions' : source.kind;
}

/**
 * The model run in this process, on the --backend chain. The flag applies to a run's model too, which
 * the contract's run source cannot name (the app's worker uses its own chain); so does --resize.
 */
function inProcessPredictor(db: ReadableDB, backend: BackendPreference, resize: number | null): AuditPredictor {
  return (request, options) =>
    predictAuditRows(db, { ...request, backend, resize: request.resize ?? resize }, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: (done: number, total: number) => options.onProgress?.({ done, total }) } : {}) });
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
      layout: { type: 'string' },
      normalize: { type: 'string' },
      channels: { type: 'string' },
      output: { type: 'string' },
      'positive-class': { type: 'string' },
      'latent-output': { type: 'string' },
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
      bound: { type: 'string' },
      rows: { type: 'string' },
      'frac-safety': { type: 'string' },
      'confidence-alpha': { type: 'string' },
      intersection: { type: 'string', multiple: true },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      report: { type: 'string' },
      pdf: { type: 'string' },
      certificate: { type: 'string' },
      ...FORCE_OPTION,
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
  const onnx = source.kind === 'model' && isOnnxPath(source.path) ? onnxOptions(values) : null;
  if (values['latent-output'] !== undefined && (onnx === null || !retrain)) throw new UsageError('--latent-output names where --retrain-head cuts an ONNX model (--model <file.onnx>)');
  if (onnx === null) {
    const given = ONNX_FLAGS.filter((flag) => values[flag] !== undefined);
    if (given.length > 0) throw new UsageError(`--${given[0]} applies to an ONNX model (--model <file.onnx>)`);
  } else if (values.backend !== undefined) {
    throw new UsageError('--backend picks the TF.js backend; an ONNX model runs on ONNX Runtime (CUDA, DirectML or CoreML where present, else the CPU)');
  }
  if (!values.dataset && source.kind !== 'run') throw new UsageError('audit needs --dataset <name|id>');
  if (!retrain) {
    for (const flag of ['iterations', 'alpha-theta', 'alpha-lambda', 'lambda-init', 'seed'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --retrain-head`);
    }
  } else {
    for (const flag of ['threshold', 'rows', 'confidence-alpha'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to an audit, not to --retrain-head`);
    if (values.soft) throw new UsageError('--soft applies to an audit, not to --retrain-head (the QSA uses the engine\'s estimators)');
    if (values.intersection !== undefined) throw new UsageError('--intersection applies to an audit, not to --retrain-head');
    if (values.certificate !== undefined) throw new UsageError('--certificate certifies a bounds audit; --retrain-head --model stores a run (certify it with `fairbound run certificate <id>`)');
    if (values.report !== undefined || values.pdf !== undefined) throw new UsageError('--report and --pdf export a bounds audit; --retrain-head --model stores a run (its report: `fairbound report run:<id>`)');
  }
  if (values.force && values.report === undefined && values.pdf === undefined && values.certificate === undefined) throw new UsageError('--force applies to --report, --pdf and --certificate');
  const reportOptions = { overwrite: values.force };
  // An existing report or certificate file is refused before the audit runs (data/safe-write.ts writes it later).
  await refusingExisting(() => refuseExisting([values.report, values.pdf, values.certificate].filter((f) => f !== undefined), reportOptions));
  const sources = values.constraint ?? [];
  if (sources.length === 0) throw new UsageError("audit needs at least one --constraint '<str>'");
  const deltas = (values.delta ?? ['0.05']).map((d) => numberOption('delta', d, 0.05, (v) => v > 0 && v < 1, 'strictly between 0 and 1'));
  if (deltas.length !== 1 && deltas.length !== sources.length) throw new UsageError(`give one --delta or one per --constraint (${sources.length}), got ${deltas.length}`);
  if (retrain) {
    // The QSA's safety test on a fresh head: the same three bounds as `train --bound` (exact = betting).
    if (values.bound !== undefined && !(BOUND_METHODS as readonly string[]).includes(values.bound)) throw new UsageError(`--bound must be student-t, hoeffding or exact, got '${values.bound}'`);
  } else if (values.bound !== undefined && !(AUDIT_BOUND_METHODS as readonly string[]).includes(values.bound)) {
    throw new UsageError(`--bound must be exact, hoeffding or student-t, got '${values.bound}'`);
  }
  const whichRows = values.rows;
  if (whichRows !== undefined && whichRows !== 'all' && whichRows !== 'safety') throw new UsageError(`--rows must be safety or all, got '${values.rows}'`);
  if (values.soft && values.threshold !== undefined) throw new UsageError('--threshold applies to hard decisions; drop it or --soft');
  const threshold = numberOption('threshold', values.threshold, 0.5, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const fracSafety = numberOption('frac-safety', values['frac-safety'], 0.5, (v) => v > 0 && v < 1, 'strictly between 0 and 1');
  const alpha = numberOption('confidence-alpha', values['confidence-alpha'], 0.05, (v) => v > 0 && v < 1, 'strictly between 0 and 1');
  const backend = (values.backend ?? 'auto') as BackendPreference;
  if (!BACKEND_PREFERENCES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_PREFERENCES.join(', ')}, got '${values.backend}'`);
  const resizeOption = values.resize === undefined ? null : integerOption('resize', values.resize, 0, 1);
  const which = (values.which ?? 'seldonian') as ExportedModel;
  if (!WHICH.includes(which)) throw new UsageError(`--which must be one of ${WHICH.join(', ')}, got '${values.which}'`);

  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    const run = source.kind === 'run' ? getRun(db, source.id) : undefined;
    if (source.kind === 'run' && !run) throw new InputError(`no run ${source.id} in this workspace (see \`fairbound runs\`)`);
    let datasetRef: string | number | undefined = values.dataset;
    if (datasetRef === undefined && run) {
      if (run.datasetId === null) throw new InputError(`run ${run.id}'s dataset '${run.datasetName}' was deleted: give --dataset`);
      datasetRef = run.datasetId;
    }
    const info = typeof datasetRef === 'number' ? getDataset(db, datasetRef)! : resolveDataset(db, datasetRef!);
    const constraints = sources.map((text, i) => ({ source: text, delta: deltas.length === 1 ? deltas[0] : deltas[i] }));
    if (retrain) {
      // A predictions file was refused with --retrain-head above.
      const modelSource: AuditModelSource = source.kind === 'run' ? { kind: 'run', id: source.id, which } : { kind: 'model', path: source.path };
      const qsaBound = (values.bound ?? 'student-t') as RetrainHeadCommand['method'];
      const onnxHead = onnx === null ? null : { preprocessing: onnx, ...(values['latent-output'] !== undefined ? { latentOutput: values['latent-output'] } : {}) };
      const command: RetrainHeadCommand = { db, info, source: modelSource, constraints, fracSafety: values['frac-safety'] === undefined ? null : fracSafety, method: qsaBound, backend, resize: resizeOption, onnx: onnxHead, flags: values, out };
      // A model file's pretrained path is a stored run; a run's model is retrained in-process and printed.
      return modelSource.kind === 'model' ? await runPretrainedCommand(command, modelSource.path) : await runRetrainHeadCommand(command);
    }
    const method = (values.bound ?? DEFAULT_AUDIT_BOUND) as AuditInput['bound'];
    if (whichRows !== 'all' && run && run.datasetId === info.id && values['frac-safety'] !== undefined) {
      throw new UsageError(`on run ${run.id}'s own dataset the audit uses the run's own safety rows; drop --frac-safety`);
    }
    const input = parseFlagInput(uncappedAuditInput, {
      datasetId: info.id,
      source:
        source.kind === 'predictions'
          ? { kind: 'predictions', path: source.path, matching: values.key ? { kind: 'key', column: values.key } : { kind: 'order' } }
          : source.kind === 'model'
            ? { kind: 'model', path: source.path, ...(onnx === null ? { backend } : { onnx }), ...(resizeOption !== null ? { resize: resizeOption } : {}) }
            : { kind: 'run', id: source.id, which },
      constraints,
      mode: values.soft ? { kind: 'soft' } : { kind: 'hard', threshold },
      bound: method,
      ...(whichRows === undefined ? {} : { rows: whichRows === 'safety' ? { kind: 'safety', fracSafety } : { kind: 'all' } }),
      groupAlpha: alpha,
      ...(values.intersection !== undefined ? { intersections: values.intersection.map((s) => s.split(',').map((c) => c.trim())) } : {}),
    }, { datasetId: 'dataset', source: sourceFlagName(source), mode: values.soft ? 'soft' : 'threshold', groupAlpha: 'confidence-alpha', intersections: 'intersection', rows: 'frac-safety' });
    let audit: AuditComputation;
    try {
      audit = await runAudit(input, { db, predict: inProcessPredictor(db, backend, resizeOption) });
    } catch (error) {
      if (error instanceof ConstraintListError) throw new ConstraintCompileError(`--constraint ${error.index + 1}`, error.error);
      throw error;
    }
    const { result } = audit;
    if (result.backend !== undefined && !values.quiet && !values.json) out.stderr(`backend: ${result.backend}`);
    // A pretrained run's body was trained on rows Fairbound does not know: every verdict rests on that.
    const bodyNote = result.pretrainedBody ? `\n\nguarantee: ${pretrainedBodySentence()}` : '';
    out.stdout(values.json ? contractJson(auditResult, result) : `${formatText(result)}${bodyNote}`);
    if (values.certificate !== undefined) {
      const file = values.certificate;
      const certificate = await buildAuditCertificate(cliCertificateEnvironment(db), input, result, { backend, resize: resizeOption });
      await refusingExisting(() => writeCertificate(certificate, file, reportOptions));
      if (!values.json && !values.quiet) out.stderr(`certificate: wrote ${file}`);
    }
    if (values.report === undefined && values.pdf === undefined) return 0;
    const html = buildAuditReportHtml(reportInput(audit, summaryOrNull(db, info.id)));
    return await writeReport(html, values.report, values.pdf, out, values.json || values.quiet, reportOptions);
  } finally {
    db.close();
  }
}

/** Writes the audit's HTML and/or PDF report; 1 when Chromium is missing for --pdf. */
async function writeReport(
  html: string,
  htmlFile: string | undefined,
  pdfFile: string | undefined,
  out: CliOutput,
  silent: boolean,
  options: SafeWriteOptions,
): Promise<number> {
  const files: string[] = [];
  if (htmlFile !== undefined) {
    mkdirSync(dirname(htmlFile), { recursive: true });
    await refusingExisting(() => writeFileSafely(htmlFile, html, options));
    files.push(htmlFile);
  }
  if (pdfFile !== undefined) {
    try {
      mkdirSync(dirname(pdfFile), { recursive: true });
      await refusingExisting(() => printPdf(html, pdfFile, options));
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
