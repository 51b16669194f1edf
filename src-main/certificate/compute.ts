/**
 * The numbers a certificate states, computed the one way both the certificate's writer and `fairbound
 * verify` compute them: the model's probabilities on the selected rows (in selection order), the
 * constraints compiled for the dataset, and the audit's bounds (audit/audit.ts: the upper statement is
 * exactly the safety test's) with the settings' estimators and bound method.
 */
import type { AuditResult, CertificateSettings, CertifiedConstraint, CertifiedNode } from '../../src-shared/contract/schemas';
import { auditConstraints, type AuditedConstraint, type AuditedNode } from '../audit/audit';
import type { AuditPredictReply, AuditPredictRequest } from '../audit/predict-types';
import { selectRows } from '../audit/select-rows';
import type { LabelledRows } from '../engine/data';
import { compileForDataset } from '../engine/compile-for-dataset';

/** Runs a model over chosen dataset rows (in this process for the CLI, in the training worker for the app). */
export type CertificatePredictor = (request: Omit<AuditPredictRequest, 'dbPath' | 'nativeBinding'>) => Promise<AuditPredictReply>;

function node(n: AuditedNode): CertifiedNode {
  return { name: n.spec.name, n: n.bound.nSamples, mean: n.bound.mean, std: n.bound.std, lower: n.bound.lower, upper: n.bound.upper };
}

function certified(r: AuditedConstraint): CertifiedConstraint {
  return {
    source: r.constraint.source,
    parsed: r.constraint.parsed,
    delta: r.constraint.delta,
    verdict: r.verdict,
    gPoint: r.gPoint,
    gLower: r.gLower,
    gUpper: r.gUpper,
    nodes: r.upperStatement.nodes.map(node),
    lowerNodes: r.lowerStatement.nodes.map(node),
  };
}

/** An audit's result as certified constraints (its own numbers, nothing recomputed). */
export function constraintsOfResult(result: AuditResult): CertifiedConstraint[] {
  const nodes = (list: AuditResult['constraints'][number]['baseNodes']): CertifiedNode[] => list.map((n) => ({ name: n.name, n: n.n, mean: n.mean, std: n.std, lower: n.lower, upper: n.upper }));
  return result.constraints.map((c) => ({
    source: c.source,
    parsed: c.parsed,
    delta: c.delta,
    verdict: c.verdict,
    gPoint: c.gPoint,
    gLower: c.gLower,
    gUpper: c.gUpper,
    nodes: nodes(c.baseNodes),
    lowerNodes: nodes(c.lowerBoundBaseNodes),
  }));
}

/**
 * The constraints' bounds on the rows `indices` of `data`, given the model's probabilities for exactly
 * those rows (row-major, nOutputs columns), under the settings' estimators and bound method.
 */
export function certifiedConstraints(data: LabelledRows, indices: Int32Array, probs: Float64Array, nOutputs: number, settings: CertificateSettings): CertifiedConstraint[] {
  const constraints = compileForDataset(settings.constraints, { sensitiveColumns: data.sensitiveColumns, nClasses: data.nClasses });
  const audited = selectRows(data, indices);
  const mode = settings.mode.kind === 'hard' ? { kind: 'hard' as const, threshold: settings.mode.threshold } : { kind: 'soft' as const };
  return auditConstraints({ data: audited, probs, nOutputs, rows: { start: 0, end: audited.nRows }, constraints, mode, method: settings.bound }).map(certified);
}
