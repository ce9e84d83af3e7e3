import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerKit, type ServerKit } from './server-kit.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from './test-support/test-databases.js';

describe.each(DRIVERS)('ensureFirstAdmin on %s', (driver) => {
  let t: TestDatabase;
  let kit: ServerKit;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
    kit = await createServerKit({ database: t.database, reapIntervalMs: 0 });
  });
  afterAll(async () => {
    await kit.close();
    await t.dispose();
  });

  it('50 concurrent attempts on an empty database create exactly one admin', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        kit.users.ensureFirstAdmin({ email: `admin${i}@example.test`, password: 'first admin password' }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const admins = await t.database.query<{ n: string }>(
      "select count(*)::text as n from users where role = 'admin'",
    );
    expect(admins[0]?.n).toBe('1');
  }, 60_000);

  it('does nothing once an admin exists, and never stores the password', async () => {
    expect(await kit.users.ensureFirstAdmin({ email: 'late@example.test' })).toEqual({ created: false });
    const rows = await t.database.query<{ password_hash: string }>('select password_hash from users');
    for (const row of rows) {
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      expect(row.password_hash).not.toContain('first admin password');
    }
  });

  it('generates and returns a one-time password when none is given', async () => {
    const empty = await openTestDatabase(driver);
    const other = await createServerKit({ database: empty.database, reapIntervalMs: 0 });
    try {
      const result = await other.users.ensureFirstAdmin({ email: 'Root@Example.test' });
      expect(result.created).toBe(true);
      if (!result.created) return;
      expect(result.user.email).toBe('root@example.test');
      expect(result.generatedPassword).toMatch(/^[\w-]{24}$/);
      const login = await other.auth.login({
        email: 'root@example.test',
        password: result.generatedPassword!,
        remoteAddress: '10.0.0.1',
      });
      expect(login.user.role).toBe('admin');
    } finally {
      await other.close();
      await empty.dispose();
    }
  }, 60_000);
});
