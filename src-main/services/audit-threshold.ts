/**
 * The threshold explorer's server side. An audit started from the app (audit.start) keeps its audited
 * rows and probabilities here under an id its job result carries; audit.atThreshold bounds them again at
 * another decision threshold with the audit's own bounding (audit.ts boundAudit), so moving the slider
 * never runs the model again. Memory stays bounded: the few most recently used audits are kept, and
 * the cache belongs to one workspace's services (a workspace switch closes them, and the cache with them).
 */
import { randomUUID } from 'node:crypto';
import { ServiceError } from '../errors/reported-error';
import { boundAudit, type AuditedRows } from './audit';
import type { Handler } from './context';

/** Audits kept at once: the page shows one, and a few let a second window or a re-run not evict it. */
export const KEPT_AUDITS = 4;

/** Audited rows by id, least recently used dropped first. */
export class AuditRowsCache {
  private readonly entries = new Map<string, AuditedRows>();

  constructor(private readonly capacity = KEPT_AUDITS) {}

  /** Keeps the rows; their id. */
  keep(rows: AuditedRows): string {
    const id = randomUUID();
    this.entries.set(id, rows);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
    return id;
  }

  /** The rows kept under `id` (now the most recently used), or undefined when they were dropped. */
  get(id: string): AuditedRows | undefined {
    const rows = this.entries.get(id);
    if (rows) {
      this.entries.delete(id);
      this.entries.set(id, rows);
    }
    return rows;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * audit.atThreshold: the kept audit's rates, intervals and verdicts with decisions p ≥ threshold. An
 * id no longer kept is `not_found` (the caller runs the audit again).
 */
export const auditAtThresholdHandler: Handler<'audit.atThreshold'> = (input, ctx) => {
  const rows = ctx.auditRows.get(input.thresholdId);
  if (!rows) throw new ServiceError('not_found', 'this audit’s probabilities are no longer kept (a later audit replaced them); run the audit again');
  return boundAudit(rows, { kind: 'hard', threshold: input.threshold }).result;
};
