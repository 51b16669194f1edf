/**
 * Schema migrations, applied in order on open. To add one: write `NNNN-what.ts` exporting `version`
 * (the next integer) and `migrateToN(db)` (following 0001: skip when `user_version >= N`, else the DDL
 * and `PRAGMA user_version = N` in one transaction), append it to `migrations` below, and add a test
 * in test/unit/store-migrations.test.ts that migrates a fresh database and checks the new schema.
 */
import type { WritableDB } from '../database';
import * as m0001 from './0001-datasets';
import * as m0002 from './0002-experiments';
import * as m0003 from './0003-saved-constraints';
import * as m0004 from './0004-runs';
import * as m0005 from './0005-job-owners';
import * as m0006 from './0006-trial-kernel';
import * as m0007 from './0007-trial-error';
import * as m0008 from './0008-names-notes';
import * as m0009 from './0009-run-webgpu';
import * as m0010 from './0010-run-pretrained';
import * as m0011 from './0011-onnxruntime-link';

export interface Migration {
  readonly version: number;
  readonly migrate: (db: WritableDB) => void;
}

export const migrations: readonly Migration[] = [
  { version: m0001.version, migrate: m0001.migrateTo1 },
  { version: m0002.version, migrate: m0002.migrateTo2 },
  { version: m0003.version, migrate: m0003.migrateTo3 },
  { version: m0004.version, migrate: m0004.migrateTo4 },
  { version: m0005.version, migrate: m0005.migrateTo5 },
  { version: m0006.version, migrate: m0006.migrateTo6 },
  { version: m0007.version, migrate: m0007.migrateTo7 },
  { version: m0008.version, migrate: m0008.migrateTo8 },
  { version: m0009.version, migrate: m0009.migrateTo9 },
  { version: m0010.version, migrate: m0010.migrateTo10 },
  { version: m0011.version, migrate: m0011.migrateTo11 },
];

export const LATEST_VERSION = migrations[migrations.length - 1].version;

/** Applies every migration in `list` in order; each is a no-op when the database is already at its version. */
export function migrate(db: WritableDB, list: readonly Migration[] = migrations): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i + 1} declares version ${m.version}; versions must be 1, 2, 3, …`);
    m.migrate(db);
  });
}
