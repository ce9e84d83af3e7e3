import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { AuditService } from './audit-service.js';
import { isUniqueViolation } from './db/pg-errors.js';
import { users } from './db/schema.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { checkPasswordPolicy, generatePassword, hashPassword } from './password-hasher.js';
import { invalid, notFound, requireRight, withCorrelation } from './require-right.js';
import { isRole, type Role } from './rights.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';

/** A user as the API may show it: never the password hash or TOTP secret. */
export interface UserView {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  totpEnabled: boolean;
  createdAt: Date;
  lastLoginAt: Date | undefined;
}

export type UserRow = typeof users.$inferSelect;

export function toUserView(row: UserRow): UserView {
  return {
    userId: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role as Role,
    disabled: row.disabled,
    totpEnabled: row.totpEnabled,
    createdAt: row.createdAt,
    lastLoginAt: row.lastLoginAt ?? undefined,
  };
}

/** Trimmed, lower-cased; throws GC_ERR_INVALID_ARGUMENT when it cannot be an address. */
export function normalizeEmail(email: string): string {
  const value = typeof email === 'string' ? email.trim().toLowerCase() : '';
  if (value.length < 3 || value.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw new ServerKitError(ServerKitErrorCode.InvalidArgument, 'Not an e-mail address');
  }
  return value;
}

export interface EnsureFirstAdminOptions {
  email: string;
  /** When omitted a one-time password is generated and returned (print it once, then forget it). */
  password?: string;
  displayName?: string;
}

export type EnsureFirstAdminResult =
  | { created: true; user: UserView; generatedPassword: string | undefined }
  | { created: false };

export interface CreateUserInput {
  email: string;
  displayName?: string;
  role: Role;
  password: string;
}

export interface UpdateUserInput {
  userId: string;
  role?: Role;
  disabled?: boolean;
  displayName?: string;
}

const FIRST_ADMIN_LOCK = 0x6763_6661; // 'gcfa'

export class UsersService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;

  constructor(ctx: KitContext, audit: AuditService) {
    this.#ctx = ctx;
    this.#audit = audit;
  }

  /**
   * Creates the first admin from start-up configuration — only while no admin exists. Race-safe:
   * the insert runs under an advisory lock and a unique partial index allows one bootstrap admin,
   * so any number of concurrent calls on an empty database create exactly one. There is no HTTP
   * route for this on purpose.
   */
  async ensureFirstAdmin(options: EnsureFirstAdminOptions): Promise<EnsureFirstAdminResult> {
    const email = normalizeEmail(options.email);
    if (await this.#adminExists()) return { created: false };
    if (options.password !== undefined) checkPasswordPolicy(options.password);
    const password = options.password ?? generatePassword();
    const passwordHash = await hashPassword(password);
    let row: UserRow | undefined;
    try {
      row = await this.#ctx.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${FIRST_ADMIN_LOCK})`);
        const admins = await tx.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).limit(1);
        if (admins.length > 0) return undefined;
        const inserted = await tx
          .insert(users)
          .values({
            email,
            displayName: options.displayName ?? 'Administrator',
            role: 'admin',
            passwordHash,
            bootstrap: true,
          })
          .returning();
        return inserted[0];
      });
    } catch (err) {
      if (isUniqueViolation(err)) return { created: false };
      throw ServerKitError.from(err);
    }
    if (row === undefined) return { created: false };
    await this.#audit.record({
      type: 'user.first-admin',
      actor: 'system',
      target: `user:${row.id}`,
      outcome: 'success',
    });
    return {
      created: true,
      user: toUserView(row),
      generatedPassword: options.password === undefined ? password : undefined,
    };
  }

  async #adminExists(): Promise<boolean> {
    const rows = await this.#ctx.db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.role, 'admin'))
      .limit(1);
    return rows.length > 0;
  }

  async list(caller: Caller): Promise<UserView[]> {
    requireRight(caller, 'user.list');
    const rows = await this.#ctx.db.select().from(users).orderBy(asc(users.email));
    return rows.map(toUserView);
  }

  /** The caller's own record (any authenticated user). */
  async me(caller: Caller): Promise<UserView> {
    if (caller.principal.kind !== 'user') throw notFound(caller, 'User');
    const row = await this.getRow(caller.principal.userId);
    if (row === undefined) throw notFound(caller, 'User');
    return toUserView(row);
  }

  async getRow(userId: string): Promise<UserRow | undefined> {
    if (!isUuid(userId)) return undefined;
    const rows = await this.#ctx.db.select().from(users).where(eq(users.id, userId));
    return rows[0];
  }

  async create(caller: Caller, input: CreateUserInput): Promise<UserView> {
    requireRight(caller, 'user.create');
    const email = normalizeEmail(input.email);
    if (!isRole(input.role)) throw invalid(caller, 'Unknown role');
    checkPasswordPolicy(input.password);
    const passwordHash = await hashPassword(input.password);
    let row: UserRow;
    try {
      [row] = (await this.#ctx.db
        .insert(users)
        .values({ email, displayName: input.displayName ?? '', role: input.role, passwordHash })
        .returning()) as [UserRow];
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ServerKitError(
          ServerKitErrorCode.AlreadyExists,
          'A user with that e-mail exists',
          withCorrelation(caller),
        );
      }
      throw ServerKitError.from(err, caller.correlationId);
    }
    await this.#audit.record({
      type: 'user.created',
      actor: actorOf(caller.principal),
      target: `user:${row.id}`,
      outcome: 'success',
      ...withCorrelation(caller),
      detail: { role: row.role },
    });
    return toUserView(row);
  }

  /** A role change or disable bumps the token version: the user's existing tokens fail at once. */
  async update(caller: Caller, input: UpdateUserInput): Promise<UserView> {
    requireRight(caller, 'user.update');
    if (input.role !== undefined && !isRole(input.role)) throw invalid(caller, 'Unknown role');
    const current = await this.getRow(input.userId);
    if (current === undefined) throw notFound(caller, 'User');
    const roleChanges = input.role !== undefined && input.role !== current.role;
    const disabling = input.disabled === true && !current.disabled;
    if (current.role === 'admin' && (roleChanges || disabling)) {
      const others = await this.#ctx.db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, 'admin'), eq(users.disabled, false), ne(users.id, current.id)))
        .limit(1);
      if (others.length === 0) {
        throw new ServerKitError(
          ServerKitErrorCode.FailedPrecondition,
          'The last enabled admin cannot be demoted or disabled',
          withCorrelation(caller),
        );
      }
    }
    const revoke = roleChanges || (input.disabled !== undefined && input.disabled !== current.disabled);
    const [row] = (await this.#ctx.db
      .update(users)
      .set({
        ...(input.role === undefined ? {} : { role: input.role }),
        ...(input.disabled === undefined ? {} : { disabled: input.disabled }),
        ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
        ...(revoke ? { tokenVersion: sql`${users.tokenVersion} + 1` } : {}),
      })
      .where(eq(users.id, current.id))
      .returning()) as [UserRow];
    await this.#audit.record({
      type: 'user.updated',
      actor: actorOf(caller.principal),
      target: `user:${row.id}`,
      outcome: 'success',
      ...withCorrelation(caller),
      detail: { role: row.role, disabled: row.disabled, sessionsRevoked: revoke },
    });
    return toUserView(row);
  }
}

export function isUuid(value: string): boolean {
  return (
    typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
  );
}
