/**
 * Which rows `audit --retrain-head` trains and tests the fresh head on. Without TensorFlow.js.
 *
 * The head's safety rows must be rows that trained neither the body nor the head. A stored run's body was
 * trained on that run's candidate rows, in the run's own (possibly shuffled, subset) order: on the run's
 * own dataset the retrained head therefore uses the run's own order and split — candidate rows the run's
 * candidate rows, safety rows the run's safety rows, which the body never saw. Splitting the dataset's
 * stored order instead would put rows the body trained on among the new safety rows.
 *
 * Any other model (a model file, or a run's model on another dataset) gets the engine's split of the
 * dataset's stored order; which rows trained that model's body is not known here.
 */
import { candidateSafetySplit } from '../engine/qsa';
import { InputError } from '../errors/input-error';
import type { ReadableDB } from '../store/database';
import { getRunRows } from '../store/run-results';
import { getRun } from '../store/runs';
import type { AuditModelSource } from './model-audit';

export interface RetrainHeadRows {
  /** Dataset rows (stored-order indices) in the head's order: candidate rows first, then safety rows. */
  readonly order: Int32Array;
  readonly nCandidate: number;
  /** The split's safety share, as retrainHead splits `order` with it (candidateSafetySplit). */
  readonly fracSafety: number;
  /** The run whose own split is used, or null for the engine's split of the stored order. */
  readonly ofRun: number | null;
}

/**
 * The rows for a retrained head on dataset `datasetId` with `nRows` rows. `fracSafety` is the flag as
 * given (null: not given); it is refused for a run on its own dataset, whose split is the run's.
 */
export function retrainHeadRows(db: ReadableDB, source: AuditModelSource, datasetId: number, nRows: number, fracSafety: number | null, defaultFracSafety: number): RetrainHeadRows {
  const run = source.kind === 'run' ? getRun(db, source.id) : undefined;
  if (source.kind === 'run' && !run) throw new InputError(`no run ${source.id} in this workspace`);
  if (run && run.datasetId === datasetId) {
    if (fracSafety !== null) {
      throw new InputError(`--retrain-head on run ${run.id}'s own dataset uses the run's own split (its body trained on its candidate rows, which must not become safety rows): drop --frac-safety`);
    }
    const stored = getRunRows(db, run.id);
    if (!stored) throw new InputError(`run ${run.id} has no stored row order, so the rows that trained its body are unknown: cannot pick safety rows disjoint from them`);
    const order = stored.rowOrder;
    const frac = run.settings.fracSafety;
    const split = candidateSafetySplit(order.length, frac);
    if (split.candidate.end !== run.nCandidate) {
      throw new InputError(`run ${run.id}'s split (${run.nCandidate} candidate rows of ${order.length}) cannot be reproduced from its safety share ${frac}: refusing to retrain a head whose safety rows might include rows that trained the body`);
    }
    const trained = new Set(stored.bodyRows);
    for (let i = split.safety.start; i < split.safety.end; i++) {
      if (trained.has(order[i])) throw new InputError(`run ${run.id}'s safety row ${order[i]} trained its body: no safety rows disjoint from the body's rows`);
    }
    return { order: Int32Array.from(order), nCandidate: run.nCandidate, fracSafety: frac, ofRun: run.id };
  }
  const frac = fracSafety ?? defaultFracSafety;
  return { order: Int32Array.from({ length: nRows }, (_, i) => i), nCandidate: candidateSafetySplit(nRows, frac).candidate.end, fracSafety: frac, ofRun: null };
}
