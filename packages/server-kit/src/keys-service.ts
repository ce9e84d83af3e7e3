import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { AuditService } from './audit-service.js';
import { agentKeys, apiTokens, enrollmentKeys, integrationKeys, machines } from './db/schema.js';
import {
  agentKeyInfo,
  apiTokenInfo,
  type CreatedKey,
  enrollmentKeyInfo,
  integrationKeyInfo,
  type KeyInfo,
  type KeyKind,
  mintSecret,
} from './key-info.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { invalid, notFound, requireRight, withCorrelation } from './require-right.js';
import { fingerprintSecret, hashSecret, hasSecretShape, SecretPrefix } from './secret-codec.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { isUuid } from './users-service.js';

/** The integration that owns devices provisioned with the bootstrap key. */
export const BOOTSTRAP_INTEGRATION_ID = '00000000-0000-4000-8000-0000000000b0';

export type { CreatedKey, KeyInfo, KeyKind } from './key-info.js';

export interface AgentKeyRevokedEvent {
  keyId: string;
  machineId: string;
  correlationId: string;
}
export type AgentKeyRevokedListener = (event: AgentKeyRevokedEvent) => void;

/**
 * Long-lived secrets: agent keys (`cak_`), API tokens (`gat_`), integration keys (`gik_`) and
 * enrollment keys (`gek_`). Each is 192 random bits, stored only as a SHA-256 hash, shown once,
 * revocable. Revoking an agent key tells every `onAgentKeyRevoked` listener, which the server wires
 * to `relay.disconnectAgent` so the live socket closes at once.
 */
export class KeysService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #listeners = new Set<AgentKeyRevokedListener>();

  constructor(ctx: KitContext, audit: AuditService) {
    this.#ctx = ctx;
    this.#audit = audit;
  }

  /** Subscribes to agent-key revocations; returns the unsubscribe function. */
  onAgentKeyRevoked(listener: AgentKeyRevokedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells the listeners; a throwing listener is logged and does not stop the others. */
  notifyAgentKeyRevoked(event: AgentKeyRevokedEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#ctx.logger.error({
          msg: 'agent key revocation listener failed',
          keyId: event.keyId,
          correlationId: event.correlationId,
          error: err,
        });
      }
    }
  }

  /**
   * A new agent key for a machine, replacing (revoking) the machine's previous keys: one machine,
   * one live key. Needs `key.create` on the machine.
   */
  async createAgentKey(caller: Caller, input: { machineId: string; name?: string }): Promise<CreatedKey> {
    const machine = isUuid(input.machineId)
      ? (await this.#ctx.db.select().from(machines).where(eq(machines.id, input.machineId)))[0]
      : undefined;
    requireRight(caller, 'key.create', { ownerIntegrationId: machine?.ownerIntegrationId ?? null });
    if (machine === undefined) throw notFound(caller, 'Machine');
    return this.issueAgentKey(machine.id, actorOf(caller.principal), input.name ?? '', caller.correlationId);
  }

  /** Internal: revoke the machine's keys, mint a new one, tell listeners, audit. */
  async issueAgentKey(
    machineId: string,
    actor: string,
    name: string,
    correlationId?: string,
  ): Promise<CreatedKey> {
    const minted = mintSecret(SecretPrefix.AgentKey);
    const now = this.#ctx.clock.now();
    const { row, revoked } = await this.#ctx.db.transaction(async (tx) => {
      const revokedRows = await tx
        .update(agentKeys)
        .set({ revokedAt: now })
        .where(and(eq(agentKeys.machineId, machineId), isNull(agentKeys.revokedAt)))
        .returning({ id: agentKeys.id });
      const [inserted] = await tx
        .insert(agentKeys)
        .values({
          machineId,
          name,
          secretHash: minted.secretHash,
          fingerprint: minted.fingerprint,
          createdBy: actor,
        })
        .returning();
      return { row: inserted!, revoked: revokedRows };
    });
    for (const old of revoked) {
      const event = { keyId: old.id, machineId, correlationId: correlationId ?? randomUUID() };
      await this.#audit.record({
        type: 'key.revoked',
        actor,
        target: `agent-key:${old.id}`,
        outcome: 'success',
        correlationId: event.correlationId,
        detail: { machineId, replaced: true },
      });
      this.notifyAgentKeyRevoked(event);
    }
    await this.#audit.record({
      type: 'key.created',
      actor,
      target: `agent-key:${row.id}`,
      outcome: 'success',
      ...(correlationId === undefined ? {} : { correlationId }),
      detail: { kind: 'agent', machineId, fingerprint: row.fingerprint },
    });
    return { key: agentKeyInfo(row), secret: minted.secret };
  }

  /** An API token acting as `userId` (default: the caller). Technicians may only create their own. */
  async createApiToken(caller: Caller, input: { name?: string; userId?: string }): Promise<CreatedKey> {
    if (caller.principal.kind !== 'user')
      throw new ServerKitError(
        ServerKitErrorCode.PermissionDenied,
        'Only users own API tokens',
        withCorrelation(caller),
      );
    const userId = input.userId ?? caller.principal.userId;
    requireRight(caller, userId === caller.principal.userId ? 'api-token.create-own' : 'key.create');
    if (!isUuid(userId)) throw invalid(caller, 'Invalid user id');
    const minted = mintSecret(SecretPrefix.ApiToken);
    const [row] = await this.#ctx.db
      .insert(apiTokens)
      .values({
        userId,
        name: input.name ?? '',
        secretHash: minted.secretHash,
        fingerprint: minted.fingerprint,
        createdBy: actorOf(caller.principal),
      })
      .returning();
    await this.#created(caller, 'api-token', row!.id, row!.fingerprint);
    return { key: apiTokenInfo(row!), secret: minted.secret };
  }

  /** An integration key; pass `integrationId` to add a second key (rotation) to an existing integration. */
  async createIntegrationKey(
    caller: Caller,
    input: { name?: string; integrationId?: string },
  ): Promise<CreatedKey> {
    requireRight(caller, 'key.create');
    if (caller.principal.kind !== 'user')
      throw new ServerKitError(
        ServerKitErrorCode.PermissionDenied,
        'Not allowed: key.create',
        withCorrelation(caller),
      );
    if (input.integrationId !== undefined && !isUuid(input.integrationId))
      throw invalid(caller, 'Invalid integration id');
    const minted = mintSecret(SecretPrefix.IntegrationKey);
    const [row] = await this.#ctx.db
      .insert(integrationKeys)
      .values({
        integrationId: input.integrationId ?? randomUUID(),
        name: input.name ?? '',
        secretHash: minted.secretHash,
        fingerprint: minted.fingerprint,
        createdBy: actorOf(caller.principal),
      })
      .returning();
    await this.#created(caller, 'integration', row!.id, row!.fingerprint);
    return { key: integrationKeyInfo(row!), secret: minted.secret };
  }

  /**
   * Registers an operator-supplied integration key (the server's `GC_INTEGRATION_KEY`) so an RMM can
   * be wired up before anyone signs in. Idempotent: a key already stored (even revoked — an admin's
   * revocation wins over the environment) is left as it is. Returns whether it is usable.
   */
  async ensureBootstrapIntegrationKey(secret: string): Promise<{ keyId: string; usable: boolean }> {
    if (!hasSecretShape(secret, SecretPrefix.IntegrationKey))
      throw invalid(undefined, 'The bootstrap integration key must be gik_ followed by 33 letters or digits');
    const secretHash = hashSecret(secret);
    await this.#ctx.db
      .insert(integrationKeys)
      .values({
        integrationId: BOOTSTRAP_INTEGRATION_ID,
        name: 'bootstrap (GC_INTEGRATION_KEY)',
        secretHash,
        fingerprint: fingerprintSecret(secret),
        createdBy: 'system',
      })
      .onConflictDoNothing({ target: integrationKeys.secretHash });
    const [row] = await this.#ctx.db
      .select()
      .from(integrationKeys)
      .where(eq(integrationKeys.secretHash, secretHash));
    return { keyId: row!.id, usable: row!.revokedAt === null };
  }

  /** A site enrollment key: machines enrolling with it join that company and site. */
  async createEnrollmentKey(
    caller: Caller,
    input: { name?: string; company?: string; site?: string },
  ): Promise<CreatedKey> {
    requireRight(caller, 'key.create');
    if (caller.principal.kind !== 'user')
      throw new ServerKitError(
        ServerKitErrorCode.PermissionDenied,
        'Not allowed: key.create',
        withCorrelation(caller),
      );
    const minted = mintSecret(SecretPrefix.EnrollmentKey);
    const [row] = await this.#ctx.db
      .insert(enrollmentKeys)
      .values({
        name: input.name ?? '',
        company: input.company ?? '',
        site: input.site ?? '',
        secretHash: minted.secretHash,
        fingerprint: minted.fingerprint,
        createdBy: actorOf(caller.principal),
      })
      .returning();
    await this.#created(caller, 'enrollment', row!.id, row!.fingerprint);
    return { key: enrollmentKeyInfo(row!), secret: minted.secret };
  }

  async #created(caller: Caller, kind: KeyKind, keyId: string, fingerprint: string): Promise<void> {
    await this.#audit.record({
      type: 'key.created',
      actor: actorOf(caller.principal),
      target: `${kind}-key:${keyId}`,
      outcome: 'success',
      ...withCorrelation(caller),
      detail: { kind, fingerprint },
    });
  }

  /** Every key of a kind (default: all kinds), newest first. Admins only. */
  async list(caller: Caller, filter: { kind?: KeyKind; includeRevoked?: boolean } = {}): Promise<KeyInfo[]> {
    requireRight(caller, 'key.list');
    const want = (kind: KeyKind) => filter.kind === undefined || filter.kind === kind;
    const live = <T extends { revokedAt: Date | null }>(rows: T[]) =>
      filter.includeRevoked ? rows : rows.filter((r) => r.revokedAt === null);
    const db = this.#ctx.db;
    const out: KeyInfo[] = [];
    if (want('agent'))
      out.push(
        ...live(await db.select().from(agentKeys).orderBy(desc(agentKeys.createdAt))).map(agentKeyInfo),
      );
    if (want('api-token'))
      out.push(
        ...live(await db.select().from(apiTokens).orderBy(desc(apiTokens.createdAt))).map(apiTokenInfo),
      );
    if (want('integration'))
      out.push(
        ...live(await db.select().from(integrationKeys).orderBy(desc(integrationKeys.createdAt))).map(
          integrationKeyInfo,
        ),
      );
    if (want('enrollment'))
      out.push(
        ...live(await db.select().from(enrollmentKeys).orderBy(desc(enrollmentKeys.createdAt))).map(
          enrollmentKeyInfo,
        ),
      );
    return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  /**
   * Revokes a key of any kind by id. Idempotent: revoking a revoked key returns it unchanged. An
   * agent key's listeners fire, so its live socket closes within the relay's reaction time.
   * Integrations may revoke agent keys of their own machines only.
   */
  async revoke(caller: Caller, keyId: string): Promise<KeyInfo> {
    if (!isUuid(keyId)) throw notFound(caller, 'Key');
    const now = this.#ctx.clock.now();
    const db = this.#ctx.db;
    const actor = actorOf(caller.principal);
    const correlationId = caller.correlationId ?? randomUUID();
    const audit = (kind: KeyKind, detail: Record<string, string> = {}) =>
      this.#audit.record({
        type: 'key.revoked',
        actor,
        target: `${kind}-key:${keyId}`,
        outcome: 'success',
        correlationId,
        detail,
      });

    const agent = (
      await db
        .select({ key: agentKeys, owner: machines.ownerIntegrationId })
        .from(agentKeys)
        .innerJoin(machines, eq(machines.id, agentKeys.machineId))
        .where(eq(agentKeys.id, keyId))
    )[0];
    if (agent !== undefined) {
      requireRight(caller, 'key.revoke', { ownerIntegrationId: agent.owner });
      if (agent.key.revokedAt !== null) return agentKeyInfo(agent.key);
      const [row] = await db
        .update(agentKeys)
        .set({ revokedAt: now })
        .where(eq(agentKeys.id, keyId))
        .returning();
      await audit('agent', { machineId: row!.machineId });
      this.notifyAgentKeyRevoked({ keyId, machineId: row!.machineId, correlationId });
      return agentKeyInfo(row!);
    }
    requireRight(caller, 'key.revoke');
    if (caller.principal.kind !== 'user') throw notFound(caller, 'Key');
    const setRevoked = { revokedAt: sql`coalesce(revoked_at, ${now})` };
    const [api] = await db.update(apiTokens).set(setRevoked).where(eq(apiTokens.id, keyId)).returning();
    if (api !== undefined) return audit('api-token').then(() => apiTokenInfo(api));
    const [integration] = await db
      .update(integrationKeys)
      .set(setRevoked)
      .where(eq(integrationKeys.id, keyId))
      .returning();
    if (integration !== undefined) return audit('integration').then(() => integrationKeyInfo(integration));
    const [enrollment] = await db
      .update(enrollmentKeys)
      .set(setRevoked)
      .where(eq(enrollmentKeys.id, keyId))
      .returning();
    if (enrollment !== undefined) return audit('enrollment').then(() => enrollmentKeyInfo(enrollment));
    throw notFound(caller, 'Key');
  }

  /** Live agent key row for a presented secret, or undefined (unknown or revoked → `revoked: true`). */
  async findAgentKey(
    secret: string,
  ): Promise<{ row: typeof agentKeys.$inferSelect; revoked: boolean } | undefined> {
    if (!hasSecretShape(secret, SecretPrefix.AgentKey)) return undefined;
    const [row] = await this.#ctx.db
      .select()
      .from(agentKeys)
      .where(eq(agentKeys.secretHash, hashSecret(secret)));
    if (row === undefined) return undefined;
    if (row.revokedAt === null) {
      await this.#ctx.db
        .update(agentKeys)
        .set({ lastUsedAt: this.#ctx.clock.now() })
        .where(eq(agentKeys.id, row.id));
    }
    return { row, revoked: row.revokedAt !== null };
  }

  /** The user id of a live API token, or undefined. */
  async findApiToken(secret: string): Promise<{ keyId: string; userId: string } | undefined> {
    if (!hasSecretShape(secret, SecretPrefix.ApiToken)) return undefined;
    const [row] = await this.#ctx.db
      .update(apiTokens)
      .set({ lastUsedAt: this.#ctx.clock.now() })
      .where(and(eq(apiTokens.secretHash, hashSecret(secret)), isNull(apiTokens.revokedAt)))
      .returning({ keyId: apiTokens.id, userId: apiTokens.userId });
    return row;
  }

  /** The integration of a live integration key, or undefined. */
  async findIntegrationKey(secret: string): Promise<{ keyId: string; integrationId: string } | undefined> {
    if (!hasSecretShape(secret, SecretPrefix.IntegrationKey)) return undefined;
    const [row] = await this.#ctx.db
      .update(integrationKeys)
      .set({ lastUsedAt: this.#ctx.clock.now() })
      .where(and(eq(integrationKeys.secretHash, hashSecret(secret)), isNull(integrationKeys.revokedAt)))
      .returning({ keyId: integrationKeys.id, integrationId: integrationKeys.integrationId });
    return row;
  }
}
