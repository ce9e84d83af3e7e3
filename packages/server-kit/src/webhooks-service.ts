import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { AuditService } from './audit-service.js';
import { machines, sessions, webhookDeliveries, webhooks } from './db/schema.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { invalid, notFound, withCorrelation } from './require-right.js';
import { generateSecret, SecretPrefix } from './secret-codec.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { isUuid } from './users-service.js';
import { isWebhookEventType, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events.js';

/** Longest accepted webhook URL, characters. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** Live (not deleted) webhooks one integration may have. */
export const MAX_WEBHOOKS_PER_INTEGRATION = 20;
/** Largest serialized `data` object of one event, bytes. */
export const MAX_WEBHOOK_DATA_BYTES = 65_536;

/** Serializes registrations of one integration (the 20-webhook limit); any constant works. */
const REGISTER_LOCK_KEY = 0x6777_6868; // 'gwhh'

/** A webhook as the API shows it: never its secret. */
export interface WebhookView {
  webhookId: string;
  integrationId: string;
  url: string;
  /** Empty means every event type. */
  eventTypes: WebhookEventType[];
  createdAt: Date;
}

export interface RegisterWebhookInput {
  /** http(s) URL, at most 2048 characters, no user:password part. */
  url: string;
  /** Types to deliver (see WEBHOOK_EVENT_TYPES); omitted or empty means every type. */
  eventTypes?: readonly string[];
}

/** Returned once, at registration: the only time the signing secret leaves the server. */
export interface RegisteredWebhook {
  webhook: WebhookView;
  /** `gwh_…`, 192 random bits: the HMAC-SHA256 key of every delivery's signature. */
  signingSecret: string;
}

export interface EmitWebhookEventInput {
  /** Whose webhooks receive it. */
  integrationId: string;
  type: WebhookEventType;
  /** The session it concerns, if any (the body's `sessionId`, else null). */
  sessionId?: string;
  /** The body's `data`: a JSON object, at most 64 KiB serialized. */
  data: Record<string, unknown>;
  /** Default: now (the kit's clock). */
  occurredAt?: Date;
}

type WebhookRow = typeof webhooks.$inferSelect;

function toView(row: WebhookRow): WebhookView {
  return {
    webhookId: row.id,
    integrationId: row.integrationId,
    url: row.url,
    eventTypes: row.eventTypes.filter(isWebhookEventType),
    createdAt: row.createdAt,
  };
}

/**
 * Outbound webhooks of integrations: registration (integration keys only, each sees and deletes its
 * own) and the durable outbox. `emit` writes one delivery per matching webhook in one transaction;
 * the delivery worker (webhook-delivery-worker.ts) sends them, signed, in order, with retries.
 */
export class WebhooksService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #enqueued = new Set<() => void>();

  constructor(ctx: KitContext, audit: AuditService) {
    this.#ctx = ctx;
    this.#audit = audit;
  }

  /** Registers a webhook for the calling integration. The signing secret is returned only here. */
  async register(caller: Caller, input: RegisterWebhookInput): Promise<RegisteredWebhook> {
    const integrationId = this.#integrationOf(caller);
    const url = checkUrl(caller, input.url);
    const eventTypes = checkEventTypes(caller, input.eventTypes ?? []);
    const signingSecret = generateSecret(SecretPrefix.WebhookSecret);
    const row = await this.#ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${REGISTER_LOCK_KEY}, hashtext(${integrationId}))`);
      const [counted] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(webhooks)
        .where(and(eq(webhooks.integrationId, integrationId), isNull(webhooks.deletedAt)));
      if ((counted?.n ?? 0) >= MAX_WEBHOOKS_PER_INTEGRATION) {
        throw new ServerKitError(
          ServerKitErrorCode.FailedPrecondition,
          `An integration may have at most ${MAX_WEBHOOKS_PER_INTEGRATION} webhooks`,
          withCorrelation(caller),
        );
      }
      const [inserted] = await tx
        .insert(webhooks)
        .values({
          integrationId,
          url,
          eventTypes,
          secret: signingSecret,
          createdBy: actorOf(caller.principal),
          createdAt: this.#ctx.clock.now(),
        })
        .returning();
      return inserted!;
    });
    await this.#audit.record({
      type: 'webhook.registered',
      actor: actorOf(caller.principal),
      target: `webhook:${row.id}`,
      outcome: 'success',
      ...withCorrelation(caller),
      // The origin only: receivers often put a token in the path or query.
      detail: { origin: new URL(url).origin, eventTypes: eventTypes.join(',') || '*' },
    });
    return { webhook: toView(row), signingSecret };
  }

  /** The calling integration's live webhooks, newest first. */
  async list(caller: Caller): Promise<WebhookView[]> {
    const integrationId = this.#integrationOf(caller);
    const rows = await this.#ctx.db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.integrationId, integrationId), isNull(webhooks.deletedAt)))
      .orderBy(desc(webhooks.createdAt), desc(webhooks.id));
    return rows.map(toView);
  }

  /**
   * Deletes one of the caller's webhooks: its secret is erased and its undelivered deliveries are
   * marked failed ('webhook deleted'), so nothing more is sent (an attempt already in flight
   * finishes). Another integration's webhook, or a deleted one, is GC_ERR_NOT_FOUND.
   */
  async delete(caller: Caller, webhookId: string): Promise<void> {
    const integrationId = this.#integrationOf(caller);
    if (!isUuid(webhookId)) throw notFound(caller, 'Webhook');
    const now = this.#ctx.clock.now();
    const deleted = await this.#ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .update(webhooks)
        .set({ deletedAt: now, secret: '' })
        .where(
          and(
            eq(webhooks.id, webhookId),
            eq(webhooks.integrationId, integrationId),
            isNull(webhooks.deletedAt),
          ),
        )
        .returning({ id: webhooks.id });
      if (row === undefined) return undefined;
      const cancelled = await tx
        .update(webhookDeliveries)
        .set({ failedAt: now, lastError: 'webhook deleted', leaseUntil: null, leaseToken: null })
        .where(
          and(
            eq(webhookDeliveries.webhookId, webhookId),
            isNull(webhookDeliveries.deliveredAt),
            isNull(webhookDeliveries.failedAt),
          ),
        )
        .returning({ id: webhookDeliveries.id });
      return { cancelled: cancelled.length };
    });
    if (deleted === undefined) throw notFound(caller, 'Webhook');
    await this.#audit.record({
      type: 'webhook.deleted',
      actor: actorOf(caller.principal),
      target: `webhook:${webhookId}`,
      outcome: 'success',
      ...withCorrelation(caller),
      detail: { cancelledDeliveries: deleted.cancelled },
    });
  }

  /**
   * Enqueues one delivery per live webhook of the integration subscribed to `type`, in ONE
   * transaction (all or none), each with the next sequence of its webhook. Returns the delivery ids.
   */
  async emit(input: EmitWebhookEventInput): Promise<string[]> {
    if (!isUuid(input.integrationId)) throw invalid(undefined, 'Invalid integration id');
    if (!isWebhookEventType(input.type)) throw invalid(undefined, `Unknown webhook event type ${input.type}`);
    const data = checkData(input.data);
    const now = this.#ctx.clock.now();
    const occurredAt = input.occurredAt ?? now;
    const ids = await this.#ctx.db.transaction(async (tx) => {
      // One statement picks the subscribed webhooks, locks them and hands out their next sequence,
      // so concurrent emits for one webhook get distinct, commit-ordered sequences.
      const targets = await tx
        .update(webhooks)
        .set({ lastSequence: sql`${webhooks.lastSequence} + 1` })
        .where(
          and(
            eq(webhooks.integrationId, input.integrationId),
            isNull(webhooks.deletedAt),
            sql`(cardinality(${webhooks.eventTypes}) = 0 or ${input.type} = any(${webhooks.eventTypes}))`,
          ),
        )
        .returning({ id: webhooks.id, sequence: webhooks.lastSequence });
      if (targets.length === 0) return [];
      const rows = await tx
        .insert(webhookDeliveries)
        .values(
          targets.map((target) => ({
            webhookId: target.id,
            sequence: target.sequence,
            eventType: input.type,
            sessionId: input.sessionId ?? null,
            payload: data,
            occurredAt,
            nextAttemptAt: now,
            createdAt: now,
          })),
        )
        .returning({ id: webhookDeliveries.id });
      return rows.map((row) => row.id);
    });
    if (ids.length > 0) for (const listener of this.#enqueued) listener();
    return ids;
  }

  /**
   * Emits a session event to the integration that owns the session (none for console sessions).
   * `data` gets `sessionId`, `machineId` and the integration's `deviceId` added.
   */
  async emitForSession(
    type: WebhookEventType,
    sessionId: string,
    data: Record<string, unknown>,
    occurredAt?: Date,
  ): Promise<void> {
    if (!isUuid(sessionId)) return;
    const [row] = await this.#ctx.db
      .select({
        owner: sessions.ownerIntegrationId,
        machineId: sessions.machineId,
        deviceId: machines.deviceId,
      })
      .from(sessions)
      .leftJoin(machines, eq(machines.id, sessions.machineId))
      .where(eq(sessions.id, sessionId));
    if (row?.owner == null) return;
    await this.emit({
      integrationId: row.owner,
      type,
      sessionId,
      data: { sessionId, machineId: row.machineId ?? '', deviceId: row.deviceId ?? '', ...data },
      ...(occurredAt === undefined ? {} : { occurredAt }),
    });
  }

  /** Emits a machine event to the integration that provisioned the machine, if any. */
  async emitForMachine(
    type: WebhookEventType,
    machineId: string,
    data: Record<string, unknown>,
    occurredAt?: Date,
  ): Promise<void> {
    if (!isUuid(machineId)) return;
    const [row] = await this.#ctx.db
      .select({ owner: machines.ownerIntegrationId, deviceId: machines.deviceId })
      .from(machines)
      .where(eq(machines.id, machineId));
    if (row?.owner == null) return;
    await this.emit({
      integrationId: row.owner,
      type,
      data: { machineId, deviceId: row.deviceId ?? '', ...data },
      ...(occurredAt === undefined ? {} : { occurredAt }),
    });
  }

  /** Internal: the delivery worker wakes up early when something was enqueued. */
  onEnqueued(listener: () => void): () => void {
    this.#enqueued.add(listener);
    return () => this.#enqueued.delete(listener);
  }

  #integrationOf(caller: Caller): string {
    if (caller.principal.kind !== 'integration') {
      throw new ServerKitError(
        ServerKitErrorCode.PermissionDenied,
        'Only integration keys own webhooks',
        withCorrelation(caller),
      );
    }
    return caller.principal.integrationId;
  }
}

function checkUrl(caller: Caller, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_WEBHOOK_URL_LENGTH) {
    throw invalid(caller, `url must be 1–${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw new ServerKitError(
      ServerKitErrorCode.InvalidArgument,
      'url is not a valid URL',
      withCorrelation(caller, { cause: err }),
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(caller, 'url must be http or https');
  if (url.username !== '' || url.password !== '') throw invalid(caller, 'url must not carry credentials');
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) {
    throw invalid(caller, `url must be 1–${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  return url.href;
}

function checkEventTypes(caller: Caller, values: readonly string[]): WebhookEventType[] {
  if (!Array.isArray(values)) throw invalid(caller, 'eventTypes must be a list');
  const out = new Set<WebhookEventType>();
  for (const value of values) {
    if (!isWebhookEventType(value)) {
      throw invalid(caller, `Unknown event type ${String(value)}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
    }
    out.add(value);
  }
  return [...out];
}

function checkData(data: unknown): Record<string, unknown> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(undefined, 'Webhook event data must be a JSON object');
  }
  let text: string;
  try {
    text = JSON.stringify(data);
  } catch (err) {
    throw new ServerKitError(ServerKitErrorCode.InvalidArgument, 'Webhook event data is not JSON', {
      cause: err,
    });
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_WEBHOOK_DATA_BYTES) {
    throw invalid(undefined, `Webhook event data must be at most ${MAX_WEBHOOK_DATA_BYTES} bytes`);
  }
  // Stored as parsed back: what is delivered is exactly what JSON can carry.
  return JSON.parse(text) as Record<string, unknown>;
}
