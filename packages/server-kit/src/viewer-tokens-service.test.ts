import { randomBytes } from 'node:crypto';
import { Channel, CloseReason, SessionMode } from '@guruconnect/protocol';
import type { ConnectionContext } from '@guruconnect/relay-core';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerKitErrorCode } from './server-kit-error.js';
import { DRIVERS } from './test-support/test-databases.js';
import { createTestKit, type TestKit } from './test-support/test-kit.js';

const ctx: ConnectionContext = {
  remoteAddress: '127.0.0.1',
  origin: undefined,
  userAgent: undefined,
  correlationId: 'c-1',
};

describe.each(DRIVERS)('viewer tokens on %s', (driver) => {
  let k: TestKit;
  let sessionA: string;
  let sessionB: string;
  let machineId: string;
  beforeAll(async () => {
    k = await createTestKit(driver);
    const enrollment = await k.kit.keys.createEnrollmentKey(k.admin, { site: 'HQ', company: 'Acme' });
    const enrolled = await k.kit.enrollment.enroll({
      enrollmentKey: enrollment.secret,
      machineUid: 'uid-1',
      hostname: 'pc-1',
    });
    machineId = enrolled.machineId;
    sessionA = (await k.kit.sessions.start(k.admin, { machineId })).sessionId;
    sessionB = (await k.kit.sessions.start(k.admin, { machineId })).sessionId;
  });
  afterAll(async () => {
    await k.dispose();
  });

  const authorize = (token: string, sessionId: string) =>
    k.kit.relayHooks().authorizeViewer(token, sessionId, ctx);

  it('a minted token opens its session once, with its channels, and is refused on replay', async () => {
    const minted = await k.kit.viewerTokens.mint(k.admin, {
      sessionId: sessionA,
      channels: [Channel.VIEW, Channel.CONTROL, Channel.VIEW],
    });
    expect(minted.expiresAt.getTime() - k.clock.now().getTime()).toBeLessThanOrEqual(300_000);
    const first = await authorize(minted.token, sessionA);
    expect(first).toEqual({
      ok: true,
      value: {
        sessionId: sessionA,
        machineId,
        mode: SessionMode.UNATTENDED,
        channels: [Channel.VIEW, Channel.CONTROL],
        viewerName: 'admin@example.test',
        userId: (k.admin.principal as { userId: string }).userId,
      },
    });
    const replay = await authorize(minted.token, sessionA);
    expect(replay).toMatchObject({ ok: false, reason: CloseReason.TOKEN_EXPIRED });
  });

  it('a token for session A opens nothing else', async () => {
    const minted = await k.kit.viewerTokens.mint(k.admin, { sessionId: sessionA, channels: [Channel.VIEW] });
    for (const other of [sessionB, '00000000-0000-0000-0000-000000000000', 'not-a-session', '']) {
      expect(await authorize(minted.token, other)).toMatchObject({
        ok: false,
        reason: CloseReason.UNAUTHORIZED,
      });
    }
    // The refusals did not consume it: it still opens A, once.
    expect((await authorize(minted.token, sessionA)).ok).toBe(true);
    // A viewer token is no operator credential either.
    await expect(k.kit.auth.authenticate(minted.token)).rejects.toMatchObject({
      code: ServerKitErrorCode.Unauthenticated,
    });
  });

  it('forged tokens are refused: alg none, wrong key, wrong audience, other alg, expired', async () => {
    const [{ kid, material }] = (await k.t.database.query<{ kid: string; material: string }>(
      'select id as kid, material from signing_keys',
    )) as [{ kid: string; material: string }];
    const key = Buffer.from(material, 'base64url');
    const claims = { sid: sessionA, ch: ['view', 'control'], name: 'Mallory' };
    const build = (alg = 'HS256') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg, kid })
        .setIssuer('guruconnect')
        .setAudience('gc-viewer')
        .setIssuedAt(Math.floor(k.clock.now().getTime() / 1000))
        .setExpirationTime(Math.floor(k.clock.now().getTime() / 1000) + 120)
        .setJti(randomBytes(8).toString('hex'));
    const none = new UnsecuredJWT(claims)
      .setIssuer('guruconnect')
      .setAudience('gc-viewer')
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('n1')
      .encode();
    expect((await authorize(none, sessionA)).ok).toBe(false);
    expect((await authorize(await build().sign(randomBytes(32)), sessionA)).ok).toBe(false);
    expect((await authorize(await build('HS512').sign(key), sessionA)).ok).toBe(false);
    const wrongAudience = await build().setAudience('gc-operator').sign(key);
    expect((await authorize(wrongAudience, sessionA)).ok).toBe(false);
    expect((await authorize('garbage', sessionA)).ok).toBe(false);
    // Control: the same construction with the real key and audience is accepted.
    expect((await authorize(await build().sign(key), sessionA)).ok).toBe(true);

    const minted = await k.kit.viewerTokens.mint(k.admin, {
      sessionId: sessionA,
      channels: [Channel.VIEW],
      ttlSeconds: 30,
    });
    k.clock.advance(60_000);
    expect(await authorize(minted.token, sessionA)).toMatchObject({
      ok: false,
      reason: CloseReason.TOKEN_EXPIRED,
    });
    k.clock.advance(-60_000);
  });

  it('lifetime is bounded to 30–300 s and an ended session opens for no one', async () => {
    await expect(
      k.kit.viewerTokens.mint(k.admin, { sessionId: sessionA, channels: [Channel.VIEW], ttlSeconds: 301 }),
    ).rejects.toMatchObject({
      code: ServerKitErrorCode.InvalidArgument,
    });
    await expect(
      k.kit.viewerTokens.mint(k.admin, { sessionId: sessionA, channels: [] }),
    ).rejects.toMatchObject({
      code: ServerKitErrorCode.InvalidArgument,
    });
    const minted = await k.kit.viewerTokens.mint(k.admin, { sessionId: sessionB, channels: [Channel.VIEW] });
    await k.kit.sessions.end(k.admin, sessionB, 'done');
    expect(await authorize(minted.token, sessionB)).toMatchObject({
      ok: false,
      reason: CloseReason.SESSION_ENDED,
    });
    await expect(
      k.kit.viewerTokens.mint(k.admin, { sessionId: sessionB, channels: [Channel.VIEW] }),
    ).rejects.toMatchObject({
      code: ServerKitErrorCode.FailedPrecondition,
    });
  });
});
