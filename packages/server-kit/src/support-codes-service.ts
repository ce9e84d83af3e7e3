import { randomInt, randomUUID } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { type AttemptLimit, AttemptLimiter } from './attempt-limiter.js';
import type { AuditService } from './audit-service.js';
import { isUniqueViolation } from './db/pg-errors.js';
import { machines, sessions, supportCodes } from './db/schema.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { invalid, requireRight, withCorrelation } from './require-right.js';
import { hashSecret } from './secret-codec.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { isUuid } from './users-service.js';

/**
 * Nine digits: 10⁹ codes. With a handful live at once and lookups limited to 10 misses per
 * address per 10 minutes, an attacker needs ~10⁸ addresses to expect one hit in a code's 10-minute
 * life — guessing is hopeless, while the code stays easy to read out over the phone.
 */
export const SUPPORT_CODE_DIGITS = 9;
export const MAX_SUPPORT_CODE_TTL_SECONDS = 600;
export const MIN_SUPPORT_CODE_TTL_SECONDS = 60;

export interface CreateSupportCodeInput {
  /** 60–600; default 600. */
  ttlSeconds?: number;
  /** Bind the code to a known machine: only that machine's agent may redeem it. */
  machineId?: string;
  technicianName?: string;
}

export interface CreatedSupportCode {
  /** Shown once to the technician, who reads it to the end user. */
  code: string;
  sessionId: string;
  expiresAt: Date;
}

export interface RedeemedSupportCode {
  sessionId: string;
  /** Set when the code was bound to a machine. */
  machineId: string | undefined;
  technicianName: string;
}

export interface SupportCodesServiceOptions {
  /** Misses allowed per address before lookups from it are refused. Default 10 per 600 s. */
  missLimit: AttemptLimit;
}

/** Digits only: end users type spaces and dashes. */
export function normalizeSupportCode(code: string): string {
  return typeof code === 'string' ? code.replace(/[\s-]/g, '') : '';
}

/**
 * One-time support codes for attended sessions: single use, ≤ 10 minutes, stored as a SHA-256
 * hash. (A hash of a 9-digit code can be brute-forced offline by whoever reads the table — it keeps
 * live codes out of dumps and logs, it is not a vault; the 10-minute, single-use life is the real
 * protection.) Lookups are rate-limited per address and refused after repeated misses.
 */
export class SupportCodesService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #misses: AttemptLimiter;

  constructor(ctx: KitContext, audit: AuditService, options: SupportCodesServiceOptions) {
    this.#ctx = ctx;
    this.#audit = audit;
    this.#misses = new AttemptLimiter('gc-support-code-miss', options.missLimit, 'support code lookups');
  }

  /** Creates the attended session and its code. Needs `support-code.create`. */
  async create(caller: Caller, input: CreateSupportCodeInput = {}): Promise<CreatedSupportCode> {
    const ttl =
      input.ttlSeconds === undefined || input.ttlSeconds === 0
        ? MAX_SUPPORT_CODE_TTL_SECONDS
        : input.ttlSeconds;
    if (!Number.isInteger(ttl) || ttl < MIN_SUPPORT_CODE_TTL_SECONDS || ttl > MAX_SUPPORT_CODE_TTL_SECONDS) {
      throw invalid(
        caller,
        `ttlSeconds must be ${MIN_SUPPORT_CODE_TTL_SECONDS}–${MAX_SUPPORT_CODE_TTL_SECONDS}`,
      );
    }
    let machine: typeof machines.$inferSelect | undefined;
    if (input.machineId !== undefined && input.machineId !== '') {
      machine = isUuid(input.machineId)
        ? (await this.#ctx.db.select().from(machines).where(eq(machines.id, input.machineId)))[0]
        : undefined;
      requireRight(caller, 'support-code.create', {
        ownerIntegrationId: machine?.ownerIntegrationId ?? null,
      });
      if (machine === undefined)
        throw new ServerKitError(ServerKitErrorCode.NotFound, 'Machine not found', withCorrelation(caller));
    } else {
      requireRight(caller, 'support-code.create');
    }
    const principal = caller.principal;
    const now = this.#ctx.clock.now();
    const expiresAt = new Date(now.getTime() + ttl * 1000);
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = String(randomInt(0, 10 ** SUPPORT_CODE_DIGITS)).padStart(SUPPORT_CODE_DIGITS, '0');
      try {
        const sessionId = await this.#ctx.db.transaction(async (tx) => {
          const [session] = await tx
            .insert(sessions)
            .values({
              machineId: machine?.id ?? null,
              mode: 'attended',
              source: 'support-code',
              state: 'waiting_for_agent',
              ownerIntegrationId:
                principal.kind === 'integration'
                  ? principal.integrationId
                  : (machine?.ownerIntegrationId ?? null),
              createdBy: actorOf(principal),
              technicianName: (
                input.technicianName ?? (principal.kind === 'user' ? principal.email : 'Technician')
              ).slice(0, 200),
              lastActivityAt: now,
            })
            .returning({ id: sessions.id });
          await tx.insert(supportCodes).values({
            codeHash: hashSecret(code),
            sessionId: session!.id,
            createdBy: actorOf(principal),
            expiresAt,
          });
          return session!.id;
        });
        await this.#audit.record({
          type: 'support-code.created',
          actor: actorOf(principal),
          target: `session:${sessionId}`,
          outcome: 'success',
          sessionId,
          ...withCorrelation(caller),
          detail: { ttlSeconds: ttl },
        });
        return { code, sessionId, expiresAt };
      } catch (err) {
        // A collision with a stored code (live or recently used): draw again.
        if (!isUniqueViolation(err)) throw ServerKitError.from(err, caller.correlationId);
      }
    }
    throw new ServerKitError(
      ServerKitErrorCode.Internal,
      'Could not draw a unique support code',
      withCorrelation(caller),
    );
  }

  /**
   * Consumes a code (atomically: two agents racing with the same code, one wins). Refused with
   * GC_ERR_RATE_LIMITED once the address used up its misses, GC_ERR_UNAUTHENTICATED for a wrong,
   * used or expired code.
   */
  async redeem(
    code: string,
    remoteAddress: string,
    correlationId: string = randomUUID(),
  ): Promise<RedeemedSupportCode> {
    await this.#misses.check(remoteAddress, correlationId);
    const digits = normalizeSupportCode(code);
    const now = this.#ctx.clock.now();
    const [row] =
      digits.length === SUPPORT_CODE_DIGITS && /^\d+$/.test(digits)
        ? await this.#ctx.db
            .update(supportCodes)
            .set({ usedAt: now, usedFrom: remoteAddress.slice(0, 64) })
            .where(
              and(
                eq(supportCodes.codeHash, hashSecret(digits)),
                isNull(supportCodes.usedAt),
                gt(supportCodes.expiresAt, now),
              ),
            )
            .returning({ sessionId: supportCodes.sessionId })
        : [];
    const session =
      row === undefined
        ? undefined
        : (await this.#ctx.db.select().from(sessions).where(eq(sessions.id, row.sessionId)))[0];
    if (session === undefined || session.state === 'ended') {
      await this.#misses.fail(remoteAddress);
      await this.#audit.record({
        type: 'support-code.redeem',
        actor: `agent@${remoteAddress}`,
        outcome: 'failure',
        correlationId,
        detail: { reason: row === undefined ? 'unknown, used or expired code' : 'session ended' },
      });
      throw new ServerKitError(ServerKitErrorCode.Unauthenticated, 'The support code is not valid', {
        correlationId,
      });
    }
    await this.#audit.record({
      type: 'support-code.redeem',
      actor: `agent@${remoteAddress}`,
      target: `session:${session.id}`,
      outcome: 'success',
      sessionId: session.id,
      correlationId,
    });
    return {
      sessionId: session.id,
      machineId: session.machineId ?? undefined,
      technicianName: session.technicianName,
    };
  }
}
