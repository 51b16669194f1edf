/**
 * Which process owns an active run or experiment (schema 5), and whether that process still exists.
 * The owner is recorded when a row becomes active (insertRun, insertExperiment, markExperimentRunning)
 * by the process that drives it; src-main/store/interrupted.ts ends the rows of owners that are gone.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface JobOwner {
  readonly pid: number;
  /** Random per process (per module instance: see thisProcess). */
  readonly token: string;
  readonly host: string;
  /** Linux's boot id; null where the OS gives none. */
  readonly boot: string | null;
}

/** An owner as stored: every part may be NULL (rows written before schema 5). */
export interface StoredOwner {
  readonly pid: number | null;
  readonly token: string | null;
  readonly host: string | null;
  readonly boot: string | null;
}

function linuxBootId(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return id === '' ? null : id;
  } catch {
    return null;
  }
}

let self: JobOwner | null = null;

/**
 * This process as an owner. The token lives in this module, so a second copy of the store in the same
 * process (a worker thread, another bundle) has another token: such copies must not record owners of
 * rows that this copy's process recovers. Today only main threads insert runs and experiments (the
 * app's main process, `fairbound serve`, the CLI); worker threads and the training worker process
 * only update rows they were handed.
 */
export function thisProcess(): JobOwner {
  self ??= { pid: process.pid, token: randomUUID(), host: hostname(), boot: linuxBootId() };
  return self;
}

/** Whether a process with this id exists: signal 0 checks without sending; EPERM means it exists (another user's). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * - `this`:    this very process (same pid and token): its own jobs, never touched;
 * - `alive`:   a process that may still drive the row (a second app, the CLI training): never touched;
 * - `gone`:    the owner no longer exists: its active rows are interrupted;
 * - `unknown`: on another machine (the file is shared): nothing can be checked, so it is left alone.
 *
 * A row without an owner was written by a Fairbound before schema 5, which recorded none; it counts as
 * gone, since otherwise the rows left running by those versions (the reason for schema 5) would stay
 * stuck. The one case this gets wrong is an older Fairbound still running a job while a newer one opens
 * the same workspace.
 */
export type OwnerState = 'this' | 'alive' | 'gone' | 'unknown';

export function ownerState(owner: StoredOwner, me: JobOwner = thisProcess(), alive: (pid: number) => boolean = isProcessAlive): OwnerState {
  if (owner.pid === null) return 'gone';
  if (owner.host !== null && owner.host !== me.host) return 'unknown';
  // Another boot: every process of the earlier one is gone, whatever now holds its pid.
  if (owner.boot !== null && me.boot !== null && owner.boot !== me.boot) return 'gone';
  if (owner.pid === me.pid) return owner.token === me.token ? 'this' : 'gone';
  return alive(owner.pid) ? 'alive' : 'gone';
}
