import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rowsOf } from './db/database.js';
import type { KitContext } from './kit-context.js';
import type { WebhookEventBody, WebhookEventType } from './webhook-events.js';
import { postWebhook } from './webhook-sender.js';
import { signWebhookPayload, WebhookHeader } from './webhook-signature.js';

export interface WebhookDeliveryWorkerOptions {
  /** Pause between polls when nothing was due, ms (createServerKit: default 1000, 50 … 60 000). */
  pollIntervalMs: number;
  /** An attempt without a response within this fails, ms (default 10 000, 1 000 … 120 000). */
  timeoutMs: number;
  /** A delivery still failing this long after it was enqueued is given up, ms (default 24 h). */
  maxAgeMs: number;
  /** First retry delay, ms; doubles per failed attempt (default 1 000). */
  retryBaseMs: number;
  /** Longest retry delay, ms (default 60 000). */
  retryMaxMs: number;
  /** Most deliveries (at most one per webhook) claimed per round. Default 50. */
  batchSize?: number;
}

/** A claimed delivery with what is needed to send it. */
interface Claim {
  id: string;
  webhookId: string;
  eventType: WebhookEventType;
  sessionId: string | null;
  payload: Record<string, unknown>;
  occurredAt: Date;
  attempts: number;
  createdAt: Date;
  url: string;
  secret: string;
  token: string;
}

/** How long past the request timeout a claim stays ours: covers the bookkeeping after the send. */
const LEASE_MARGIN_MS = 30_000;
/** Delivered or given-up deliveries are kept this long (for inspection), then pruned. */
export const WEBHOOK_DELIVERY_RETENTION_MS = 7 * 86_400_000;
/** How often the worker prunes, at most. */
const PRUNE_EVERY_MS = 3_600_000;

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/**
 * Sends the outbox. Each round claims the head (lowest undelivered sequence) of every webhook whose
 * head is due and not leased, with one UPDATE that sets a lease — so two kit instances on one
 * PostgreSQL never both send a delivery, and a webhook's later delivery is never sent before its
 * earlier one is delivered or given up. Sends the claims in parallel (different webhooks), records
 * each outcome, and retries failures with capped exponential backoff and jitter.
 */
export class WebhookDeliveryWorker {
  readonly #ctx: KitContext;
  readonly #options: Required<WebhookDeliveryWorkerOptions>;
  readonly #abort = new AbortController();
  /** Delivered, but recording that failed: never sent again, only recorded (at-most-once per worker). */
  readonly #deliveredUnrecorded = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(ctx: KitContext, options: WebhookDeliveryWorkerOptions) {
    this.#ctx = ctx;
    this.#options = { batchSize: 50, ...options };
  }

  /** Starts polling. */
  start(): void {
    if (!this.#closed && this.#timer === undefined && this.#round === undefined) this.#schedule(0);
  }

  /** Something was enqueued: poll now instead of after the interval. */
  wake(): void {
    if (this.#closed) return;
    if (this.#round !== undefined) this.#again = true;
    else this.#schedule(0);
  }

  /** Stops polling, aborts attempts in flight (they are retried later) and waits for the round. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#round;
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#run(), ms);
    this.#timer.unref();
  }

  #run(): void {
    this.#timer = undefined;
    this.#again = false;
    this.#round = this.runOnce()
      .catch((err: unknown) => {
        this.#ctx.logger.error({ msg: 'webhook delivery round failed', error: err });
        return 0;
      })
      .then((claimed) => {
        this.#round = undefined;
        if (this.#closed) return;
        this.#schedule(claimed > 0 || this.#again ? 0 : this.#options.pollIntervalMs);
      });
  }

  /** One round: claim due heads, send them, record outcomes. Returns how many were claimed. */
  async runOnce(): Promise<number> {
    await this.#pruneNowAndThen();
    const claims = await this.#claim();
    const outcomes = await Promise.allSettled(claims.map((claim) => this.#deliver(claim)));
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === 'rejected') {
        // Recording failed (database trouble); the lease expires and the delivery is retried then.
        this.#ctx.logger.error({
          msg: 'webhook delivery outcome not recorded',
          deliveryId: claims[i]?.id,
          error: outcome.reason,
        });
      }
    }
    return claims.length;
  }

  /** Deletes settled deliveries past the retention, once an hour (sequences live on `webhooks`). */
  async #pruneNowAndThen(): Promise<void> {
    const now = this.#ctx.clock.now();
    if (now.getTime() - this.#lastPruneAt < PRUNE_EVERY_MS) return;
    this.#lastPruneAt = now.getTime();
    const cutoff = new Date(now.getTime() - WEBHOOK_DELIVERY_RETENTION_MS);
    await this.#ctx.db.execute(sql`
      delete from webhook_deliveries
      where delivered_at < ${cutoff} or failed_at < ${cutoff}`);
  }

  async #claim(): Promise<Claim[]> {
    const now = this.#ctx.clock.now();
    const leaseUntil = new Date(now.getTime() + this.#options.timeoutMs + LEASE_MARGIN_MS);
    const token = randomUUID();
    // The conditions on `d` are repeated in the UPDATE on purpose: under READ COMMITTED a row another
    // instance claimed (or delivered) meanwhile is re-checked against them and skipped.
    const result = await this.#ctx.db.execute(sql`
      with heads as (
        select distinct on (d.webhook_id) d.id
        from webhook_deliveries d
        join webhooks w on w.id = d.webhook_id
        where d.delivered_at is null and d.failed_at is null and w.deleted_at is null
        order by d.webhook_id, d.sequence
      ), due as (
        select d.id
        from webhook_deliveries d
        join heads h on h.id = d.id
        where d.next_attempt_at <= ${now} and (d.lease_until is null or d.lease_until <= ${now})
        order by d.next_attempt_at
        limit ${this.#options.batchSize}
      )
      update webhook_deliveries d
      set lease_until = ${leaseUntil}, lease_token = ${token}, attempts = d.attempts + 1
      from due, webhooks w
      where d.id = due.id and w.id = d.webhook_id and w.deleted_at is null
        and d.delivered_at is null and d.failed_at is null
        and (d.lease_until is null or d.lease_until <= ${now})
      returning d.id, d.webhook_id, d.event_type, d.session_id, d.payload, d.occurred_at,
        d.attempts, d.created_at, w.url, w.secret`);
    return rowsOf<Record<string, unknown>>(result).map((row) => ({
      id: String(row.id),
      webhookId: String(row.webhook_id),
      eventType: row.event_type as WebhookEventType,
      sessionId: row.session_id == null ? null : String(row.session_id),
      payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<
        string,
        unknown
      >,
      occurredAt: toDate(row.occurred_at),
      attempts: Number(row.attempts),
      createdAt: toDate(row.created_at),
      url: String(row.url),
      secret: String(row.secret),
      token,
    }));
  }

  async #deliver(claim: Claim): Promise<void> {
    if (this.#deliveredUnrecorded.has(claim.id)) {
      await this.#markDelivered(claim);
      return;
    }
    const event: WebhookEventBody = {
      id: claim.id,
      type: claim.eventType,
      occurredAt: claim.occurredAt.toISOString(),
      sessionId: claim.sessionId,
      data: claim.payload,
    };
    const body = JSON.stringify(event);
    const timestamp = Math.floor(this.#ctx.clock.now().getTime() / 1000);
    let error: string;
    try {
      const status = await postWebhook(
        claim.url,
        body,
        {
          'Content-Type': 'application/json',
          [WebhookHeader.Id]: claim.id,
          [WebhookHeader.Timestamp]: String(timestamp),
          [WebhookHeader.Signature]: signWebhookPayload(claim.secret, timestamp, body),
        },
        this.#options.timeoutMs,
        this.#abort.signal,
      );
      if (status >= 200 && status < 300) {
        this.#deliveredUnrecorded.add(claim.id);
        await this.#markDelivered(claim);
        return;
      }
      error = `HTTP ${status}`;
    } catch (err) {
      error = this.#abort.signal.aborted ? 'interrupted by shutdown' : (err as Error).message || String(err);
    }
    await this.#markFailed(claim, error);
  }

  async #markDelivered(claim: Claim): Promise<void> {
    await this.#ctx.db.execute(sql`
      update webhook_deliveries
      set delivered_at = ${this.#ctx.clock.now()}, lease_until = null, lease_token = null
      where id = ${claim.id}`);
    this.#deliveredUnrecorded.delete(claim.id);
  }

  async #markFailed(claim: Claim, error: string): Promise<void> {
    const now = this.#ctx.clock.now();
    const lastError = error.slice(0, 500);
    const log = {
      webhookId: claim.webhookId,
      deliveryId: claim.id,
      attempt: claim.attempts,
      error: lastError,
    };
    if (this.#abort.signal.aborted) {
      // Not the receiver's fault: whoever runs next retries at once.
      await this.#release(claim, sql`next_attempt_at = ${now}, last_error = ${lastError}`);
      return;
    }
    if (now.getTime() - claim.createdAt.getTime() >= this.#options.maxAgeMs) {
      await this.#release(claim, sql`failed_at = ${now}, last_error = ${lastError}`);
      this.#ctx.logger.error({ msg: 'webhook delivery given up', ...log });
      return;
    }
    const next = new Date(now.getTime() + this.#backoffMs(claim.attempts));
    await this.#release(claim, sql`next_attempt_at = ${next}, last_error = ${lastError}`);
    this.#ctx.logger.warn({ msg: 'webhook delivery failed; will retry', ...log, nextAttemptAt: next });
  }

  /** Ends our lease with `set`, unless another instance took the delivery over meanwhile. */
  async #release(claim: Claim, set: ReturnType<typeof sql>): Promise<void> {
    await this.#ctx.db.execute(sql`
      update webhook_deliveries
      set ${set}, lease_until = null, lease_token = null
      where id = ${claim.id} and lease_token = ${claim.token} and delivered_at is null`);
  }

  /** base · 2^(attempt−1), capped, then "equal jitter": uniformly in [delay/2, delay]. */
  #backoffMs(attempt: number): number {
    const { retryBaseMs, retryMaxMs } = this.#options;
    const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(delay / 2 + (Math.random() * delay) / 2);
  }
}
