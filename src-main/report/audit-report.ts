/**
 * The self-contained HTML report of `fairbound audit` (an existing model's predictions bounded per
 * constraint): dataset summary per group, model source, estimator mode, bound method, the verdict per
 * constraint with g's point estimate and bounds, every base node's interval as an inline SVG chart
 * (ECharts' server-side renderer) and a table, and the per-group rate table. Pure: no database access.
 */
import * as echarts from 'echarts';
import type { AuditResult, OnnxPreprocessingRecord } from '../../src-shared/contract/schemas';
import { onnxPreprocessingText } from '../../src-shared/contract/onnx-preprocessing';
import { auditBoundLabel, guaranteeNote, intervalConfidenceText, NO_DATA_NEEDED_TEXT, verdictLine, type AuditBoundMethod, type AuditGuaranteeKind } from '../../src-shared/bounds/audit-bounds';
import { auditVerdictSentence, guaranteeBound, pretrainedBodySentence, rateKindLabel, rateKindTag, type GuaranteeEstimates } from '../../src-shared/domain/guarantee-wording';
import type { AuditVerdict, EstimatorMode } from '../audit/audit';
import type { DatasetSummary } from '../store/summary';
import { escapeHtml, formatNumber, keyValues, page, section, table } from './html';
import { softwareVersions } from './report';

export interface AuditReportMetadata {
  /** The dataset's name (also shown when the summary is missing). */
  readonly datasetName: string;
  /** Where the probabilities come from, e.g. `predictions preds.csv`, `model m/model.json`, `run 3's seldonian model`. */
  readonly source: string;
  readonly sourceKind: 'predictions' | 'model' | 'run';
  readonly mode: EstimatorMode;
  readonly method: AuditBoundMethod;
  /** What the verdicts can claim given which rows trained the model (the contract's auditGuarantee). */
  readonly guarantee: AuditGuaranteeKind;
  /** A pretrained run's model: its body's training rows are unknown (pretrainedBodySentence). */
  readonly pretrainedBody?: boolean;
  /** Which rows were audited, in words (e.g. `rows 0–199 (all)`). */
  readonly rowsText: string;
  readonly nRows: number;
  /** Two-sided confidence of the group table's intervals (1 − α). */
  readonly groupConfidence: number;
  /** A model source: what ran it (the TF.js backend, or ONNX Runtime's execution provider). */
  readonly backend?: string;
  /** An ONNX model: how its input was fed and its output read. */
  readonly preprocessing?: OnnxPreprocessingRecord;
}

/*
 * What the report reads of an audit: the fields it shows and nothing more, so that both the engine's
 * objects (the CLI, audit.report running the audit) and a finished audit's contract result
 * (auditReportInputFromResult, audit.report from the app's job result) satisfy it, and render the same.
 */

/** A base node's interval: audit.ts's AuditedNode fits it. */
export interface AuditedNode {
  readonly spec: { readonly name: string; readonly lowerNeeded: boolean; readonly upperNeeded: boolean; readonly deltaLower: number | null; readonly deltaUpper: number | null };
  readonly bound: { readonly lower: number; readonly upper: number; readonly nSamples: number; readonly mean: number; readonly std: number };
}

/** One audited constraint: audit.ts's AuditedConstraint fits it. */
export interface AuditedConstraint {
  readonly constraint: { readonly source: string; readonly parsed: string; readonly delta: number };
  readonly upperStatement: { readonly nodes: readonly AuditedNode[] };
  readonly lowerStatement: { readonly nodes: readonly AuditedNode[] };
  readonly gUpper: number;
  readonly gLower: number;
  readonly gPoint: number;
  readonly verdict: AuditVerdict;
  readonly dataNeeded: { readonly factor: number; readonly rows: number; readonly towards: 'holds' | 'violated' } | null;
}

/** One row of the group table: group-table.ts's GroupRow fits it. */
export interface GroupRow {
  readonly columns: readonly string[];
  readonly nRows: number;
  readonly rates: Readonly<Partial<Record<string, { readonly mean: number; readonly lower: number; readonly upper: number }>>>;
}

export interface AuditReportInput {
  readonly results: readonly AuditedConstraint[];
  readonly groups: readonly GroupRow[];
  /** null when it could not be computed. */
  readonly summary: DatasetSummary | null;
  readonly metadata: AuditReportMetadata;
}

const VERDICT = {
  holds: { word: 'HOLDS', css: 'pass' },
  violated: { word: 'VIOLATED', css: 'fail' },
  inconclusive: { word: 'INCONCLUSIVE', css: 'neutral' },
} as const;

function modeText(mode: EstimatorMode): string {
  return mode.kind === 'hard' ? `hard decisions at threshold ${mode.threshold} (p ≥ ${mode.threshold} is positive)` : 'soft (the engine\'s probabilistic estimators)';
}

function bound(value: number): string {
  return formatNumber(value);
}

function dataNeededText(a: AuditedConstraint): string {
  if (a.verdict !== 'inconclusive') return '';
  return a.dataNeeded
    ? `About ${a.dataNeeded.rows} rows (×${formatNumber(a.dataNeeded.factor, 3)} the audited rows, with the same group shares, means and spreads) would likely show it ${a.dataNeeded.towards === 'holds' ? 'holds' : 'is violated'}.`
    : `${NO_DATA_NEEDED_TEXT.charAt(0).toUpperCase()}${NO_DATA_NEEDED_TEXT.slice(1)}.`;
}

function estimatesOf(mode: EstimatorMode): GuaranteeEstimates {
  return mode.kind === 'hard' ? { kind: 'hard', threshold: mode.threshold } : { kind: 'soft' };
}

interface VerdictContext {
  readonly guarantee: AuditGuaranteeKind;
  readonly pretrainedBody: boolean;
  readonly method: AuditBoundMethod;
  readonly mode: EstimatorMode;
}

function verdictBox(a: AuditedConstraint, ctx: VerdictContext): string {
  const { guarantee } = ctx;
  const v = VERDICT[a.verdict];
  const trained = guarantee === 'none-trained-rows';
  const sentence = auditVerdictSentence({ verdict: a.verdict, delta: a.constraint.delta, bound: guaranteeBound(ctx.method, ctx.mode.kind), estimates: estimatesOf(ctx.mode), guarantee });
  const why = a.verdict === 'inconclusive' ? `${sentence} g's bounds: ${intervalConfidenceText(a.constraint.delta)}. ${dataNeededText(a)}` : sentence;
  const note = guaranteeNote(guarantee);
  const noteHtml =
    (note === null ? '' : `<p class="warning" data-guarantee="${escapeHtml(guarantee)}">${escapeHtml(note)}</p>`) +
    (ctx.pretrainedBody && !trained ? `<p class="warning" data-pretrained-body>${escapeHtml(pretrainedBodySentence())}</p>` : '');
  return `<div class="verdict ${trained ? 'neutral' : v.css}"><div class="big">${escapeHtml(verdictLine(a.verdict, a.constraint.delta, guarantee))}</div><p>${escapeHtml(why)}</p>${noteHtml}</div>`;
}

/** Draw range of the node chart: every finite bound and mean, and [0, 1] (rates), padded. */
function axisRange(nodes: readonly AuditedNode[]): [number, number] {
  const values = nodes.flatMap((n) => [n.bound.lower, n.bound.upper, n.bound.mean]).filter((v) => Number.isFinite(v));
  let min = Math.min(0, ...values);
  let max = Math.max(1, ...values);
  const pad = (max - min) * 0.04;
  min -= pad;
  max += pad;
  return [min, max];
}

interface NodeRow {
  readonly label: string;
  readonly node: AuditedNode;
}

/** One row per base node and statement: the interval behind g's upper bound, then behind its lower bound. */
function nodeRows(a: AuditedConstraint): NodeRow[] {
  return [
    ...a.upperStatement.nodes.map((node) => ({ label: `${node.spec.name}  (for g's upper bound)`, node })),
    ...a.lowerStatement.nodes.map((node) => ({ label: `${node.spec.name}  (for g's lower bound)`, node })),
  ];
}

/** The base nodes' intervals as horizontal error bars (mean as a dot, an infinite side as a dashed line to the edge). */
export function nodeIntervalsSvg(a: AuditedConstraint, width = 980): string {
  const rows = nodeRows(a);
  const [min, max] = axisRange(rows.map((r) => r.node));
  const height = 70 + rows.length * 34;
  const data = rows.map((r, i) => [i, r.node.bound.lower, r.node.bound.upper, r.node.bound.mean]);
  const clamp = (v: number): number => (Number.isNaN(v) ? NaN : Math.min(max, Math.max(min, v)));
  const option: echarts.EChartsCoreOption = {
    animation: false,
    backgroundColor: '#fff',
    grid: { left: 300, right: 30, top: 16, bottom: 40 },
    xAxis: { type: 'value', min, max, name: 'value of the base node', nameLocation: 'middle', nameGap: 26, axisLabel: { fontSize: 10, showMinLabel: false, showMaxLabel: false }, splitLine: { lineStyle: { color: '#eee' } } },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.label), axisLabel: { fontSize: 11, color: '#1d2433' }, axisTick: { show: false } },
    series: [
      {
        type: 'custom',
        animation: false,
        data,
        encode: { x: [1, 2, 3], y: 0 },
        renderItem: (_params: unknown, api: { value: (i: number) => number; coord: (v: [number, number]) => number[]; size: (v: [number, number]) => number[] }) => {
          const i = api.value(0);
          const lo = api.value(1), hi = api.value(2), mean = api.value(3);
          const color = i < a.upperStatement.nodes.length ? '#2f6fdb' : '#7048e8';
          const y = api.coord([0, i])[1];
          const half = api.size([0, 1])[1] * 0.22;
          const children: Record<string, unknown>[] = [];
          if (!Number.isNaN(lo) && !Number.isNaN(hi)) {
            const x0 = api.coord([clamp(lo), i])[0];
            const x1 = api.coord([clamp(hi), i])[0];
            const xm = Number.isFinite(mean) ? api.coord([clamp(mean), i])[0] : (x0 + x1) / 2;
            // Each side from the mean: solid when bounded, dashed to the edge when infinite.
            children.push({ type: 'line', shape: { x1: x0, y1: y, x2: xm, y2: y }, style: { stroke: color, lineWidth: 2, lineDash: Number.isFinite(lo) ? null : [4, 3] } });
            children.push({ type: 'line', shape: { x1: xm, y1: y, x2: x1, y2: y }, style: { stroke: color, lineWidth: 2, lineDash: Number.isFinite(hi) ? null : [4, 3] } });
            if (Number.isFinite(lo)) children.push({ type: 'line', shape: { x1: x0, y1: y - half, x2: x0, y2: y + half }, style: { stroke: color, lineWidth: 2 } });
            if (Number.isFinite(hi)) children.push({ type: 'line', shape: { x1: x1, y1: y - half, x2: x1, y2: y + half }, style: { stroke: color, lineWidth: 2 } });
          }
          if (Number.isFinite(mean)) children.push({ type: 'circle', shape: { cx: api.coord([clamp(mean), i])[0], cy: y, r: 4 }, style: { fill: '#1d2433' } });
          return { type: 'group', children };
        },
      },
    ],
  };
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function interval(n: AuditedNode): string {
  return `[${bound(n.bound.lower)}, ${bound(n.bound.upper)}]`;
}

function nodeTable(nodes: readonly AuditedNode[]): string {
  return table(
    ['Base node', 'n', 'Mean', 'Interval', 'δ lower', 'δ upper', 'Std'],
    nodes.map((n) => [
      `<code>${escapeHtml(n.spec.name)}</code>`,
      String(n.bound.nSamples),
      formatNumber(n.bound.mean),
      interval(n),
      formatNumber(n.spec.lowerNeeded ? n.spec.deltaLower : null),
      formatNumber(n.spec.upperNeeded ? n.spec.deltaUpper : null),
      formatNumber(n.bound.std),
    ]),
  );
}

function constraintSection(a: AuditedConstraint, index: number, ctx: VerdictContext): string {
  const c = a.constraint;
  const summary = keyValues([
    ['Constraint', c.source],
    ['g (≤ 0 means it holds)', c.parsed],
    ['δ', formatNumber(c.delta)],
    ['Point estimate of g', bound(a.gPoint)],
    ['Bounds of g [lower, upper]', `[${bound(a.gLower)}, ${bound(a.gUpper)}] (${intervalConfidenceText(c.delta)})`],
  ]);
  const svg = nodeIntervalsSvg(a);
  const figure =
    `<figure>${svg}<figcaption>Each base node's interval (bar) and mean (dot). Blue: the safety test's sides and δ shares, which give g's upper bound; ` +
    'purple: the sides and δ shares that give g\'s lower bound. A dashed side is unbounded (not needed for that bound, or too few rows).</figcaption></figure>';
  const tables = `<h3>Base nodes for g's upper bound</h3>${nodeTable(a.upperStatement.nodes)}<h3>Base nodes for g's lower bound</h3>${nodeTable(a.lowerStatement.nodes)}`;
  return section(`Constraint ${index + 1}: ${c.source}`, verdictBox(a, ctx) + summary + figure + tables);
}

function overview(results: readonly AuditedConstraint[]): string {
  return table(
    ['#', 'Constraint', 'δ', 'Point estimate of g', '[lower, upper] of g (each end 1 − δ; together 1 − 2δ)', 'Verdict'],
    results.map((a, i) => {
      const v = VERDICT[a.verdict];
      const badge = `<span class="badge ${v.css === 'neutral' ? 'none' : v.css}">${v.word}</span>`;
      return [String(i + 1), `<code>${escapeHtml(a.constraint.source)}</code>`, formatNumber(a.constraint.delta), bound(a.gPoint), `[${bound(a.gLower)}, ${bound(a.gUpper)}]`, badge];
    }),
  );
}

function datasetSection(summary: DatasetSummary | null, name: string, nRows: number, rowsText: string): string {
  const note = `The audit used ${nRows} rows: ${rowsText}.`;
  if (!summary) return section('Dataset', `<p>Dataset <b>${escapeHtml(name)}</b>. ${escapeHtml(note)}</p>`);
  const d = summary.dataset;
  const head = ['Group', 'Columns', 'Rows', ...summary.labelCounts.map((_, c) => `y = ${c}`)];
  const rows = [
    ['<b>all</b>', '', String(d.nRows), ...summary.labelCounts.map((n) => String(n))],
    ...[...summary.groups, ...summary.intersections].map((g) => [escapeHtml(g.name), escapeHtml(g.columns.join(', ')), String(g.count), ...g.labelCounts.map((n) => String(n))]),
  ];
  const warnings = summary.warnings.map((w) => `<div class="warning">⚠ ${escapeHtml(w.message)}</div>`).join('');
  return section(
    'Dataset',
    `<p><b>${escapeHtml(d.name)}</b> (id ${d.id}, ${escapeHtml(d.format)}): ${d.nRows} rows, ${d.nClasses} classes. ${escapeHtml(note)}</p>` +
      `<h3>Rows per group and class (whole dataset)</h3>${table(head, rows, 'groups')}${warnings}`,
  );
}

function groupSection(groups: readonly GroupRow[], confidence: number, mode: EstimatorMode): string {
  const measures = Object.keys(groups[0]?.rates ?? {});
  const rows = groups.map((g) => [
    escapeHtml(g.columns.length ? g.columns.join(' ∧ ') : 'all'),
    String(g.nRows),
    ...measures.map((m) => {
      const r = g.rates[m];
      return r ? `${formatNumber(r.mean)}<br><span class="sub">[${formatNumber(r.lower)}, ${formatNumber(r.upper)}]</span>` : '—';
    }),
  ]);
  return section(
    `Rates per group (audited rows): ${rateKindLabel(estimatesOf(mode), 'rates')}`,
    `<p>Each rate's mean over the audited rows — ${escapeHtml(rateKindLabel(estimatesOf(mode)))} — with a two-sided interval at confidence ${formatNumber(confidence)}.</p>` +
      table(['Group', 'n', ...measures.map((m) => `${m} (${escapeHtml(rateKindTag(estimatesOf(mode)))})`)], rows, 'rates'),
  );
}

/** The audit report as one self-contained HTML string. */
export function buildAuditReportHtml(input: AuditReportInput): string {
  const { results, groups, summary, metadata: m } = input;
  const counts = { holds: 0, violated: 0, inconclusive: 0 };
  for (const r of results) counts[r.verdict]++;
  const overall = counts.violated > 0 ? 'fail' : counts.inconclusive > 0 ? 'neutral' : 'pass';
  const headline = (['holds', 'violated', 'inconclusive'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${VERDICT[k].word}`).join(', ');
  const parts: string[] = [];
  parts.push(
    section(
      'Verdict',
      `<div class="verdict ${m.guarantee === 'none-trained-rows' ? 'neutral' : overall}"><div class="big">${escapeHtml(headline)}</div><p>${results.length} constraint${results.length === 1 ? '' : 's'} audited on ${m.nRows} rows.${guaranteeNote(m.guarantee) === null ? '' : ` ${escapeHtml(guaranteeNote(m.guarantee)!)}.`}</p></div>` + overview(results),
    ),
  );
  parts.push(
    section(
      'Audit settings',
      keyValues([
        ['Model source', m.source],
        ['Source kind', m.sourceKind],
        ['Dataset', m.datasetName],
        ['Rows audited', `${m.nRows}: ${m.rowsText}`],
        ['Mode', modeText(m.mode)],
        ['Bound method', `${m.method}: ${auditBoundLabel(m.method, m.mode.kind)}`],
        ['Group table confidence', formatNumber(m.groupConfidence)],
        ...(m.backend !== undefined ? [['Inference', m.backend] as const] : []),
        ...(m.preprocessing !== undefined ? [['Pre-processing', onnxPreprocessingText(m.preprocessing)] as const] : []),
        ...softwareVersions(),
      ]),
    ),
  );
  parts.push(datasetSection(summary, m.datasetName, m.nRows, m.rowsText));
  results.forEach((a, i) => parts.push(constraintSection(a, i, { guarantee: m.guarantee, pretrainedBody: m.pretrainedBody === true, method: m.method, mode: m.mode })));
  parts.push(groupSection(groups, m.groupConfidence, m.mode));
  return page(`Fairbound audit — ${m.datasetName}`, `${m.source}; ${modeText(m.mode)}; ${auditBoundLabel(m.method, m.mode.kind)}`, parts.join('\n'));
}

type NodeDto = AuditResult['constraints'][number]['baseNodes'][number];

function nodeFromResult(n: NodeDto): AuditedNode {
  return {
    spec: { name: n.name, lowerNeeded: n.lowerNeeded, upperNeeded: n.upperNeeded, deltaLower: n.deltaLower, deltaUpper: n.deltaUpper },
    bound: { lower: n.lower, upper: n.upper, nSamples: n.n, mean: n.mean, std: n.std },
  };
}

/**
 * The report's input from a finished audit's contract result (audit.start's job.done, audit.run's reply):
 * the same report as from the engine's objects, without running the audit again.
 */
export function auditReportInputFromResult(result: AuditResult, summary: DatasetSummary | null, rowsText: string): AuditReportInput {
  return {
    results: result.constraints.map((c) => ({
      constraint: { source: c.source, parsed: c.parsed, delta: c.delta },
      upperStatement: { nodes: c.baseNodes.map(nodeFromResult) },
      lowerStatement: { nodes: c.lowerBoundBaseNodes.map(nodeFromResult) },
      gUpper: c.gUpper,
      gLower: c.gLower,
      gPoint: c.gPoint,
      verdict: c.verdict,
      dataNeeded: c.dataNeeded,
    })),
    groups: result.groups.map((g) => ({ columns: g.columns, nRows: g.n, rates: g.rates })),
    summary,
    metadata: {
      datasetName: result.dataset.name,
      source: result.source ?? result.sourceKind,
      sourceKind: result.sourceKind,
      mode: result.mode,
      method: result.bound,
      guarantee: result.guarantee,
      ...(result.pretrainedBody ? { pretrainedBody: true } : {}),
      rowsText,
      nRows: result.rows.end - result.rows.start,
      groupConfidence: result.groupConfidence,
      ...(result.backend !== undefined ? { backend: result.backend } : {}),
      ...(result.preprocessing !== undefined ? { preprocessing: result.preprocessing } : {}),
    },
  };
}
