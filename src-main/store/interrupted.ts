/**
 * Ending the runs and experiments whose process died. A process that stops without ending its jobs (app
 * closed mid-run, crash, kill -9) leaves them `queued` / `running`: shown as running for ever and refused
 * by delete. A process that will own jobs (the app's services, `fairbound serve`, and the CLI commands
 * that train, run experiments or list them) calls `recoverInterrupted` when it opens the workspace:
 * each active row whose owner (schema 5, see owner.ts) is gone becomes
 *
 * - a run: `failed`, with "interrupted: … at <phase>" (a run cannot resume: its worker's state is lost,
 *   and it never stored partial results);
 * - an experiment: `failed` with an "interrupted: …" reason. Its stored trials stay, and running it again
 *   (`fairbound experiment run --resume <id>`) runs only the missing ones. `failed` rather than
 *   `cancelled` because the schema gives only `failed` a reason to show.
 *
 * Rows of this process, of a live other process, or of another machine are never touched.
 */
import type { WritableDB } from './database';
import { ownerState, thisProcess, type JobOwner, type StoredOwner } from './owner';
import { all, get, run, sql } from './sql';

export const INTERRUPTED_PREFIX = 'interrupted: the process running it stopped (app closed or crashed)';

export interface InterruptedRecovery {
  /** Ids of the runs marked failed. */
  readonly runs: readonly number[];
  /** Ids of the experiments marked failed (resumable). */
  readonly experiments: readonly number[];
}

export interface RecoverOptions {
  /** For tests: who "this process" is, and how a pid is checked. */
  readonly self?: JobOwner;
  readonly isAlive?: (pid: number) => boolean;
  readonly now?: string;
}

interface OwnedRow {
  id: number;
  owner_pid: number | null;
  owner_token: string | null;
  owner_host: string | null;
  owner_boot: string | null;
}

function storedOwner(row: OwnedRow): StoredOwner {
  return { pid: row.owner_pid, token: row.owner_token, host: row.owner_host, boot: row.owner_boot };
}

/** The reason a run gets, naming where it stopped. */
export function interruptedRunReason(status: 'queued' | 'running', phase: string | null): string {
  if (status === 'queued') return `${INTERRUPTED_PREFIX} while it was queued, before it started`;
  return `${INTERRUPTED_PREFIX} at ${phase === null ? 'an unknown phase' : phase.replaceAll('_', ' ')}`;
}

export function interruptedExperimentReason(id: number, stored: number, planned: number | null): string {
  const count = planned === null ? `${stored} stored trials` : `${stored} of ${planned} trials`;
  return `${INTERRUPTED_PREFIX} after ${count}; the stored trials are kept: \`fairbound experiment run --resume ${id}\` runs the missing ones`;
}

/**
 * Marks the active runs and experiments of owners that are gone (see the file comment); returns their ids.
 * Reads first without a write lock, so an open with nothing to do never waits for another writer. Each
 * update re-checks that the row is still active with the same owner (a resume by another process may
 * have claimed it meanwhile).
 */
export function recoverInterrupted(db: WritableDB, options: RecoverOptions = {}): InterruptedRecovery {
  const me = options.self ?? thisProcess();
  const gone = (row: OwnedRow): boolean => ownerState(storedOwner(row), me, options.isAlive) === 'gone';
  const runs = all<OwnedRow & { status: 'queued' | 'running'; phase: string | null }>(
    db,
    sql`SELECT id, status, phase, owner_pid, owner_token, owner_host, owner_boot FROM run WHERE status IN ('queued', 'running') ORDER BY id`,
  ).filter(gone);
  const experiments = all<OwnedRow & { settings_json: string }>(
    db,
    sql`SELECT id, settings_json, owner_pid, owner_token, owner_host, owner_boot FROM experiment WHERE status = 'running' ORDER BY id`,
  ).filter(gone);
  if (runs.length === 0 && experiments.length === 0) return { runs: [], experiments: [] };

  const now = options.now ?? new Date().toISOString();
  return db
    .transaction((): InterruptedRecovery => {
      const doneRuns: number[] = [];
      const doneExperiments: number[] = [];
      for (const r of runs) {
        const changed = run(
          db,
          sql`UPDATE run SET status = 'failed', error = ${interruptedRunReason(r.status, r.phase)}, phase = NULL, finished_at = ${now}
              WHERE id = ${r.id} AND status = ${r.status} AND owner_pid IS ${r.owner_pid} AND owner_token IS ${r.owner_token}`,
        ).changes;
        if (changed > 0) doneRuns.push(r.id);
      }
      for (const e of experiments) {
        const planned = plannedTrials(e.settings_json);
        const stored = get<{ n: number }>(db, sql`SELECT count(*) AS n FROM trial WHERE experiment_id = ${e.id}`)?.n ?? 0;
        // run_seconds is left as it was: when the process died is unknown.
        const changed = run(
          db,
          sql`UPDATE experiment SET status = 'failed', error = ${interruptedExperimentReason(e.id, stored, planned)}, finished_at = ${now}
              WHERE id = ${e.id} AND status = 'running' AND owner_pid IS ${e.owner_pid} AND owner_token IS ${e.owner_token}`,
        ).changes;
        if (changed > 0) doneExperiments.push(e.id);
      }
      return { runs: doneRuns, experiments: doneExperiments };
    })
    .immediate();
}

/**
 * The trials an experiment's stored settings plan, or null when they cannot be read: one malformed row
 * must not throw inside the recovery's one transaction (that would roll back every other row's recovery,
 * on every open).
 */
function plannedTrials(settingsJson: string): number | null {
  try {
    const settings = JSON.parse(settingsJson) as { fractions?: unknown; nTrials?: unknown; models?: unknown };
    const { fractions, nTrials, models } = settings;
    if (!Array.isArray(fractions) || !Array.isArray(models) || typeof nTrials !== 'number' || !Number.isInteger(nTrials)) return null;
    return fractions.length * nTrials * models.length;
  } catch {
    return null;
  }
}

/**
 * recoverInterrupted for callers that must open anyway: a failure (the database busy with another
 * writer past the timeout) is reported to `warn` and the rows stay for the next open.
 */
export function tryRecoverInterrupted(db: WritableDB, warn: (message: string) => void, options: RecoverOptions = {}): InterruptedRecovery {
  try {
    return recoverInterrupted(db, options);
  } catch (error) {
    warn(`could not check for runs and experiments left running by a stopped process: ${error instanceof Error ? error.message : String(error)}`);
    return { runs: [], experiments: [] };
  }
}
