import { create } from '@bufbuild/protobuf';
import { AgentHelloSchema, CloseReason, SessionMode } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { DRIVERS } from './test-support/test-databases.js';
import { createTestKit, type TestKit } from './test-support/test-kit.js';

describe.each(DRIVERS)('support codes on %s', (driver) => {
  let k: TestKit;
  beforeAll(async () => {
    k = await createTestKit(driver);
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('are 9 digits, single use, and open an attended session for the agent', async () => {
    const created = await k.kit.supportCodes.create(k.admin, { ttlSeconds: 120 });
    expect(created.code).toMatch(/^\d{9}$/);
    const hello = create(AgentHelloSchema, {
      credential: { case: 'supportCode', value: `${created.code.slice(0, 3)} ${created.code.slice(3)}` },
      machineUid: 'attended-uid',
      hostname: 'laptop',
    });
    const ctx = {
      remoteAddress: '192.0.2.1',
      origin: undefined,
      userAgent: undefined,
      correlationId: 'sc-1',
    };
    const first = await k.kit.relayHooks().authenticateAgent(hello, ctx);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value).toMatchObject({
      sessionId: created.sessionId,
      mode: SessionMode.ATTENDED,
      machineName: 'laptop',
    });
    const session = await k.kit.sessions.get(k.admin, created.sessionId);
    expect(session).toMatchObject({
      machineId: first.value.machineId,
      mode: 'attended',
      source: 'support-code',
    });
    const second = await k.kit.relayHooks().authenticateAgent(hello, { ...ctx, remoteAddress: '192.0.2.2' });
    expect(second).toMatchObject({ ok: false, reason: CloseReason.UNAUTHORIZED });
  });

  it('expire after their TTL (≤ 10 min)', async () => {
    await expect(k.kit.supportCodes.create(k.admin, { ttlSeconds: 601 })).rejects.toMatchObject({
      code: ServerKitErrorCode.InvalidArgument,
    });
    const created = await k.kit.supportCodes.create(k.admin, { ttlSeconds: 60 });
    k.clock.advance(61_000);
    await expect(k.kit.supportCodes.redeem(created.code, '192.0.2.3')).rejects.toMatchObject({
      code: ServerKitErrorCode.Unauthenticated,
    });
    expect(await k.kit.sessions.reapStale()).toBeGreaterThanOrEqual(1);
    expect((await k.kit.sessions.get(k.admin, created.sessionId)).state).toBe('ended');
  });

  it('brute force: 10,000 guesses from 100 addresses → 0 successes, addresses locked after 10 misses', async () => {
    const live = await Promise.all(Array.from({ length: 5 }, () => k.kit.supportCodes.create(k.admin, {})));
    let successes = 0;
    let limited = 0;
    let misses = 0;
    for (let address = 0; address < 100; address++) {
      const ip = `198.18.${address >> 8}.${address & 255}`;
      for (let guess = 0; guess < 100; guess++) {
        const code = String(address * 100 + guess).padStart(9, '0');
        try {
          await k.kit.supportCodes.redeem(code, ip);
          successes++;
        } catch (err) {
          if (!(err instanceof ServerKitError)) throw err;
          if (err.code === ServerKitErrorCode.RateLimited) {
            limited++;
            expect(err.retryAfterSeconds).toBeGreaterThan(0);
          } else {
            expect(err.code).toBe(ServerKitErrorCode.Unauthenticated);
            misses++;
          }
        }
      }
    }
    expect(successes).toBe(0);
    expect(misses).toBe(100 * 10);
    expect(limited).toBe(100 * 90);
    // The real codes still work for the end user's address.
    await expect(k.kit.supportCodes.redeem(live[0]!.code, '192.0.2.50')).resolves.toMatchObject({
      sessionId: live[0]!.sessionId,
    });
  }, 120_000);
});
