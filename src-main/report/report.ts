/**
 * The self-contained audit report: one HTML file with inline CSS and inline SVG charts for a
 * stored training run or a stored experiment — dataset summary per group, constraints and δ, the verdict
 * with every base node's safety-test interval (runs), the candidate-selection curves (runs), the three
 * experiment plots (experiments), settings, backend, seeds and software versions. PDF through
 * Chromium's print (pdf.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { confidenceLabel, conclusionLabel, safetyHeadline, type RateConclusion } from '../../src-shared/domain/experiment-safety';
import { groupAccuracyLabel, groupAccuracyNote, pretrainedBodySentence, qsaGuaranteeBound, qsaNoSolutionSentence, qsaPassedSentence, RUN_ESTIMATES } from '../../src-shared/domain/guarantee-wording';
import { qsaBoundLabel } from '../../src-shared/domain/qsa';
import { runBoundMethod } from '../../src-shared/domain/runs';
import { InputError } from '../errors/input-error';
import { experimentResults, experimentSvgs, type ExperimentResults } from '../experiments/results';
import type { ReadableDB } from '../store/database';
import { getRunConstraints, getRunIterations, type RunConstraintResult } from '../store/run-results';
import { getRun, type RunInfo } from '../store/runs';
import { datasetSummary, type DatasetSummary } from '../store/summary';
import { candidateSelectionSvg } from './charts';
import { escapeHtml, formatNumber, keyValues, page, section, table } from './html';

export type ReportKind = 'run' | 'experiment';

export interface ReportTarget {
  readonly kind: ReportKind;
  readonly id: number;
}

/**
 * `run:3`, `experiment:2`, or a bare id with `kind`. Throws InputError for anything else (ids of runs and
 * experiments are separate namespaces, so a bare id needs the kind).
 */
export function parseReportTarget(text: string, kind?: string): ReportTarget {
  const m = /^(?:(run|experiment):)?(\d+)$/.exec(text.trim());
  if (!m) throw new InputError(`a report target is run:<id>, experiment:<id>, or an id with --kind run|experiment; got '${text}'`);
  if (kind !== undefined && kind !== 'run' && kind !== 'experiment') throw new InputError(`--kind must be run or experiment, got '${kind}'`);
  if (m[1] && kind && m[1] !== kind) throw new InputError(`'${text}' names a ${m[1]}, but --kind says ${kind}`);
  const resolved = (m[1] ?? kind) as ReportKind | undefined;
  if (!resolved) throw new InputError(`'${text}': run and experiment ids are separate; write run:${m[2]} or experiment:${m[2]} (or add --kind)`);
  const id = Number(m[2]);
  if (!(id >= 1)) throw new InputError(`ids are positive integers, got '${m[2]}'`);
  return { kind: resolved, id };
}

/** Node, Fairbound and TensorFlow.js versions. */
export function softwareVersions(): [string, string][] {
  let version = 'unknown';
  try {
    // src-main/report/ and out/cli/ both sit two levels below the package root.
    version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    // Not found next to the code (e.g. a relocated bundle): stays unknown.
  }
  let tfVersion = 'unknown';
  try {
    // The installed package's version (what tf.version says), read without loading TensorFlow.js: the
    // Electron main process builds audit reports and must never load it.
    tfVersion = (createRequire(import.meta.url)('@tensorflow/tfjs/package.json') as { version?: string }).version ?? 'unknown';
  } catch {
    // Not resolvable from this bundle's folder: stays unknown.
  }
  return [
    ['Fairbound', version],
    ['Node.js', process.versions.node],
    ['TensorFlow.js', tfVersion],
    ['Platform', `${process.platform} ${process.arch}`],
  ];
}

function datasetSection(summary: DatasetSummary | null, name: string, note: string): string {
  if (!summary) return section('Dataset', `<p>Dataset <b>${escapeHtml(name)}</b> was deleted; its summary is no longer available.</p>`);
  const d = summary.dataset;
  const classes = summary.labelCounts.map((_, c) => `<th class="num">y = ${c}</th>`);
  const head = ['Group', 'Columns', '<span class="num">Rows</span>', ...classes.map((c) => c.replace(/<\/?th[^>]*>/g, ''))];
  const rows = [
    ['<b>all</b>', '', `<span class="num">${d.nRows}</span>`, ...summary.labelCounts.map((n) => String(n))],
    ...[...summary.groups, ...summary.intersections].map((g) => [escapeHtml(g.name), escapeHtml(g.columns.join(', ')), String(g.count), ...g.labelCounts.map((n) => String(n))]),
  ];
  const image = d.image ? `${d.image.height}×${d.image.width}×${d.image.channels} images` : 'no images';
  const features = d.features ? `${d.features.count} numeric features` : 'no numeric features';
  const warnings = summary.warnings.map((w) => `<div class="warning">⚠ ${escapeHtml(w.message)}</div>`).join('');
  return section(
    'Dataset',
    `<p><b>${escapeHtml(d.name)}</b> (id ${d.id}, ${escapeHtml(d.format)}): ${d.nRows} rows, ${d.nClasses} classes, ${image}, ${features}. ${escapeHtml(note)}</p>` +
      `<h3>Rows per group and class</h3>${table(head, rows, 'groups')}${warnings}`,
  );
}

function summaryOrNull(db: ReadableDB, datasetId: number | null): DatasetSummary | null {
  if (datasetId === null) return null;
  try {
    return datasetSummary(db, datasetId);
  } catch {
    return null;
  }
}

function badge(passed: boolean | null): string {
  return passed === null ? '<span class="badge none">not tested</span>' : passed ? '<span class="badge pass">passed</span>' : '<span class="badge fail">failed</span>';
}

function interval(lower: number, upper: number, lowerNeeded: boolean, upperNeeded: boolean): string {
  return `[${lowerNeeded ? formatNumber(lower) : '−∞'}, ${upperNeeded ? formatNumber(upper) : '∞'}]`;
}

const PIPELINE_TITLES = { head: 'Body/head pipeline (Tutorial J)', full: 'Full-model QSA', pretrained: "Pretrained model's body, a fresh head by the QSA (Tutorial J)" } as const;

/** A pretrained run's source: the file, its SHA-256, the cut and the pre-processing. */
function pretrainedText(info: RunInfo): string {
  const p = info.settings.pretrained!;
  const body = info.result?.pretrainedBody;
  const pre = p.preprocessing;
  const fed = pre === null ? '' : `; fed ${pre.layout ?? 'layout from the input shape'}, pixels in [0, 1]${pre.normalize ? `, normalised (mean,std ${pre.normalize.map((n) => `${n.mean},${n.std}`).join(' ')})` : ''}${pre.channels !== undefined ? `, ${pre.channels} channel(s)` : ''}`;
  return `${p.kind === 'onnx' ? 'ONNX' : 'TF.js'} ${p.path} (${p.files.map((f) => `${f.name} SHA-256 ${f.sha256}`).join(', ')})${body ? `; cut at '${body.cutAt}', head ${body.replacedHead.inputDim} → ${body.replacedHead.units} replaced; latent features on ${body.computedBy}` : ''}${fed}`;
}

function runVerdict(info: RunInfo, constraints: readonly RunConstraintResult[]): string {
  const r = info.result;
  if (info.status === 'passed') {
    const sentences =
      constraints.map((c) => `<p>${escapeHtml(qsaPassedSentence({ source: c.source, delta: c.delta, bound: qsaGuaranteeBound(runBoundMethod(info.settings)), estimates: RUN_ESTIMATES }))}</p>`).join('') +
      (info.pipeline === 'pretrained' ? `<p>${escapeHtml(pretrainedBodySentence())}</p>` : '');
    return `<div class="verdict pass"><div class="big">PASSED — solution returned</div><p>Every constraint's high-confidence upper bound on g is ≤ 0 on the ${info.nSafety} safety rows.</p>${sentences}</div>`;
  }
  if (info.status === 'nsf') {
    const why = r?.outcome.message ?? r?.outcome.reason ?? '';
    return `<div class="verdict fail"><div class="big">NO SOLUTION FOUND (NSF)</div><p>${escapeHtml(qsaNoSolutionSentence())} ${escapeHtml(why)}</p></div>`;
  }
  return `<div class="verdict neutral"><div class="big">${escapeHtml(info.status.toUpperCase())}</div><p>${escapeHtml(info.error ?? 'The run has no verdict.')}</p></div>`;
}

function constraintsSection(constraints: readonly RunConstraintResult[]): string {
  const main = table(
    ['#', 'Constraint', 'g (≤ 0)', 'δ', 'Upper bound of g', 'Point estimate', 'Safety test'],
    constraints.map((c) => [String(c.position + 1), `<code>${escapeHtml(c.source)}</code>`, `<code>${escapeHtml(c.parsed)}</code>`, formatNumber(c.delta), formatNumber(c.upperBound), formatNumber(c.pointEstimate), badge(c.passed)]),
  );
  const nodes = constraints
    .filter((c) => c.nodes.length > 0)
    .map(
      (c) =>
        `<h3>Base nodes of constraint ${c.position + 1}</h3>` +
        table(
          ['Base node', 'Interval', 'δ lower', 'δ upper', 'n', 'mean', 'std'],
          c.nodes.map((n) => [
            `<code>${escapeHtml(n.name)}</code>`,
            interval(n.lower, n.upper, n.lowerNeeded, n.upperNeeded),
            formatNumber(n.deltaLower),
            formatNumber(n.deltaUpper),
            String(n.nSamples),
            formatNumber(n.mean),
            formatNumber(n.std),
          ]),
        ),
    )
    .join('');
  return section('Constraints, δ and the safety test', main + (nodes || '<p>No safety test ran (candidate selection returned NSF), so there are no base-node intervals.</p>'));
}

/** The report of a stored training run. */
export function runReportHtml(db: ReadableDB, runId: number): string {
  const info = getRun(db, runId);
  if (!info) throw new InputError(`no run with id ${runId} (fairbound runs lists them)`);
  const constraints = getRunConstraints(db, runId);
  const iterations = getRunIterations(db, runId);
  const s = info.settings;
  const r = info.result;
  const parts: string[] = [];
  parts.push(section('Verdict', runVerdict(info, constraints)));
  parts.push(datasetSection(summaryOrNull(db, info.datasetId), info.datasetName, `The run used ${info.nRows} rows: ${info.nCandidate} candidate, ${info.nSafety} safety.`));
  parts.push(
    constraints.length > 0
      ? constraintsSection(constraints)
      : section('Constraints and δ', table(['Constraint', 'δ'], info.constraints.map((c) => [`<code>${escapeHtml(c.source)}</code>`, formatNumber(c.delta)]))),
  );
  if (iterations.length > 0) {
    const chosen = r?.candidateSelection.chosenIndex ?? null;
    const svg = candidateSelectionSvg(iterations, { chosenIndex: chosen, constraintLabels: constraints.map((c) => `#${c.position + 1}`) });
    const cs = r?.candidateSelection;
    parts.push(
      section(
        'Candidate selection',
        `<figure>${svg}<figcaption>${iterations.length} iterations${cs ? ` of ${cs.iterationsPlanned} planned` : ''}; ` +
          `${chosen === null ? 'no iterate was chosen' : `the chosen iterate (${chosen}) is marked by the dashed line`}; ` +
          `red shading: g > 0 (infeasible) in the g panel, iterations with an infeasible g in the f panel.</figcaption></figure>`,
      ),
    );
  }
  if (r?.groupAccuracy) {
    const rows = r.groupAccuracy.groups.map((g) => {
      const cnn = r.trainedCnnGroupAccuracy?.find((t) => t.group === g.group);
      return [escapeHtml(g.group), String(g.n), formatNumber(g.accuracy), ...(r.trainedCnnGroupAccuracy ? [formatNumber(cnn?.accuracy ?? null)] : [])];
    });
    parts.push(
      section(
        'Accuracy per group (safety rows)',
        `<p>The ${r.groupAccuracy.of}'s ${escapeHtml(groupAccuracyNote(r.groupAccuracy.threshold))}.</p>` +
          table(['Group', 'n', `${escapeHtml(groupAccuracyLabel(r.groupAccuracy.threshold))} (${r.groupAccuracy.of})`, ...(r.trainedCnnGroupAccuracy ? [`${escapeHtml(groupAccuracyLabel(r.groupAccuracy.threshold))} (unconstrained CNN head)`] : [])], rows),
      ),
    );
  }
  const backend = info.backend ? `${info.backend.name} ${info.backend.version}${info.backend.device ? ` (${info.backend.device})` : ''}` : 'not started';
  parts.push(
    section(
      'Settings, backend, seeds and versions',
      keyValues([
        ['Pipeline', info.pipeline],
        ['Architecture', info.architecture],
        ...(s.pretrained ? ([['Pretrained model', pretrainedText(info)]] as const) : []),
        ['Input shape', s.inputShape.join('×')],
        ['Rows (candidate / safety)', `${info.nRows} (${info.nCandidate} / ${info.nSafety})`],
        ['frac_safety', s.fracSafety],
        ['Body training', s.body],
        ['QSA', s.qsa],
        ['QSA bound', qsaBoundLabel(runBoundMethod(s))],
        ['QSA model / objective', `${s.qsaModel} / ${s.objective}`],
        ['Backend', backend],
        ['Backend preference', info.backendPreference],
        ['Seed', info.seed],
        ['Derived seeds', info.seeds],
        ['Row order shuffle seed', s.shuffleSeed],
        ['Timings (s)', Object.fromEntries(Object.entries(info.timings).map(([k, v]) => [k, Number(v.toFixed(3))]))],
        ['Created / finished', `${info.createdAt} / ${info.finishedAt ?? '—'}`],
        ...softwareVersions(),
      ]),
    ),
  );
  return page(`Fairbound audit report — run ${info.id}`, `${PIPELINE_TITLES[info.pipeline]} on ${info.datasetName}, ${info.architecture}`, parts.join('\n'));
}

function conclusionBadge(conclusion: RateConclusion): string {
  const cls = conclusion === 'within' ? 'pass' : conclusion === 'exceeds' ? 'fail' : 'none';
  return `<span class="badge ${cls}">${escapeHtml(conclusionLabel(conclusion))}</span>`;
}

/**
 * The experiment's safety conclusion (src-shared/domain/experiment-safety.ts): exact binomial bounds on
 * each Seldonian model's violation rate over trials, per constraint and data fraction, against δ.
 */
function experimentVerdict(results: ExperimentResults): string {
  const { experiment, safety } = results;
  const level = confidenceLabel(safety.confidence);
  const verdict =
    safety.conclusion === 'none'
      ? '<div class="verdict neutral"><div class="big">NO SELDONIAN MODEL</div><p>The experiment compares baselines only (or has no stored Seldonian trial): there is no safety conclusion.</p></div>'
      : safety.conclusion === 'within'
        ? `<div class="verdict pass"><div class="big">WITHIN δ — P(violation) ≤ δ at every data fraction (${level} confidence)</div><p>${escapeHtml(safetyHeadline(safety))}</p></div>`
        : safety.conclusion === 'exceeds'
          ? `<div class="verdict fail"><div class="big">EXCEEDS δ — P(violation) &gt; δ at some data fraction (${level} confidence)</div><p>${escapeHtml(safetyHeadline(safety))}</p></div>`
          : `<div class="verdict neutral"><div class="big">TOO FEW TRIALS TO TELL whether P(violation) ≤ δ</div><p>${escapeHtml(safetyHeadline(safety))}</p></div>`;
  const status =
    experiment.status !== 'completed'
      ? `<div class="verdict neutral"><div class="big">EXPERIMENT ${escapeHtml(experiment.status.toUpperCase())}</div><p>${escapeHtml(experiment.error ?? 'Not every trial ran; the results below cover the stored trials.')}</p></div>`
      : '';
  const detail = safety.rows.length
    ? table(
        ['Seldonian model', 'Constraint', 'δ', 'φ', 'Violations / trials = rate', `Exact ${level} lower bound`, `Exact ${level} upper bound`, 'Conclusion'],
        safety.rows.flatMap((r) =>
          r.fractions.map((f) => [
            escapeHtml(r.model),
            `#${r.constraint + 1}`,
            formatNumber(r.delta),
            formatNumber(f.fraction),
            `${f.violations} / ${f.trials} = ${formatNumber(f.bounds.rate)}`,
            formatNumber(f.bounds.lower),
            formatNumber(f.bounds.upper),
            conclusionBadge(f.conclusion),
          ]),
        ),
      ) +
      `<p>Each bound is one-sided at ${level} (Clopper–Pearson, from the beta quantiles; together a ${confidenceLabel(2 * safety.confidence - 1)} two-sided interval). ` +
      'Exceeds δ: the lower bound is above δ; within δ: the upper bound is at most δ; otherwise the trials are too few to tell. A trial violates a constraint when g &gt; 0 on the ground truth; No Solution Found counts as not violated.</p>'
    : '';
  return status + verdict + detail + failedTrialsTable(results);
}

function failedTrialsTable(results: ExperimentResults): string {
  if (results.failedTrials.length === 0) return '';
  return (
    `<h3>Failed trials (${results.failedTrials.length})</h3><p>These trials threw an error that is neither No Solution Found nor a bounding error, so they have no result and are left out of every number in this report.</p>` +
    table(['Model', 'φ', 'Trial', 'Error'], results.failedTrials.map((t) => [escapeHtml(t.model), formatNumber(t.fraction), String(t.trialIndex), `<code>${escapeHtml(t.error)}</code>`]))
  );
}

/** The report of a stored experiment. */
export function experimentReportHtml(db: ReadableDB, experimentId: number): string {
  const results = experimentResults(db, experimentId);
  if (!results) throw new InputError(`no experiment with id ${experimentId} (fairbound experiments lists them)`);
  const { experiment, aggregates, trials } = results;
  const s = experiment.settings;
  const parts: string[] = [];
  parts.push(section('Verdict', experimentVerdict(results)));
  parts.push(datasetSection(summaryOrNull(db, experiment.datasetId), experiment.datasetName, `Every trial draws a bootstrap resample of ${s.rows === undefined ? `all ${experiment.nRows} rows` : `the dataset's first ${s.rows} rows (of its stored order)`}; solutions are scored on all of them (the ground truth).`));
  parts.push(
    section(
      'Constraints and δ',
      table(['#', 'Constraint', 'g (≤ 0)', 'δ'], experiment.constraints.map((c, j) => [String(j + 1), `<code>${escapeHtml(c.source)}</code>`, `<code>${escapeHtml(c.parsed)}</code>`, formatNumber(c.delta)])),
    ),
  );
  const svgs = experimentSvgs(results, { width: 1020, height: 330 });
  parts.push(
    section(
      'Performance, probability of a solution, probability of violation',
      svgs.map((p, j) => `<figure>${p.svg}<figcaption>Constraint ${j + 1}: <code>${escapeHtml(experiment.constraints[j].source)}</code>, δ = ${formatNumber(experiment.constraints[j].delta)} (dashed line in the violation plot).</figcaption></figure>`).join(''),
    ),
  );
  const rows = aggregates.models.flatMap((m) =>
    m.fractions.map((f) => [
      escapeHtml(m.name),
      escapeHtml(m.kind),
      formatNumber(f.fraction),
      String(f.trials),
      String(f.solutions),
      f.performance ? `${formatNumber(f.performance.mean)} ± ${formatNumber(f.performance.ste)}` : '—',
      formatNumber(f.probabilityOfSolution.mean),
      f.probabilityOfViolation.map((v) => formatNumber(v.mean)).join(', '),
    ]),
  );
  parts.push(section('Results per model and data fraction', table(['Model', 'Kind', 'φ', 'Trials', 'Solutions', `Performance (${escapeHtml(s.performance)})`, 'P(solution)', 'P(violation)'], rows)));
  parts.push(
    section(
      'Settings, seeds and versions',
      keyValues([
        ['Experiment', `${experiment.id}: ${experiment.name}`],
        ['Status', experiment.status],
        ['Rows', s.rows === undefined ? `all ${experiment.nRows}` : `the first ${s.rows} of the dataset's stored order`],
        ['Data fractions', s.fractions],
        ['Trials', s.nTrials],
        ['Stored trials', results.failedTrials.length > 0 ? `${trials.length} (${results.failedTrials.length} failed)` : trials.length],
        ['Models', s.models.map((m) => (Object.keys(m.params).length ? `${m.name} ${JSON.stringify(m.params)}` : m.name)).join('; ')],
        ['Performance metric / threshold', `${s.performance} / ${s.threshold}`],
        ['QSA', s.qsa],
        ['Experiment seed', experiment.seed],
        ['Run time (s)', Number(experiment.runSeconds.toFixed(2))],
        ['Created / finished', `${experiment.createdAt} / ${experiment.finishedAt ?? '—'}`],
        ['Backend', 'TensorFlow.js backend of the deep models as selected at run time (not stored per experiment)'],
        ...softwareVersions(),
      ]),
    ),
  );
  return page(`Fairbound audit report — experiment ${experiment.id}`, `${experiment.name} on ${experiment.datasetName}`, parts.join('\n'));
}

export function reportHtml(db: ReadableDB, target: ReportTarget): string {
  return target.kind === 'run' ? runReportHtml(db, target.id) : experimentReportHtml(db, target.id);
}
