import { randomUUID } from 'node:crypto';
import { and, desc, eq, gte, like, type SQL } from 'drizzle-orm';
import { auditEvents } from './db/schema.js';
import type { Caller, KitContext } from './kit-context.js';
import { redact } from './redact.js';
import { requireRight } from './require-right.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';

export type AuditOutcome = 'success' | 'failure';

export interface AuditInput {
  /** Dotted event type: `auth.login`, `key.revoked`, `session.started`, … */
  type: string;
  /** `user:<id>`, `integration:<id>`, `agent:<machineId>`, `anonymous`, `system`. */
  actor: string;
  target?: string;
  outcome: AuditOutcome;
  /** Default: a fresh UUID. */
  correlationId?: string;
  sessionId?: string;
  /** Free-form strings; secret-looking fields and values are redacted before storage. */
  detail?: Record<string, string | number | boolean | undefined>;
}

export interface AuditEvent {
  eventId: string;
  type: string;
  actor: string;
  target: string;
  outcome: AuditOutcome;
  correlationId: string;
  sessionId: string | undefined;
  occurredAt: Date;
  detail: Record<string, string>;
}

export interface AuditFilter {
  /** Events whose type starts with this (`auth.`). */
  typePrefix?: string;
  actor?: string;
  target?: string;
  sessionId?: string;
  since?: Date;
  /** 1–500; default 100. */
  pageSize?: number;
  /** From a previous page's `nextPageToken`. */
  pageToken?: string;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Pages are offset-based; the token is opaque to callers. */
function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const offset = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ServerKitError(ServerKitErrorCode.InvalidArgument, 'Invalid page token');
  }
  return offset;
}

export function encodePageToken(offset: number): string {
  return Buffer.from(String(offset), 'utf8').toString('base64url');
}

export function pageBounds(
  pageSize: number | undefined,
  pageToken: string | undefined,
  max = 500,
): {
  limit: number;
  offset: number;
} {
  const limit = pageSize === undefined || pageSize === 0 ? 100 : pageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new ServerKitError(ServerKitErrorCode.InvalidArgument, `pageSize must be 1–${max}`);
  }
  return { limit, offset: decodePageToken(pageToken) };
}

/** One event per security-relevant act, with secrets redacted before they reach the table. */
export class AuditService {
  readonly #ctx: KitContext;

  constructor(ctx: KitContext) {
    this.#ctx = ctx;
  }

  /** Writes one event. A failure to audit is logged and rethrown: an act we cannot record fails. */
  async record(input: AuditInput): Promise<void> {
    const detail: Record<string, string> = {};
    for (const [key, value] of Object.entries(input.detail ?? {})) {
      if (value !== undefined) detail[key] = String(value);
    }
    const row = {
      type: input.type,
      actor: input.actor,
      target: input.target ?? '',
      outcome: input.outcome,
      correlationId: input.correlationId ?? randomUUID(),
      sessionId: input.sessionId ?? null,
      occurredAt: this.#ctx.clock.now(),
      detail: redact(detail),
    };
    try {
      await this.#ctx.db.insert(auditEvents).values(row);
    } catch (err) {
      this.#ctx.logger.error({
        msg: 'audit write failed',
        type: row.type,
        correlationId: row.correlationId,
        error: err,
      });
      throw ServerKitError.from(err, row.correlationId);
    }
  }

  /** Newest first. Needs `audit.read`. */
  async list(caller: Caller, filter: AuditFilter = {}): Promise<AuditPage> {
    requireRight(caller, 'audit.read');
    return this.query(filter);
  }

  /** The unchecked query behind `list` (for session events the caller was already authorized for). */
  async query(filter: AuditFilter): Promise<AuditPage> {
    const { limit, offset } = pageBounds(filter.pageSize, filter.pageToken);
    const conditions: SQL[] = [];
    if (filter.typePrefix) conditions.push(like(auditEvents.type, `${escapeLike(filter.typePrefix)}%`));
    if (filter.actor) conditions.push(eq(auditEvents.actor, filter.actor));
    if (filter.target) conditions.push(eq(auditEvents.target, filter.target));
    if (filter.sessionId) conditions.push(eq(auditEvents.sessionId, filter.sessionId));
    if (filter.since) conditions.push(gte(auditEvents.occurredAt, filter.since));
    const rows = await this.#ctx.db
      .select()
      .from(auditEvents)
      .where(and(...conditions))
      .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id))
      .limit(limit + 1)
      .offset(offset);
    const events = rows.slice(0, limit).map(
      (row): AuditEvent => ({
        eventId: row.id,
        type: row.type,
        actor: row.actor,
        target: row.target,
        outcome: row.outcome as AuditOutcome,
        correlationId: row.correlationId,
        sessionId: row.sessionId ?? undefined,
        occurredAt: row.occurredAt,
        detail: row.detail,
      }),
    );
    return rows.length > limit ? { events, nextPageToken: encodePageToken(offset + limit) } : { events };
  }
}
