import { randomUUID } from 'node:crypto';
import { type AgentHello, CloseReason, SessionMode } from '@guruconnect/protocol';
import type { AgentIdentity, ConnectionContext, HookResult } from '@guruconnect/relay-core';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { AuditService } from './audit-service.js';
import { isUniqueViolation } from './db/pg-errors.js';
import { machines, sessions } from './db/schema.js';
import type { KeysService } from './keys-service.js';
import type { KitContext } from './kit-context.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import type { RedeemedSupportCode, SupportCodesService } from './support-codes-service.js';

type MachineRow = typeof machines.$inferSelect;
type Refusal = { ok: false; reason: CloseReason; message: string };

const clip = (value: string, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');

/**
 * The relay's `authenticateAgent`: an agent key (unattended; bound to one machine — a key
 * presented with another machine_uid is refused) or a support code (attended; single use).
 */
export class AgentAuthenticator {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #keys: KeysService;
  readonly #supportCodes: SupportCodesService;

  constructor(ctx: KitContext, audit: AuditService, keys: KeysService, supportCodes: SupportCodesService) {
    this.#ctx = ctx;
    this.#audit = audit;
    this.#keys = keys;
    this.#supportCodes = supportCodes;
  }

  async authenticate(hello: AgentHello, ctx: ConnectionContext): Promise<HookResult<AgentIdentity>> {
    const correlationId = ctx.correlationId || randomUUID();
    const result =
      hello.credential.case === 'agentKey'
        ? await this.#byKey(hello, hello.credential.value)
        : hello.credential.case === 'supportCode'
          ? await this.#bySupportCode(hello, hello.credential.value, ctx, correlationId)
          : ({
              ok: false,
              reason: CloseReason.UNAUTHORIZED,
              message: 'No credential in the hello',
            } as Refusal);
    await this.#audit.record({
      type: 'agent.authenticate',
      actor: result.ok ? `agent:${result.value.machineId}` : `agent@${ctx.remoteAddress}`,
      target: result.ok ? `machine:${result.value.machineId}` : `machine-uid:${clip(hello.machineUid, 128)}`,
      outcome: result.ok ? 'success' : 'failure',
      correlationId,
      ...(result.ok && result.value.sessionId !== undefined ? { sessionId: result.value.sessionId } : {}),
      detail: {
        credential: hello.credential.case ?? 'none',
        remoteAddress: ctx.remoteAddress,
        ...(result.ok ? { keyId: result.value.keyId } : { reason: result.message }),
      },
    });
    return result;
  }

  async #byKey(hello: AgentHello, secret: string): Promise<HookResult<AgentIdentity>> {
    const found = await this.#keys.findAgentKey(secret);
    if (found === undefined)
      return { ok: false, reason: CloseReason.UNAUTHORIZED, message: 'Unknown agent key' };
    if (found.revoked)
      return { ok: false, reason: CloseReason.KEY_REVOKED, message: 'The agent key was revoked' };
    const [machine] = await this.#ctx.db.select().from(machines).where(eq(machines.id, found.row.machineId));
    if (machine === undefined)
      return { ok: false, reason: CloseReason.UNAUTHORIZED, message: 'Unknown agent key' };
    const bound = await this.#bindIdentity(machine, hello);
    if (!bound.ok) return bound;
    return {
      ok: true,
      value: {
        machineId: machine.id,
        machineName: bound.value.displayName || bound.value.hostname,
        keyId: found.row.id,
        mode: SessionMode.UNATTENDED,
      },
    };
  }

  /**
   * Checks the hello's machine_uid against the machine the credential belongs to; binds it on the
   * first connection of a machine provisioned before it ever connected.
   */
  async #bindIdentity(machine: MachineRow, hello: AgentHello): Promise<HookResult<MachineRow>> {
    const uid = clip(hello.machineUid, 128);
    if (uid === '')
      return { ok: false, reason: CloseReason.UNAUTHORIZED, message: 'The hello carries no machine_uid' };
    const hostname = clip(hello.hostname, 253);
    const agentVersion = clip(hello.agentVersion, 64);
    if (machine.machineUid !== null && machine.machineUid !== uid) {
      return {
        ok: false,
        reason: CloseReason.UNAUTHORIZED,
        message: 'The credential belongs to another machine',
      };
    }
    try {
      const [row] = await this.#ctx.db
        .update(machines)
        .set({
          machineUid: uid,
          ...(hostname ? { hostname } : {}),
          ...(agentVersion ? { agentVersion } : {}),
        })
        .where(
          and(
            eq(machines.id, machine.id),
            sql`(${machines.machineUid} is null or ${machines.machineUid} = ${uid})`,
          ),
        )
        .returning();
      if (row === undefined)
        return {
          ok: false,
          reason: CloseReason.UNAUTHORIZED,
          message: 'The credential belongs to another machine',
        };
      return { ok: true, value: row };
    } catch (err) {
      if (isUniqueViolation(err))
        return {
          ok: false,
          reason: CloseReason.UNAUTHORIZED,
          message: 'Another machine already has this machine_uid',
        };
      throw err;
    }
  }

  async #bySupportCode(
    hello: AgentHello,
    code: string,
    ctx: ConnectionContext,
    correlationId: string,
  ): Promise<HookResult<AgentIdentity>> {
    let redeemed: RedeemedSupportCode;
    try {
      redeemed = await this.#supportCodes.redeem(code, ctx.remoteAddress, correlationId);
    } catch (err) {
      if (err instanceof ServerKitError && err.code === ServerKitErrorCode.RateLimited) {
        return {
          ok: false,
          reason: CloseReason.RATE_LIMITED,
          message: 'Too many wrong support codes; try again later',
        };
      }
      if (err instanceof ServerKitError && err.code === ServerKitErrorCode.Unauthenticated) {
        return { ok: false, reason: CloseReason.UNAUTHORIZED, message: 'The support code is not valid' };
      }
      throw err;
    }
    let machine: MachineRow | undefined;
    if (redeemed.machineId !== undefined) {
      const [row] = await this.#ctx.db.select().from(machines).where(eq(machines.id, redeemed.machineId));
      if (row === undefined)
        return { ok: false, reason: CloseReason.SESSION_NOT_FOUND, message: 'The machine was removed' };
      const bound = await this.#bindIdentity(row, hello);
      if (!bound.ok) return bound;
      machine = bound.value;
    } else {
      // A one-off attended agent gets a 'support' machine, kept apart from managed machines so a
      // support-code holder can never speak for (or replace the socket of) an enrolled machine.
      const uid = clip(hello.machineUid, 128) || `anonymous-${randomUUID()}`;
      const hostname = clip(hello.hostname, 253);
      [machine] = await this.#ctx.db
        .insert(machines)
        .values({
          kind: 'support',
          machineUid: uid,
          hostname,
          displayName: hostname,
          agentVersion: clip(hello.agentVersion, 64),
        })
        .onConflictDoUpdate({
          target: [machines.kind, machines.machineUid],
          targetWhere: sql`machine_uid is not null`,
          set: { hostname, displayName: hostname },
        })
        .returning();
      await this.#ctx.db
        .update(sessions)
        .set({ machineId: machine!.id })
        .where(and(eq(sessions.id, redeemed.sessionId), isNull(sessions.machineId)));
    }
    return {
      ok: true,
      value: {
        machineId: machine!.id,
        machineName: machine!.displayName || machine!.hostname,
        sessionId: redeemed.sessionId,
        mode: SessionMode.ATTENDED,
      },
    };
  }
}
