/**
 * Parameterised SQL by construction: the `sql` tag turns every interpolated value into a `?`
 * parameter, so a query can never be built by string concatenation of user data. Statements are
 * prepared once per connection and cached by their text (better-sqlite3 does not cache them itself).
 *
 * @example
 *   get<DatasetRow>(db, sql`SELECT * FROM dataset WHERE name = ${name}`)
 */
import type { ReadableDB, WritableDB } from './database';
import type { Statement } from 'better-sqlite3';

/** What SQLite can bind: NULL, integer/real, text, blob. */
export type SqlValue = number | bigint | string | Uint8Array | null;

export interface SqlQuery {
  readonly text: string;
  readonly params: readonly SqlValue[];
}

export function sql(strings: TemplateStringsArray, ...values: readonly SqlValue[]): SqlQuery {
  return { text: strings.join('?'), params: values };
}

const statementCache = new WeakMap<ReadableDB, Map<string, Statement<SqlValue[]>>>();

/** The connection's prepared statement for `text`, prepared on first use. */
export function prepareCached(db: ReadableDB, text: string): Statement<SqlValue[]> {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = db.prepare<SqlValue[]>(text);
    cache.set(text, statement);
  }
  return statement;
}

/** Runs a query that changes rows; returns the last inserted rowid and the number of changed rows. */
export function run(db: WritableDB, query: SqlQuery): { lastInsertRowid: number; changes: number } {
  const result = prepareCached(db, query.text).run(...query.params);
  return { lastInsertRowid: Number(result.lastInsertRowid), changes: result.changes };
}

/** First row of a read query, or undefined. */
export function get<Row>(db: ReadableDB, query: SqlQuery): Row | undefined {
  return prepareCached(db, query.text).get(...query.params) as Row | undefined;
}

/** All rows of a read query. */
export function all<Row>(db: ReadableDB, query: SqlQuery): Row[] {
  return prepareCached(db, query.text).all(...query.params) as Row[];
}

/** Rows one at a time, for results too large to hold as objects (blobs of a whole dataset). */
export function iterate<Row>(db: ReadableDB, query: SqlQuery): IterableIterator<Row> {
  return prepareCached(db, query.text).iterate(...query.params) as IterableIterator<Row>;
}
