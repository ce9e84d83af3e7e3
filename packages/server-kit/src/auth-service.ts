import { randomUUID } from 'node:crypto';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { type AttemptLimit, AttemptLimiter } from './attempt-limiter.js';
import type { AuditService } from './audit-service.js';
import { users } from './db/schema.js';
import { type JwtCodec, OPERATOR_AUDIENCE } from './jwt-codec.js';
import type { KeysService } from './keys-service.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { burnPasswordCheck, checkPasswordPolicy, hashPassword, verifyPassword } from './password-hasher.js';
import { withCorrelation } from './require-right.js';
import type { Principal, Role } from './rights.js';
import { SecretPrefix } from './secret-codec.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';
import {
  normalizeEmail,
  toUserView,
  type UserRow,
  type UsersService,
  type UserView,
} from './users-service.js';

export interface LoginInput {
  email: string;
  password: string;
  /** Required when the user has TOTP on. */
  totpCode?: string;
  /** Peer IP: the rate limits key on it. */
  remoteAddress: string;
  correlationId?: string;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: UserView;
}

export interface AuthServiceOptions {
  /** Operator JWT lifetime, seconds. */
  operatorTokenTtlSeconds: number;
  /** Failed logins per (account, address). */
  accountAddressLimit: AttemptLimit;
  /** Failed logins per address, any account. */
  addressLimit: AttemptLimit;
  /** TOTP issuer shown in authenticator apps. */
  totpIssuer: string;
}

const WRONG = 'Wrong e-mail or password';

/**
 * Operator authentication: argon2id passwords, login → JWT, revocation by token version, TOTP.
 *
 * Login limits key on (account, address) and on address — never on the account alone — so a
 * flood of wrong passwords from one address cannot lock the owner out from another address
 * (MeshCentral-style whole-subnet or per-account lockouts are exactly that denial of service).
 * Distributed guessing against one account is slowed by argon2's cost per attempt and stopped
 * by TOTP; the audit log shows it.
 */
export class AuthService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #jwt: JwtCodec;
  readonly #users: UsersService;
  readonly #keys: KeysService;
  readonly #options: AuthServiceOptions;
  readonly #accountAddress: AttemptLimiter;
  readonly #address: AttemptLimiter;

  constructor(
    ctx: KitContext,
    audit: AuditService,
    jwt: JwtCodec,
    users: UsersService,
    keys: KeysService,
    options: AuthServiceOptions,
  ) {
    this.#ctx = ctx;
    this.#audit = audit;
    this.#jwt = jwt;
    this.#users = users;
    this.#keys = keys;
    this.#options = options;
    this.#accountAddress = new AttemptLimiter(
      'gc-login-account-address',
      options.accountAddressLimit,
      'sign-ins',
    );
    this.#address = new AttemptLimiter('gc-login-address', options.addressLimit, 'sign-ins');
  }

  /** Throws GC_ERR_RATE_LIMITED (retryAfterSeconds), GC_ERR_UNAUTHENTICATED or GC_ERR_TOTP_REQUIRED. */
  async login(input: LoginInput): Promise<LoginResult> {
    const correlationId = input.correlationId ?? randomUUID();
    const email = normalizeEmail(input.email);
    const ip = input.remoteAddress;
    const accountKey = `${email}|${ip}`;
    await this.#accountAddress.check(accountKey, correlationId);
    await this.#address.check(ip, correlationId);
    const fail = async (
      reason: string,
      userId?: string,
      code: ServerKitErrorCode = ServerKitErrorCode.Unauthenticated,
      message = WRONG,
    ) => {
      await this.#accountAddress.fail(accountKey);
      await this.#address.fail(ip);
      await this.#audit.record({
        type: 'auth.login',
        actor: `anonymous@${ip}`,
        target: userId ? `user:${userId}` : `email:${email}`,
        outcome: 'failure',
        correlationId,
        detail: { reason },
      });
      return new ServerKitError(code, message, { correlationId });
    };
    const [row] = await this.#ctx.db.select().from(users).where(eq(users.email, email));
    if (row === undefined) {
      await burnPasswordCheck(input.password ?? '');
      throw await fail('unknown account');
    }
    if (!(await verifyPassword(row.passwordHash, input.password ?? '')))
      throw await fail('wrong password', row.id);
    if (row.disabled)
      throw await fail(
        'account disabled',
        row.id,
        ServerKitErrorCode.Unauthenticated,
        'This account is disabled',
      );
    if (row.totpEnabled && row.totpSecret !== null) {
      if (input.totpCode === undefined || input.totpCode === '') {
        throw new ServerKitError(ServerKitErrorCode.TotpRequired, 'A one-time code is required', {
          correlationId,
        });
      }
      if (!(await this.#acceptTotp(row, row.totpSecret, input.totpCode))) {
        throw await fail(
          'wrong or replayed one-time code',
          row.id,
          ServerKitErrorCode.TotpRequired,
          'The one-time code is wrong or was already used',
        );
      }
    }
    await this.#accountAddress.reset(accountKey);
    const [updated] = await this.#ctx.db
      .update(users)
      .set({ lastLoginAt: this.#ctx.clock.now() })
      .where(eq(users.id, row.id))
      .returning();
    const { token, expiresAt } = await this.#sign(updated!);
    await this.#audit.record({
      type: 'auth.login',
      actor: `user:${row.id}`,
      target: `user:${row.id}`,
      outcome: 'success',
      correlationId,
      detail: { remoteAddress: ip },
    });
    return { token, expiresAt, user: toUserView(updated!) };
  }

  #sign(row: UserRow): Promise<{ token: string; expiresAt: Date }> {
    return this.#jwt.sign(
      { ver: row.tokenVersion },
      { audience: OPERATOR_AUDIENCE, subject: row.id, ttlSeconds: this.#options.operatorTokenTtlSeconds },
    );
  }

  /** Accepts a code only for a step later than the last accepted one (no replay), atomically. */
  async #acceptTotp(row: UserRow, secret: string, code: string): Promise<boolean> {
    const step = totpStep(secret, code, this.#ctx.clock.now());
    if (step === undefined) return false;
    const accepted = await this.#ctx.db
      .update(users)
      .set({ totpLastStep: step })
      .where(and(eq(users.id, row.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
      .returning({ id: users.id });
    return accepted.length === 1;
  }

  /**
   * Resolves a bearer credential: an operator JWT, an API token (`gat_…`) or an integration key
   * (`gik_…`). Throws GC_ERR_UNAUTHENTICATED for anything expired, revoked, logged out or unknown.
   */
  async authenticate(bearer: string, correlationId: string = randomUUID()): Promise<Principal> {
    const refuse = (message = 'Not signed in') =>
      new ServerKitError(ServerKitErrorCode.Unauthenticated, message, { correlationId });
    if (typeof bearer !== 'string' || bearer === '') throw refuse();
    if (bearer.startsWith(SecretPrefix.IntegrationKey)) {
      const key = await this.#keys.findIntegrationKey(bearer);
      if (key === undefined) throw refuse('The integration key is not valid');
      return { kind: 'integration', integrationId: key.integrationId, keyId: key.keyId };
    }
    if (bearer.startsWith(SecretPrefix.ApiToken)) {
      const token = await this.#keys.findApiToken(bearer);
      const row = token === undefined ? undefined : await this.#users.getRow(token.userId);
      if (row === undefined || row.disabled) throw refuse('The API token is not valid');
      return { kind: 'user', userId: row.id, email: row.email, role: row.role as Role, via: 'api-token' };
    }
    const payload = await this.#jwt.verify(bearer, OPERATOR_AUDIENCE, correlationId);
    const row = typeof payload.sub === 'string' ? await this.#users.getRow(payload.sub) : undefined;
    if (row === undefined || row.disabled || payload.ver !== row.tokenVersion)
      throw refuse('The session was signed out');
    return { kind: 'user', userId: row.id, email: row.email, role: row.role as Role, via: 'jwt' };
  }

  /** Revokes every token of the caller (all devices) at once. */
  async logout(caller: Caller): Promise<void> {
    if (caller.principal.kind !== 'user') return;
    await this.#bumpVersion(caller.principal.userId);
    await this.#audit.record({
      type: 'auth.logout',
      actor: actorOf(caller.principal),
      target: actorOf(caller.principal),
      outcome: 'success',
      ...withCorrelation(caller),
    });
  }

  async #bumpVersion(userId: string): Promise<UserRow> {
    const [row] = await this.#ctx.db
      .update(users)
      .set({ tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(eq(users.id, userId))
      .returning();
    if (row === undefined) throw new ServerKitError(ServerKitErrorCode.NotFound, 'User not found');
    return row;
  }

  /** Changes the caller's password; every earlier token is revoked and a fresh one returned. */
  async changePassword(
    caller: Caller,
    input: { currentPassword: string; newPassword: string },
  ): Promise<{ token: string; expiresAt: Date }> {
    if (caller.principal.kind !== 'user')
      throw new ServerKitError(
        ServerKitErrorCode.PermissionDenied,
        'Only users have passwords',
        withCorrelation(caller),
      );
    const userId = caller.principal.userId;
    const key = `${caller.principal.email}|${caller.remoteAddress ?? ''}`;
    await this.#accountAddress.check(key, caller.correlationId);
    const row = await this.#users.getRow(userId);
    if (row === undefined || !(await verifyPassword(row.passwordHash, input.currentPassword ?? ''))) {
      await this.#accountAddress.fail(key);
      await this.#audit.record({
        type: 'auth.password-changed',
        actor: actorOf(caller.principal),
        target: actorOf(caller.principal),
        outcome: 'failure',
        ...withCorrelation(caller),
        detail: { reason: 'wrong current password' },
      });
      throw new ServerKitError(
        ServerKitErrorCode.Unauthenticated,
        'The current password is wrong',
        withCorrelation(caller),
      );
    }
    checkPasswordPolicy(input.newPassword);
    const passwordHash = await hashPassword(input.newPassword);
    const [updated] = await this.#ctx.db
      .update(users)
      .set({ passwordHash, tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(eq(users.id, userId))
      .returning();
    await this.#audit.record({
      type: 'auth.password-changed',
      actor: actorOf(caller.principal),
      target: actorOf(caller.principal),
      outcome: 'success',
      ...withCorrelation(caller),
    });
    return this.#sign(updated!);
  }

  /** Starts TOTP enrolment: returns the otpauth URI to scan; `confirmTotp` turns it on. */
  async beginTotp(caller: Caller): Promise<{ otpauthUri: string }> {
    if (caller.principal.kind !== 'user')
      throw new ServerKitError(
        ServerKitErrorCode.PermissionDenied,
        'Only users have TOTP',
        withCorrelation(caller),
      );
    const secret = newTotpSecret();
    await this.#ctx.db
      .update(users)
      .set({ totpPendingSecret: secret })
      .where(eq(users.id, caller.principal.userId));
    return { otpauthUri: totpUri(secret, caller.principal.email, this.#options.totpIssuer) };
  }

  /** Turns TOTP on when `code` matches the pending secret; existing tokens are revoked. */
  async confirmTotp(caller: Caller, code: string): Promise<void> {
    if (caller.principal.kind !== 'user')
      throw new ServerKitError(
        ServerKitErrorCode.PermissionDenied,
        'Only users have TOTP',
        withCorrelation(caller),
      );
    const row = await this.#users.getRow(caller.principal.userId);
    const pending = row?.totpPendingSecret;
    if (
      row === undefined ||
      pending === null ||
      pending === undefined ||
      !(await this.#acceptTotp(row, pending, code))
    ) {
      throw new ServerKitError(
        ServerKitErrorCode.InvalidArgument,
        'The one-time code does not match',
        withCorrelation(caller),
      );
    }
    await this.#ctx.db
      .update(users)
      .set({
        totpSecret: pending,
        totpPendingSecret: null,
        totpEnabled: true,
        tokenVersion: sql`${users.tokenVersion} + 1`,
      })
      .where(eq(users.id, row.id));
    await this.#audit.record({
      type: 'auth.totp-enabled',
      actor: actorOf(caller.principal),
      target: actorOf(caller.principal),
      outcome: 'success',
      ...withCorrelation(caller),
    });
  }
}
