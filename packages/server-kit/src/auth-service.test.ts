import { randomBytes } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_AUDIENCE } from './jwt-codec.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { DRIVERS } from './test-support/test-databases.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  callerOf,
  createTestKit,
  type TestKit,
} from './test-support/test-kit.js';
import { totpCode } from './totp.js';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ServerKitError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServerKitError);
  expect((err as ServerKitError).code).toBe(code);
  return err as ServerKitError;
}

describe.each(DRIVERS)('operator auth on %s', (driver) => {
  let k: TestKit;
  beforeAll(async () => {
    k = await createTestKit(driver, {
      loginLimitPerAccountAddress: { failures: 3, windowSeconds: 60 },
      loginLimitPerAddress: { failures: 20, windowSeconds: 60 },
    });
    await k.kit.users.create(k.admin, {
      email: 'tech@example.test',
      role: 'technician',
      password: 'technician password',
    });
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('login returns a JWT that authenticates; a wrong password is refused', async () => {
    const login = await k.kit.auth.login({
      email: 'TECH@example.test',
      password: 'technician password',
      remoteAddress: '10.1.0.1',
    });
    const principal = await k.kit.auth.authenticate(login.token);
    expect(principal).toMatchObject({
      kind: 'user',
      email: 'tech@example.test',
      role: 'technician',
      via: 'jwt',
    });
    await rejectsWith(
      k.kit.auth.login({
        email: 'tech@example.test',
        password: 'wrong password!',
        remoteAddress: '10.1.0.1',
      }),
      ServerKitErrorCode.Unauthenticated,
    );
  });

  it('logout revokes the token at once; password change revokes older tokens', async () => {
    const a = await k.kit.auth.login({
      email: 'tech@example.test',
      password: 'technician password',
      remoteAddress: '10.1.0.2',
    });
    const b = await k.kit.auth.login({
      email: 'tech@example.test',
      password: 'technician password',
      remoteAddress: '10.1.0.2',
    });
    const principal = await k.kit.auth.authenticate(a.token);
    await k.kit.auth.logout(callerOf(principal));
    await rejectsWith(k.kit.auth.authenticate(a.token), ServerKitErrorCode.Unauthenticated);
    await rejectsWith(k.kit.auth.authenticate(b.token), ServerKitErrorCode.Unauthenticated);

    const c = await k.kit.auth.login({
      email: 'tech@example.test',
      password: 'technician password',
      remoteAddress: '10.1.0.2',
    });
    const fresh = await k.kit.auth.changePassword(
      { principal: await k.kit.auth.authenticate(c.token), remoteAddress: '10.1.0.2' },
      { currentPassword: 'technician password', newPassword: 'a new technician password' },
    );
    await rejectsWith(k.kit.auth.authenticate(c.token), ServerKitErrorCode.Unauthenticated);
    await expect(k.kit.auth.authenticate(fresh.token)).resolves.toMatchObject({ email: 'tech@example.test' });
    await rejectsWith(
      k.kit.auth.login({
        email: 'tech@example.test',
        password: 'technician password',
        remoteAddress: '10.1.0.2',
      }),
      ServerKitErrorCode.Unauthenticated,
    );
    await k.kit.auth.changePassword(
      { principal: await k.kit.auth.authenticate(fresh.token), remoteAddress: '10.1.0.2' },
      { currentPassword: 'a new technician password', newPassword: 'technician password' },
    );
  });

  it('a role change or disable revokes the user’s tokens at once', async () => {
    const user = await k.kit.users.create(k.admin, {
      email: 'ops@example.test',
      role: 'technician',
      password: 'ops password 123',
    });
    const login = await k.kit.auth.login({
      email: 'ops@example.test',
      password: 'ops password 123',
      remoteAddress: '10.1.0.3',
    });
    await k.kit.users.update(k.admin, { userId: user.userId, role: 'end_user' });
    await rejectsWith(k.kit.auth.authenticate(login.token), ServerKitErrorCode.Unauthenticated);
    const again = await k.kit.auth.login({
      email: 'ops@example.test',
      password: 'ops password 123',
      remoteAddress: '10.1.0.3',
    });
    await k.kit.users.update(k.admin, { userId: user.userId, disabled: true });
    await rejectsWith(k.kit.auth.authenticate(again.token), ServerKitErrorCode.Unauthenticated);
    await rejectsWith(
      k.kit.auth.login({
        email: 'ops@example.test',
        password: 'ops password 123',
        remoteAddress: '10.1.0.3',
      }),
      ServerKitErrorCode.Unauthenticated,
    );
  });

  it('the last admin cannot be demoted; a technician may not manage users', async () => {
    await rejectsWith(
      k.kit.users.update(k.admin, {
        userId: (k.admin.principal as { userId: string }).userId,
        role: 'technician',
      }),
      ServerKitErrorCode.FailedPrecondition,
    );
    const tech = await k.kit.auth.login({
      email: 'tech@example.test',
      password: 'technician password',
      remoteAddress: '10.1.0.4',
    });
    const techCaller = callerOf(await k.kit.auth.authenticate(tech.token));
    await rejectsWith(
      k.kit.users.create(techCaller, {
        email: 'x@example.test',
        role: 'admin',
        password: 'whatever password',
      }),
      ServerKitErrorCode.PermissionDenied,
    );
  });

  it('forged operator tokens are refused: alg none, wrong key, wrong audience, expired, other alg', async () => {
    const userId = (k.admin.principal as { userId: string }).userId;
    const claims = { ver: 0, sub: userId, aud: OPERATOR_AUDIENCE, iss: 'guruconnect' };
    const none = new UnsecuredJWT(claims).setIssuedAt().setExpirationTime('1h').setJti('x').encode();
    await rejectsWith(k.kit.auth.authenticate(none), ServerKitErrorCode.Unauthenticated);
    const [{ kid }] = (await k.t.database.query<{ kid: string }>('select id as kid from signing_keys')) as [
      { kid: string },
    ];
    const wrongKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid })
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti('y')
      .sign(randomBytes(32));
    await rejectsWith(k.kit.auth.authenticate(wrongKey), ServerKitErrorCode.Unauthenticated);
    const login = await k.kit.auth.login({
      email: ADMIN_EMAIL,
      password: ADMIN_PASSWORD,
      remoteAddress: '10.1.0.5',
    });
    k.clock.advance(13 * 3600 * 1000);
    const expired = await rejectsWith(
      k.kit.auth.authenticate(login.token),
      ServerKitErrorCode.Unauthenticated,
    );
    expect(expired.message).toMatch(/expired/);
    k.clock.advance(-13 * 3600 * 1000);
    // A viewer token is not an operator token (audience).
    const [{ material }] = (await k.t.database.query<{ material: string }>(
      'select material from signing_keys',
    )) as [{ material: string }];
    const viewerAudience = await new SignJWT({ ver: 0 })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setSubject(userId)
      .setAudience('gc-viewer')
      .setIssuer('guruconnect')
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti('z')
      .sign(Buffer.from(material, 'base64url'));
    await rejectsWith(k.kit.auth.authenticate(viewerAudience), ServerKitErrorCode.Unauthenticated);
    // Same key, other algorithm (HS512): refused by the allowlist.
    const otherAlg = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS512', kid })
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti('w')
      .sign(Buffer.from(material, 'base64url'));
    await rejectsWith(k.kit.auth.authenticate(otherAlg), ServerKitErrorCode.Unauthenticated);
    // And the genuine article with the same claims is accepted (the forgeries differ only as named).
    const genuine = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid })
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti('v')
      .sign(Buffer.from(material, 'base64url'));
    await expect(k.kit.auth.authenticate(genuine)).resolves.toMatchObject({ userId });
  });

  it('rate-limits failed logins per account+address with retry-after, without locking the owner out from elsewhere', async () => {
    const attacker = '203.0.113.9';
    for (let i = 0; i < 3; i++) {
      await rejectsWith(
        k.kit.auth.login({ email: ADMIN_EMAIL, password: `guess number ${i}`, remoteAddress: attacker }),
        ServerKitErrorCode.Unauthenticated,
      );
    }
    const limited = await rejectsWith(
      k.kit.auth.login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, remoteAddress: attacker }),
      ServerKitErrorCode.RateLimited,
    );
    expect(limited.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(60);
    // A flood from the attacker's address over many accounts trips the per-address limit too…
    for (let i = 0; i < 25; i++) {
      await k.kit.auth
        .login({ email: `nobody${i}@example.test`, password: 'guess guess', remoteAddress: attacker })
        .catch((err: unknown) => expect(err).toBeInstanceOf(ServerKitError));
    }
    await rejectsWith(
      k.kit.auth.login({
        email: 'tech@example.test',
        password: 'technician password',
        remoteAddress: attacker,
      }),
      ServerKitErrorCode.RateLimited,
    );
    // …and the real admin, from their own address, still gets in.
    const owner = await k.kit.auth.login({
      email: ADMIN_EMAIL,
      password: ADMIN_PASSWORD,
      remoteAddress: '198.51.100.7',
    });
    expect(owner.user.role).toBe('admin');
  }, 60_000);

  it('TOTP: required once enabled, a used code cannot be replayed', async () => {
    await k.kit.users.create(k.admin, {
      email: 'totp@example.test',
      role: 'technician',
      password: 'totp user password',
    });
    const ip = '10.1.0.9';
    const first = await k.kit.auth.login({
      email: 'totp@example.test',
      password: 'totp user password',
      remoteAddress: ip,
    });
    const caller = callerOf(await k.kit.auth.authenticate(first.token));
    const { otpauthUri } = await k.kit.auth.beginTotp(caller);
    const secret = new URL(otpauthUri).searchParams.get('secret')!;
    await k.kit.auth.confirmTotp(caller, totpCode(secret, k.clock.now()));
    await rejectsWith(k.kit.auth.authenticate(first.token), ServerKitErrorCode.Unauthenticated);
    await rejectsWith(
      k.kit.auth.login({ email: 'totp@example.test', password: 'totp user password', remoteAddress: ip }),
      ServerKitErrorCode.TotpRequired,
    );
    k.clock.advance(30_000);
    const code = totpCode(secret, k.clock.now());
    const ok = await k.kit.auth.login({
      email: 'totp@example.test',
      password: 'totp user password',
      totpCode: code,
      remoteAddress: ip,
    });
    expect(ok.user.totpEnabled).toBe(true);
    await rejectsWith(
      k.kit.auth.login({
        email: 'totp@example.test',
        password: 'totp user password',
        totpCode: code,
        remoteAddress: ip,
      }),
      ServerKitErrorCode.TotpRequired,
    );
  });

  it('API tokens authenticate as their user and stop at once when revoked', async () => {
    const created = await k.kit.keys.createApiToken(k.admin, { name: 'ci' });
    expect(created.secret).toMatch(/^gat_[0-9A-Za-z]{33}$/);
    await expect(k.kit.auth.authenticate(created.secret)).resolves.toMatchObject({
      kind: 'user',
      via: 'api-token',
      role: 'admin',
    });
    await k.kit.keys.revoke(k.admin, created.key.keyId);
    await rejectsWith(k.kit.auth.authenticate(created.secret), ServerKitErrorCode.Unauthenticated);
  });
});
