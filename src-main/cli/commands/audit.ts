import { parseArgs } from 'node:util';
import { compileConstraint } from '../../../src-shared/constraint';
import type { CompiledConstraint, SubRegime } from '../../../src-shared/constraint/ast';
import { auditConstraints, hardDecisions, type AuditedConstraint, type AuditedNode, type EstimatorMode } from '../../audit/audit';
import { groupTable, type GroupRow } from '../../audit/group-table';
import { readPredictions, type RowMatching } from '../../audit/predictions';
import type { BoundMethod } from '../../engine/constraint-bounds';
import { candidateSafetySplit } from '../../engine/qsa';
import { ConstraintCompileError } from '../../engine/run-case';
import { openWorkspace, resolveDatabasePath } from '../../store/database';
import { datasetRowKeys, loadDatasetForTraining } from '../../store/datasets';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';
import { resolveDataset } from './datasets';

export const auditHelp = `fairbound audit --dataset <name|id> --predictions <csv> (--key <column> | --by-order)
                 --constraint '<str>' [--constraint …] --delta 0.05 [--delta …]
                 [--threshold 0.5] [--soft] [--bound student-t|hoeffding] [--rows safety|all] [--frac-safety 0.5]
                 [--confidence-alpha 0.05] [--intersection M,White …] [--db <file>] [--json]
  High-confidence bounds on each constraint's g for an existing model's predictions (CSV with 'p', or
  'p_0' … 'p_{K-1}'), matched to the dataset's rows by a key column (the image path for image-folder
  datasets, else the row's 0-based position in the source file) or by order. Verdict per constraint:
  holds (upper bound of g ≤ 0), violated (lower bound of g > 0) or inconclusive (with the data that would
  decide). Estimators are hard decisions at --threshold (what a deployed classifier does) unless --soft
  (the engine's probabilistic estimators). --rows safety audits the rows the engine's split would hold out
  (the last frac-safety share); all audits every row. Exit 0 for any verdict, 2 for bad input.
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

export async function runAuditCommand(args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      predictions: { type: 'string' },
      key: { type: 'string' },
      'by-order': { type: 'boolean', default: false },
      constraint: { type: 'string', multiple: true },
      delta: { type: 'string', multiple: true },
      threshold: { type: 'string' },
      soft: { type: 'boolean', default: false },
      bound: { type: 'string', default: 'student-t' },
      rows: { type: 'string', default: 'all' },
      'frac-safety': { type: 'string' },
      'confidence-alpha': { type: 'string' },
      intersection: { type: 'string', multiple: true },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.dataset) throw new UsageError('audit needs --dataset <name|id>');
  if (!values.predictions) throw new UsageError('audit needs --predictions <csv>');
  if (!values.key === !values['by-order']) throw new UsageError('give exactly one of --key <column> or --by-order');
  const sources = values.constraint ?? [];
  if (sources.length === 0) throw new UsageError("audit needs at least one --constraint '<str>'");
  const deltas = (values.delta ?? ['0.05']).map((d) => numberOption('delta', d, 0.05, (v) => v > 0 && v < 1, 'strictly between 0 and 1'));
  if (deltas.length !== 1 && deltas.length !== sources.length) throw new UsageError(`give one --delta or one per --constraint (${sources.length}), got ${deltas.length}`);
  if (values.bound !== 'student-t' && values.bound !== 'hoeffding') throw new UsageError(`--bound must be student-t or hoeffding, got '${values.bound}'`);
  if (values.rows !== 'all' && values.rows !== 'safety') throw new UsageError(`--rows must be safety or all, got '${values.rows}'`);
  if (values.soft && values.threshold !== undefined) throw new UsageError('--threshold applies to hard decisions; drop it or --soft');
  const threshold = numberOption('threshold', values.threshold, 0.5, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const fracSafety = numberOption('frac-safety', values['frac-safety'], 0.5, (v) => v > 0 && v < 1, 'strictly between 0 and 1');
  const alpha = numberOption('confidence-alpha', values['confidence-alpha'], 0.05, (v) => v > 0 && v < 1, 'strictly between 0 and 1');
  const method = values.bound as BoundMethod;
  const mode: EstimatorMode = values.soft ? { kind: 'soft' } : { kind: 'hard', threshold };

  const db = openWorkspace(resolveDatabasePath(values.db));
  try {
    const info = resolveDataset(db, values.dataset);
    const data = loadDatasetForTraining(db, info.id);
    const subRegime: SubRegime = info.nClasses > 2 ? 'multiclass_classification' : 'classification';
    const constraints: CompiledConstraint[] = sources.map((source, i) => {
      const compiled = compileConstraint(source, { columns: data.sensitiveColumns, subRegime, delta: deltas.length === 1 ? deltas[0] : deltas[i], nClasses: info.nClasses });
      if (!compiled.ok) throw new ConstraintCompileError(`--constraint ${i + 1}`, compiled.error);
      return compiled.constraint;
    });
    const matching: RowMatching = values.key ? { kind: 'key', column: values.key, rowKeys: datasetRowKeys(db, info.id, info.format) } : { kind: 'order' };
    const predictions = await readPredictions(values.predictions, data.nRows, matching);
    if (predictions.nOutputs !== 1 && predictions.nOutputs !== info.nClasses) {
      throw new UsageError(`the predictions have ${predictions.nOutputs} class columns but dataset '${info.name}' has ${info.nClasses} classes`);
    }
    if (predictions.nOutputs === 1 && info.nClasses > 2) throw new UsageError(`dataset '${info.name}' is multiclass (${info.nClasses} classes): give p_0 … p_${info.nClasses - 1}`);
    const rows = values.rows === 'safety' ? candidateSafetySplit(data.nRows, fracSafety).safety : { start: 0, end: data.nRows };
    const probs = predictions.probs.subarray(rows.start * predictions.nOutputs, rows.end * predictions.nOutputs);
    const results = auditConstraints({ data, probs, nOutputs: predictions.nOutputs, rows, constraints, mode, method });
    const intersections = (values.intersection ?? []).map((s) => s.split(',').map((c) => c.trim()));
    for (const cols of intersections) {
      const unknown = cols.find((c) => !data.sensitiveColumns.includes(c));
      if (unknown) throw new UsageError(`--intersection names unknown attribute '${unknown}' (known: ${data.sensitiveColumns.join(', ')})`);
    }
    const groupProbs = mode.kind === 'hard' ? hardDecisions(probs, predictions.nOutputs, mode.threshold) : probs;
    const groups = groupTable({ data, probs: groupProbs, nOutputs: predictions.nOutputs, rows, intersections, alpha, method });
    const modeText = mode.kind === 'hard' ? `hard decisions at p ≥ ${mode.threshold}` : 'soft (probabilistic) estimators';
    if (values.json) {
      out.stdout(
        stringifyJson({
          dataset: { id: info.id, name: info.name },
          rows: { which: values.rows, start: rows.start, end: rows.end },
          mode: mode.kind === 'hard' ? { kind: 'hard', threshold: mode.threshold } : { kind: 'soft' },
          bound: method,
          constraints: results.map(constraintJson),
          groups: groups.map(groupJson),
          group_confidence: 1 - alpha,
        }),
      );
    } else {
      out.stdout(formatText(results, groups, `audit of '${info.name}', rows ${rows.start}–${rows.end - 1} (${values.rows}), ${modeText}, ${method} bounds`));
    }
    return 0;
  } finally {
    db.close();
  }
}
