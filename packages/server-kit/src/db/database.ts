import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

export type Schema = typeof schema;
/** The drizzle handle both drivers share. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** An open, migrated database. Whatever opened it must call `close()`. */
export interface Database {
  readonly driver: 'pglite' | 'postgres';
  readonly db: Db;
  /** Runs one raw, parameterized statement and returns its rows (migrations, dumps, tests). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Closes the pool / PGlite instance and releases the data-directory lock. Idempotent. */
  close(): Promise<void>;
}

/** Reads `.rows` from a driver result (both drivers return an object with `rows`). */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
