import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open-database.js';

/** The two drivers every persistence test runs on (`describe.each(DRIVERS)`). */
export const DRIVERS = ['pglite', 'postgres'] as const;
export type Driver = (typeof DRIVERS)[number];

export const POSTGRES_ADMIN_URL =
  process.env.GC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  database: Database;
  /** PGlite: its data directory; PostgreSQL: the connection string of the fresh database. */
  location: string;
  /** Closes the database and deletes it (temp dir / DROP DATABASE). */
  dispose(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database of that driver: a temp PGlite dir, or a new PostgreSQL database. */
export async function createEmptyDatabase(
  driver: Driver,
): Promise<{ location: string; drop(): Promise<void> }> {
  if (driver === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'gc-server-kit-'));
    return { location: dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `gc_sk_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { location: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

export async function openTestDatabase(
  driver: Driver,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const empty = await createEmptyDatabase(driver);
  const database = await openDatabase({
    ...(driver === 'pglite' ? { dataDir: empty.location } : { databaseUrl: empty.location }),
    ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
  });
  return {
    database,
    location: empty.location,
    dispose: async () => {
      await database.close();
      await empty.drop();
    },
  };
}
