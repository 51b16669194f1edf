/**
 * Schema 5: who owns a run or an experiment while it is active. A process that dies (app closed,
 * crash, kill -9) cannot end its rows, which then stay `queued` / `running` forever: shown as running,
 * refused by delete. Recording the owner when a row becomes active lets the next process that opens the
 * workspace for jobs tell a dead owner from a live one (src-main/store/interrupted.ts) and end only the
 * former's rows. All columns are nullable: rows written before this schema have no owner.
 *
 * - owner_pid:   the process id of the process that drives the row (the app, `fairbound serve`, the CLI);
 * - owner_token: a random token per process, so a pid reused by a later process (containers restart at
 *                the same small pids) is not mistaken for the owner;
 * - owner_host:  the machine's host name: a pid means nothing on another machine sharing the file;
 * - owner_boot:  Linux's boot id (NULL elsewhere): after a reboot every earlier owner is gone, even if an
 *                unrelated process got its pid.
 */
import type { WritableDB } from '../database';
import { applyMigration } from './apply';

export const version = 5;

export function migrateTo5(db: WritableDB): void {
  applyMigration(db, version, () => {
    for (const table of ['run', 'experiment']) {
      db.exec(`
        ALTER TABLE ${table} ADD COLUMN owner_pid INTEGER CHECK (owner_pid IS NULL OR owner_pid > 0);
        ALTER TABLE ${table} ADD COLUMN owner_token TEXT;
        ALTER TABLE ${table} ADD COLUMN owner_host TEXT;
        ALTER TABLE ${table} ADD COLUMN owner_boot TEXT;
      `);
    }
  });
}
