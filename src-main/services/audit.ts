/**
 * audit.run: the same computation as `fairbound audit` (src-main/cli/commands/audit.ts), with the
 * options as one typed object and the result as the contract's JSON-safe shape.
 */
import { compileConstraint } from '../../src-shared/constraint';
import type { CompiledConstraint, SubRegime } from '../../src-shared/constraint/ast';
import type { AuditedNode as AuditedNodeDto, AuditResult } from '../../src-shared/contract/schemas';
import { auditConstraints, hardDecisions, type AuditedNode, type EstimatorMode } from '../audit/audit';
import { groupTable } from '../audit/group-table';
import { readPredictions, type RowMatching } from '../audit/predictions';
import { InputError } from '../data/input-error';
import { candidateSafetySplit } from '../engine/qsa';
import { datasetRowKeys, loadDatasetForTraining } from '../store/datasets';
import type { Handler } from './context';
import { requireDataset } from './datasets';
import { ConstraintListError } from './errors';

const DEFAULT_GROUP_ALPHA = 0.05;

function nodeDto(n: AuditedNode): AuditedNodeDto {
  return {
    name: n.spec.name,
    n: n.bound.nSamples,
    mean: n.bound.mean,
    std: n.bound.std,
    lower: n.bound.lower,
    upper: n.bound.upper,
    lowerNeeded: n.spec.lowerNeeded,
    upperNeeded: n.spec.upperNeeded,
    deltaLower: n.spec.deltaLower,
    deltaUpper: n.spec.deltaUpper,
  };
}

export const auditHandler: Handler<'audit.run'> = async (input, ctx) => {
  const info = requireDataset(ctx, input.datasetId);
  const data = loadDatasetForTraining(ctx.db, info.id);
  const subRegime: SubRegime = info.nClasses > 2 ? 'multiclass_classification' : 'classification';
  const constraints: CompiledConstraint[] = input.constraints.map((c, i) => {
    const compiled = compileConstraint(c.source, { columns: data.sensitiveColumns, subRegime, delta: c.delta, nClasses: info.nClasses });
    if (!compiled.ok) throw new ConstraintListError(i, compiled.error);
    return compiled.constraint;
  });
  for (const cols of input.intersections ?? []) {
    const unknown = cols.find((c) => !data.sensitiveColumns.includes(c));
    if (unknown) throw new InputError(`the group table's intersection names unknown attribute '${unknown}' (known: ${data.sensitiveColumns.join(', ')})`);
  }
  const matching: RowMatching =
    input.matching.kind === 'key' ? { kind: 'key', column: input.matching.column, rowKeys: datasetRowKeys(ctx.db, info.id, info.format) } : { kind: 'order' };
  const predictions = await readPredictions(input.predictions, data.nRows, matching);
  if (predictions.nOutputs !== 1 && predictions.nOutputs !== info.nClasses) {
    throw new InputError(`the predictions have ${predictions.nOutputs} class columns but dataset '${info.name}' has ${info.nClasses} classes`, { file: input.predictions });
  }
  if (predictions.nOutputs === 1 && info.nClasses > 2) {
    throw new InputError(`dataset '${info.name}' is multiclass (${info.nClasses} classes): give p_0 … p_${info.nClasses - 1}`, { file: input.predictions });
  }
  const rows = input.rows.kind === 'safety' ? candidateSafetySplit(data.nRows, input.rows.fracSafety).safety : { start: 0, end: data.nRows };
  const probs = predictions.probs.subarray(rows.start * predictions.nOutputs, rows.end * predictions.nOutputs);
  const mode: EstimatorMode = input.mode.kind === 'hard' ? { kind: 'hard', threshold: input.mode.threshold } : { kind: 'soft' };
  const results = auditConstraints({ data, probs, nOutputs: predictions.nOutputs, rows, constraints, mode, method: input.bound });
  const alpha = input.groupAlpha ?? DEFAULT_GROUP_ALPHA;
  const groupProbs = mode.kind === 'hard' ? hardDecisions(probs, predictions.nOutputs, mode.threshold) : probs;
  const groups = groupTable({ data, probs: groupProbs, nOutputs: predictions.nOutputs, rows, intersections: input.intersections, alpha, method: input.bound });

  const result: AuditResult = {
    dataset: { id: info.id, name: info.name },
    rows: { which: input.rows.kind, start: rows.start, end: rows.end },
    mode: input.mode,
    bound: input.bound,
    constraints: results.map((r) => ({
      source: r.constraint.source,
      parsed: r.constraint.parsed,
      delta: r.constraint.delta,
      verdict: r.verdict,
      gPoint: r.gPoint,
      gLower: r.gLower,
      gUpper: r.gUpper,
      dataNeeded: r.dataNeeded,
      baseNodes: r.upperStatement.nodes.map(nodeDto),
      lowerBoundBaseNodes: r.lowerStatement.nodes.map(nodeDto),
      warnings: [...r.constraint.warnings],
    })),
    groups: groups.map((g) => ({
      group: g.columns.length ? g.columns.join(' & ') : 'all',
      columns: [...g.columns],
      n: g.nRows,
      rates: Object.fromEntries(Object.entries(g.rates).filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== undefined)),
    })),
    groupConfidence: 1 - alpha,
  };
  return result;
};
