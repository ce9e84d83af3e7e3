import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../test-support/test-databases.js';
import { migrate } from './migrator.js';

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
    expect(first.applied).toEqual(['0000_extensions', '0001_init', '0002_search_trigger_and_roles']);
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
      'roles',
      'sessions',
      'signing_keys',
      'support_codes',
      'users',
      'viewer_token_uses',
    ]);
    const ext = await t.database.query("select extname from pg_extension where extname = 'pg_trgm'");
    expect(ext).toHaveLength(1);
  });

  it('concurrent migrators on an empty database apply each migration once', async () => {
    const empty = await openTestDatabase(driver, { migrate: false });
    try {
      const results = await Promise.all([migrate(empty.database.db), migrate(empty.database.db)]);
      const applied = results.flatMap((r) => r.applied);
      expect(applied.sort()).toEqual(['0000_extensions', '0001_init', '0002_search_trigger_and_roles']);
      const rows = await empty.database.query('select tag from gc_migrations');
      expect(rows).toHaveLength(3);
    } finally {
      await empty.dispose();
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
