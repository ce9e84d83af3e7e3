import { create } from '@bufbuild/protobuf';
import { AgentHelloSchema, Channel } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from './logger.js';
import { DRIVERS } from './test-support/test-databases.js';
import { ADMIN_PASSWORD, callerOf, createTestKit, type TestKit } from './test-support/test-kit.js';

/** Every row of every table, as text. */
async function dumpAll(k: TestKit): Promise<string> {
  const tables = await k.t.database.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await k.t.database.query<{ row: string }>(`select t::text as row from "${table_name}" t`);
    parts.push(`-- ${table_name}`, ...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

describe.each(DRIVERS)('no secret at rest or in logs on %s', (driver) => {
  let k: TestKit;
  const logs: LogRecord[] = [];
  beforeAll(async () => {
    const sink = (record: LogRecord) => logs.push(record);
    k = await createTestKit(driver, { logger: { info: sink, warn: sink, error: sink } });
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('after a full scenario the dump holds no plaintext key, token, code or password', async () => {
    const secrets: string[] = [ADMIN_PASSWORD];
    const techPassword = 'a technician password';
    secrets.push(techPassword);
    await k.kit.users.create(k.admin, {
      email: 'tech@example.test',
      role: 'technician',
      password: techPassword,
    });
    const login = await k.kit.auth.login({
      email: 'tech@example.test',
      password: techPassword,
      remoteAddress: '10.0.0.1',
    });
    secrets.push(login.token);
    const tech = callerOf(await k.kit.auth.authenticate(login.token));
    await k.kit.auth
      .login({ email: 'tech@example.test', password: 'wrong but memorable', remoteAddress: '10.0.0.1' })
      .catch(() => undefined);
    secrets.push('wrong but memorable');
    const changed = await k.kit.auth.changePassword(
      { ...tech, remoteAddress: '10.0.0.1' },
      { currentPassword: techPassword, newPassword: 'the changed password' },
    );
    secrets.push('the changed password', changed.token);

    const apiToken = await k.kit.keys.createApiToken(k.admin, { name: 'ci' });
    const integrationKey = await k.kit.keys.createIntegrationKey(k.admin, { name: 'rmm' });
    const enrollmentKey = await k.kit.keys.createEnrollmentKey(k.admin, { site: 'HQ' });
    const rotated = await k.kit.enrollment.rotateEnrollmentKey(k.admin, enrollmentKey.key.keyId);
    secrets.push(apiToken.secret, integrationKey.secret, enrollmentKey.secret, rotated.secret);

    const enrolled = await k.kit.enrollment.enroll({
      enrollmentKey: rotated.secret,
      machineUid: 'dump-uid',
      hostname: 'dump-host',
    });
    secrets.push(enrolled.agentKey);
    const integration = callerOf(await k.kit.auth.authenticate(integrationKey.secret));
    const provisioned = await k.kit.enrollment.provisionAgentKey(integration, { deviceId: 'dev-9' });
    secrets.push(provisioned.agentKey);
    const ctx = { remoteAddress: '10.0.0.2', origin: undefined, userAgent: undefined, correlationId: 'dump' };
    await k.kit.relayHooks().authenticateAgent(
      create(AgentHelloSchema, {
        credential: { case: 'agentKey', value: enrolled.agentKey },
        machineUid: 'dump-uid',
      }),
      ctx,
    );
    // A wrong key presented is not stored either.
    const bogus = `cak_${'x'.repeat(33)}`;
    secrets.push(bogus);
    await k.kit
      .relayHooks()
      .authenticateAgent(
        create(AgentHelloSchema, { credential: { case: 'agentKey', value: bogus }, machineUid: 'dump-uid' }),
        ctx,
      );

    const session = await k.kit.sessions.start(k.admin, { machineId: enrolled.machineId });
    const viewer = await k.kit.viewerTokens.mint(k.admin, {
      sessionId: session.sessionId,
      channels: [Channel.VIEW],
    });
    secrets.push(viewer.token);
    await k.kit.relayHooks().authorizeViewer(viewer.token, session.sessionId, ctx);
    await k.kit.relayHooks().authorizeViewer(viewer.token, session.sessionId, ctx);
    const code = await k.kit.supportCodes.create(k.admin, {});
    secrets.push(code.code);
    await k.kit.relayHooks().authenticateAgent(
      create(AgentHelloSchema, {
        credential: { case: 'supportCode', value: code.code },
        machineUid: 'sc-uid',
      }),
      ctx,
    );
    await k.kit.keys.revoke(k.admin, apiToken.key.keyId);
    await k.kit.auth.logout(tech);
    await k.kit.drainEvents();

    const dump = await dumpAll(k);
    expect(dump).toContain('dump-host'); // the dump is real
    expect(dump.length).toBeGreaterThan(2000);
    for (const secret of secrets) {
      expect(dump.includes(secret), `secret ${secret.slice(0, 6)}… found in the dump`).toBe(false);
    }
    // Nor do API-shaped results leak hashes.
    const listed = JSON.stringify([
      await k.kit.keys.list(k.admin, { includeRevoked: true }),
      await k.kit.users.list(k.admin),
      await k.kit.audit.list(k.admin, { pageSize: 500 }),
    ]);
    for (const secret of secrets) expect(listed.includes(secret)).toBe(false);
    expect(listed).not.toMatch(/\$argon2/);
    expect(listed).not.toMatch(/\b[0-9a-f]{64}\b/);
    // The audit trail recorded the acts.
    const types = new Set((await k.kit.audit.list(k.admin, { pageSize: 500 })).events.map((e) => e.type));
    for (const type of [
      'auth.login',
      'auth.logout',
      'auth.password-changed',
      'key.created',
      'key.revoked',
      'key.rotated',
      'machine.enrolled',
      'agent.authenticate',
      'viewer.authorize',
      'viewer-token.minted',
      'support-code.created',
      'support-code.redeem',
      'session.created',
    ]) {
      expect(types, type).toContain(type);
    }
  });

  it('the logger gets redacted records', async () => {
    k.kit.relayHooks().onEvent({
      type: 'session-state',
      sessionId: `cak_${'y'.repeat(33)}`,
      machineId: 'm',
      state: 4,
      at: new Date(),
    });
    await k.kit.drainEvents();
    expect(logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(logs)).not.toContain(`cak_${'y'.repeat(33)}`);
  });
});
