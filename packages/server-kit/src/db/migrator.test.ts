import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../test-support/test-databases.js';
import { MIGRATIONS_DIR, migrate } from './migrator.js';

const ALL_MIGRATIONS = [
  '0000_extensions',
  '0001_init',
  '0002_search_trigger_and_roles',
  '0003_webhooks',
  '0004_recordings',
];

describe.each(DRIVERS)('migrations on %s', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver, { migrate: false });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('apply cleanly to an empty database, then are a no-op', async () => {
    const first = await migrate(t.database.db);
    expect(first.applied).toEqual(ALL_MIGRATIONS);
    const second = await migrate(t.database.db);
    expect(second.applied).toEqual([]);
    const tables = await t.database.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
    );
    expect(tables.map((row) => row.table_name)).toEqual([
      'agent_keys',
      'api_tokens',
      'audit_events',
      'enrollment_keys',
      'gc_migrations',
      'integration_keys',
      'machines',
      'recordings',
      'roles',
      'sessions',
      'signing_keys',
      'support_codes',
      'users',
      'viewer_token_uses',
      'webhook_deliveries',
      'webhooks',
    ]);
    const ext = await t.database.query("select extname from pg_extension where extname = 'pg_trgm'");
    expect(ext).toHaveLength(1);
  });

  it('concurrent migrators on an empty database apply each migration once', async () => {
    const empty = await openTestDatabase(driver, { migrate: false });
    try {
      const results = await Promise.all([migrate(empty.database.db), migrate(empty.database.db)]);
      const applied = results.flatMap((r) => r.applied);
      expect(applied.sort()).toEqual(ALL_MIGRATIONS);
      const rows = await empty.database.query('select tag from gc_migrations');
      expect(rows).toHaveLength(ALL_MIGRATIONS.length);
    } finally {
      await empty.dispose();
    }
  });

  it('upgrade a database migrated before webhooks existed by applying only the newer migrations', async () => {
    const old = await openTestDatabase(driver, { migrate: false });
    const dir = mkdtempSync(join(tmpdir(), 'gc-migrations-'));
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      const journalPath = join(dir, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((e) => e.tag < '0003');
      writeFileSync(journalPath, JSON.stringify(journal));
      expect((await migrate(old.database.db, dir)).applied).toEqual(ALL_MIGRATIONS.slice(0, 3));
      expect((await migrate(old.database.db)).applied).toEqual(['0003_webhooks', '0004_recordings']);
      expect((await migrate(old.database.db)).applied).toEqual([]);
      const [row] = await old.database.query<{ n: number }>('select count(*)::int as n from webhooks');
      expect(row?.n).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await old.dispose();
    }
  });

  it('uses the trigram index for machine search', async () => {
    await t.database.query('set enable_seqscan = off');
    const rows = await t.database.query<Record<string, string>>(
      "explain select id from machines where search_text ilike '%abc%'",
    );
    expect(rows.map((r) => Object.values(r)[0]).join('\n')).toContain('machines_search_trgm');
  });
});
