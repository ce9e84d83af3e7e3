import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { ServerKitError, ServerKitErrorCode } from '../server-kit-error.js';
import { type Db, rowsOf } from './database.js';

/** The committed migration folder (drizzle-kit output), the same for both drivers. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Any constant works; it only has to be the same in every process migrating this database. */
const MIGRATION_LOCK_KEY = 0x6763_6d69; // 'gcmi'

interface JournalEntry {
  tag: string;
}

export interface MigrationResult {
  /** Tags applied by this call (empty when the database was up to date). */
  applied: string[];
}

/**
 * Applies every migration of MIGRATIONS_DIR not yet recorded in `gc_migrations`, in order, in ONE
 * transaction holding a transaction-scoped advisory lock, so two processes starting together
 * migrate once and a failure leaves nothing half-applied. A recorded migration whose file changed
 * since is refused (GC_ERR_MIGRATION) rather than silently skipped.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const journal = JSON.parse(await readFile(`${dir}/meta/_journal.json`, 'utf8')) as {
    entries: JournalEntry[];
  };
  const files = await Promise.all(
    journal.entries.map(async (entry) => {
      const text = await readFile(`${dir}/${entry.tag}.sql`, 'utf8');
      return { tag: entry.tag, text, hash: createHash('sha256').update(text).digest('hex') };
    }),
  );
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await tx.execute(
        sql.raw(
          'create table if not exists gc_migrations (tag text primary key, hash text not null, applied_at timestamptz not null default now())',
        ),
      );
      const done = new Map(
        rowsOf<{ tag: string; hash: string }>(
          await tx.execute(sql.raw('select tag, hash from gc_migrations')),
        ).map((row) => [row.tag, row.hash]),
      );
      const applied: string[] = [];
      for (const file of files) {
        const recorded = done.get(file.tag);
        if (recorded !== undefined) {
          if (recorded !== file.hash) {
            throw new ServerKitError(
              ServerKitErrorCode.Migration,
              `Migration ${file.tag} was changed after it was applied; add a new migration instead.`,
            );
          }
          continue;
        }
        for (const statement of file.text.split('--> statement-breakpoint')) {
          if (statement.trim() !== '') await tx.execute(sql.raw(statement));
        }
        await tx.execute(sql`insert into gc_migrations (tag, hash) values (${file.tag}, ${file.hash})`);
        applied.push(file.tag);
      }
      return { applied };
    });
  } catch (err) {
    if (err instanceof ServerKitError) throw err;
    throw new ServerKitError(ServerKitErrorCode.Migration, `Migration failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
