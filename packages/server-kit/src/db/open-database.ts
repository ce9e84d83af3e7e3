import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { type Logger, noopLogger } from '../logger.js';
import { ServerKitError, ServerKitErrorCode } from '../server-kit-error.js';
import { DataDirLock } from './data-dir-lock.js';
import type { Database, Db } from './database.js';
import { migrate } from './migrator.js';
import * as schema from './schema.js';

export interface OpenDatabaseOptions {
  /**
   * PGlite data directory (created if missing). The kit keeps PGlite's files in `<dataDir>/pgdata`
   * and its lock in `<dataDir>/server.lock`. Ignored when `databaseUrl` is set. Default: none —
   * with neither option the database is an in-memory PGlite (lost on close; tests only).
   */
  dataDir?: string;
  /** PostgreSQL connection string (`postgres://…`); when set, PostgreSQL is used through a pool. */
  databaseUrl?: string;
  /** PostgreSQL pool size. Default 10, 1–100. */
  poolSize?: number;
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean;
  /** Default: no-op. */
  logger?: Logger;
}

/**
 * Opens PGlite (embedded, one process, guarded by a lock file) or PostgreSQL, and applies the
 * migrations. Throws GC_ERR_DB_LOCKED when another live process holds the PGlite directory.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const logger = options.logger ?? noopLogger;
  const database =
    options.databaseUrl !== undefined && options.databaseUrl !== ''
      ? await openPostgres(options.databaseUrl, options.poolSize ?? 10, logger)
      : await openPglite(options.dataDir);
  if (options.migrate !== false) {
    try {
      const { applied } = await migrate(database.db);
      if (applied.length > 0) logger.info({ msg: 'database migrated', driver: database.driver, applied });
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  return database;
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  let lock: DataDirLock | undefined;
  let pgDir: string | undefined;
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    lock = DataDirLock.acquire(join(dataDir, 'server.lock'));
    pgDir = join(dataDir, 'pgdata');
  }
  // Drivers load lazily: a PostgreSQL deployment never loads the PGlite WASM, and PGlite users never
  // load pg.
  const { PGlite: PGliteClass } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite');
  let client: PGlite;
  try {
    client = await PGliteClass.create({
      ...(pgDir === undefined ? {} : { dataDir: pgDir }),
      extensions: { pg_trgm },
    });
  } catch (err) {
    lock?.release();
    throw new ServerKitError(
      ServerKitErrorCode.Internal,
      `Could not open PGlite: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  let closed = false;
  return {
    driver: 'pglite',
    db,
    query: async <T>(text: string, params: unknown[] = []) => (await client.query<T>(text, params)).rows,
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

async function openPostgres(databaseUrl: string, poolSize: number, logger: Logger): Promise<Database> {
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 100) {
    throw new ServerKitError(ServerKitErrorCode.InvalidArgument, 'poolSize must be an integer in 1–100');
  }
  const { default: pg } = await import('pg');
  const { drizzle: drizzlePg } = await import('drizzle-orm/node-postgres');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  // An idle client's error (server restart, network) would otherwise crash the process.
  pool.on('error', (err) => logger.error({ msg: 'postgres pool error', error: err.message }));
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  let closed = false;
  return {
    driver: 'postgres',
    db,
    query: async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[],
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
