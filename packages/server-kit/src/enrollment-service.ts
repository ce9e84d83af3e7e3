import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { AuditService } from './audit-service.js';
import { agentKeys, enrollmentKeys, machines } from './db/schema.js';
import { type CreatedKey, enrollmentKeyInfo, type KeyInfo, mintSecret } from './key-info.js';
import type { KeysService } from './keys-service.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { invalid, notFound, requireRight, withCorrelation } from './require-right.js';
import { hashSecret, hasSecretShape, SecretPrefix } from './secret-codec.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { isUuid } from './users-service.js';

export interface EnrollInput {
  enrollmentKey: string;
  /** The agent's stable machine hash (1–128 characters). */
  machineUid: string;
  hostname: string;
  osName?: string;
  agentVersion?: string;
  remoteAddress?: string;
  correlationId?: string;
}

export interface EnrollResult {
  /** The per-machine agent key (`cak_…`), shown once. */
  agentKey: string;
  keyId: string;
  machineId: string;
  site: string;
  company: string;
}

export interface ProvisionInput {
  /** The integrator's device id (1–128 printable characters). */
  deviceId: string;
  displayName?: string;
  company?: string;
  site?: string;
  tags?: string[];
}

export interface RotatedKey extends CreatedKey {
  /** Fingerprint of the key this one replaced (now refused for enrollment). */
  previousFingerprint: string;
}

function checkText(value: unknown, what: string, max: number, min = 0): string {
  if (
    typeof value !== 'string' ||
    value.length < min ||
    value.length > max ||
    [...value].some((c) => c.charCodeAt(0) < 0x20)
  ) {
    throw new ServerKitError(
      ServerKitErrorCode.InvalidArgument,
      `${what} must be ${min}–${max} printable characters`,
    );
  }
  return value;
}

/** How machines get their agent keys: zero-touch enrollment, rotation, integration provisioning. */
export class EnrollmentService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #keys: KeysService;

  constructor(ctx: KitContext, audit: AuditService, keys: KeysService) {
    this.#ctx = ctx;
    this.#audit = audit;
    this.#keys = keys;
  }

  /**
   * Trades a live site enrollment key for a per-machine agent key. Re-enrolling the same machine_uid
   * updates that machine (hostname, OS, site) and replaces its key — never a duplicate machine. Note
   * that whoever holds an enrollment key and a machine's uid can re-enroll it: treat enrollment keys
   * as site secrets and rotate them when they leak.
   */
  async enroll(input: EnrollInput): Promise<EnrollResult> {
    const correlationId = input.correlationId ?? randomUUID();
    const machineUid = checkText(input.machineUid, 'machineUid', 128, 1);
    const hostname = checkText(input.hostname ?? '', 'hostname', 253);
    const key = hasSecretShape(input.enrollmentKey ?? '', SecretPrefix.EnrollmentKey)
      ? (
          await this.#ctx.db
            .select()
            .from(enrollmentKeys)
            .where(
              and(
                eq(enrollmentKeys.secretHash, hashSecret(input.enrollmentKey)),
                isNull(enrollmentKeys.revokedAt),
              ),
            )
        )[0]
      : undefined;
    if (key === undefined) {
      await this.#audit.record({
        type: 'machine.enrolled',
        actor: 'anonymous',
        target: `machine-uid:${machineUid}`,
        outcome: 'failure',
        correlationId,
        detail: { reason: 'unknown or revoked enrollment key', remoteAddress: input.remoteAddress },
      });
      throw new ServerKitError(ServerKitErrorCode.Unauthenticated, 'The enrollment key is not valid', {
        correlationId,
      });
    }
    const now = this.#ctx.clock.now();
    const fields = {
      hostname,
      displayName: hostname,
      osName: checkText(input.osName ?? '', 'osName', 128),
      agentVersion: checkText(input.agentVersion ?? '', 'agentVersion', 64),
      company: key.company,
      site: key.site,
    };
    const [machine] = await this.#ctx.db
      .insert(machines)
      .values({ machineUid, kind: 'managed', ...fields })
      .onConflictDoUpdate({
        target: [machines.kind, machines.machineUid],
        targetWhere: sql`machine_uid is not null`,
        set: {
          hostname: fields.hostname,
          osName: fields.osName,
          agentVersion: fields.agentVersion,
          company: fields.company,
          site: fields.site,
        },
      })
      .returning();
    await this.#ctx.db.update(enrollmentKeys).set({ lastUsedAt: now }).where(eq(enrollmentKeys.id, key.id));
    const issued = await this.#keys.issueAgentKey(
      machine!.id,
      `enrollment-key:${key.id}`,
      hostname,
      correlationId,
    );
    await this.#audit.record({
      type: 'machine.enrolled',
      actor: `enrollment-key:${key.id}`,
      target: `machine:${machine!.id}`,
      outcome: 'success',
      correlationId,
      detail: { hostname, site: key.site, company: key.company, remoteAddress: input.remoteAddress },
    });
    return {
      agentKey: issued.secret,
      keyId: issued.key.keyId,
      machineId: machine!.id,
      site: key.site,
      company: key.company,
    };
  }

  /**
   * Replaces an enrollment key: a new secret for the same site and company; the old key stops
   * enrolling at once. Machines already enrolled keep their agent keys.
   */
  async rotateEnrollmentKey(caller: Caller, keyId: string): Promise<RotatedKey> {
    requireRight(caller, 'key.rotate');
    if (!isUuid(keyId)) throw notFound(caller, 'Enrollment key');
    const minted = mintSecret(SecretPrefix.EnrollmentKey);
    const now = this.#ctx.clock.now();
    const actor = actorOf(caller.principal);
    const result = await this.#ctx.db.transaction(async (tx) => {
      const [old] = await tx
        .update(enrollmentKeys)
        .set({ revokedAt: now })
        .where(and(eq(enrollmentKeys.id, keyId), isNull(enrollmentKeys.revokedAt)))
        .returning();
      if (old === undefined) return undefined;
      const [fresh] = await tx
        .insert(enrollmentKeys)
        .values({
          name: old.name,
          company: old.company,
          site: old.site,
          secretHash: minted.secretHash,
          fingerprint: minted.fingerprint,
          createdBy: actor,
        })
        .returning();
      await tx.update(enrollmentKeys).set({ replacedBy: fresh!.id }).where(eq(enrollmentKeys.id, old.id));
      return { old, fresh: fresh! };
    });
    if (result === undefined) {
      throw new ServerKitError(
        ServerKitErrorCode.FailedPrecondition,
        'No live enrollment key with that id',
        withCorrelation(caller),
      );
    }
    await this.#audit.record({
      type: 'key.rotated',
      actor,
      target: `enrollment-key:${result.old.id}`,
      outcome: 'success',
      ...withCorrelation(caller),
      detail: {
        newKeyId: result.fresh.id,
        fingerprint: result.fresh.fingerprint,
        previousFingerprint: result.old.fingerprint,
      },
    });
    return {
      key: enrollmentKeyInfo(result.fresh),
      secret: minted.secret,
      previousFingerprint: result.old.fingerprint,
    };
  }

  /**
   * Integration contract ProvisionAgentKey: creates (or finds) the integration's machine for
   * `deviceId` and gives it a fresh agent key, revoking the previous one.
   */
  async provisionAgentKey(
    caller: Caller,
    input: ProvisionInput,
  ): Promise<EnrollResult & { deviceId: string; key: KeyInfo }> {
    requireRight(caller, 'key.create');
    if (caller.principal.kind !== 'integration')
      throw invalid(caller, 'Only integration keys provision devices');
    const deviceId = checkText(input.deviceId, 'deviceId', 128, 1);
    const owner = caller.principal.integrationId;
    const fields = {
      displayName: checkText(input.displayName ?? '', 'displayName', 200),
      company: checkText(input.company ?? '', 'company', 200),
      site: checkText(input.site ?? '', 'site', 200),
      tags: (input.tags ?? []).map((tag) => checkText(tag, 'tag', 64, 1)),
    };
    const [machine] = await this.#ctx.db
      .insert(machines)
      .values({ deviceId, ownerIntegrationId: owner, kind: 'managed', ...fields })
      .onConflictDoUpdate({
        target: [machines.ownerIntegrationId, machines.deviceId],
        targetWhere: sql`device_id is not null`,
        set: fields,
      })
      .returning();
    const issued = await this.#keys.issueAgentKey(
      machine!.id,
      actorOf(caller.principal),
      deviceId,
      caller.correlationId,
    );
    return {
      agentKey: issued.secret,
      keyId: issued.key.keyId,
      key: issued.key,
      deviceId,
      machineId: machine!.id,
      site: machine!.site,
      company: machine!.company,
    };
  }

  /** Integration contract RevokeAgentKey: revokes the device's live agent keys; returns how many. */
  async revokeDeviceAgentKeys(caller: Caller, deviceId: string): Promise<number> {
    requireRight(caller, 'key.revoke');
    if (caller.principal.kind !== 'integration')
      throw invalid(caller, 'Only integration keys address devices');
    const rows = await this.#ctx.db
      .select({ id: agentKeys.id })
      .from(agentKeys)
      .innerJoin(machines, eq(machines.id, agentKeys.machineId))
      .where(
        and(
          eq(machines.ownerIntegrationId, caller.principal.integrationId),
          eq(machines.deviceId, deviceId),
          isNull(agentKeys.revokedAt),
        ),
      );
    for (const row of rows) await this.#keys.revoke(caller, row.id);
    return rows.length;
  }
}
