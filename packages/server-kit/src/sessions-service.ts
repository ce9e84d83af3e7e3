import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, isNull, lt, ne, type SQL, sql } from 'drizzle-orm';
import type { AuditService } from './audit-service.js';
import { encodePageToken, pageBounds } from './audit-service.js';
import { machines, sessions, supportCodes, viewerTokenUses } from './db/schema.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { invalid, notFound, requireRight, withCorrelation } from './require-right.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { assertTransition, LIVE_STATES, type SessionStateName } from './session-state.js';
import { isUuid } from './users-service.js';

export type SessionRow = typeof sessions.$inferSelect;
export type SessionModeName = 'attended' | 'unattended';
export type SessionSource = 'console' | 'integration' | 'support-code';

export interface SessionView {
  sessionId: string;
  machineId: string | undefined;
  machineName: string | undefined;
  mode: SessionModeName;
  source: SessionSource;
  state: SessionStateName;
  ownerIntegrationId: string | undefined;
  createdBy: string | undefined;
  technicianName: string;
  reason: string;
  createdAt: Date;
  startedAt: Date | undefined;
  endedAt: Date | undefined;
  endReason: string | undefined;
}

export function toSessionView(row: SessionRow, machineName?: string | null): SessionView {
  return {
    sessionId: row.id,
    machineId: row.machineId ?? undefined,
    machineName: machineName ?? undefined,
    mode: row.mode as SessionModeName,
    source: row.source as SessionSource,
    state: row.state as SessionStateName,
    ownerIntegrationId: row.ownerIntegrationId ?? undefined,
    createdBy: row.createdBy ?? undefined,
    technicianName: row.technicianName,
    reason: row.reason,
    createdAt: row.createdAt,
    startedAt: row.startedAt ?? undefined,
    endedAt: row.endedAt ?? undefined,
    endReason: row.endReason ?? undefined,
  };
}

export interface StartSessionInput {
  machineId: string;
  /** Default 'unattended'. */
  mode?: SessionModeName;
  /** Shown to the end user in the consent prompt; default: the caller's e-mail. */
  technicianName?: string;
  reason?: string;
}

export interface ListSessionsInput {
  liveOnly?: boolean;
  machineId?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface SessionEndedEvent {
  sessionId: string;
  machineId: string | undefined;
  reason: string;
  correlationId: string;
}
export type SessionEndedListener = (event: SessionEndedEvent) => void;

export interface SessionsServiceOptions {
  /** A live session with no relay activity for this long is ended by `reapStale`. Default 12 h. */
  staleSessionTtlMs: number;
  /**
   * Awaited after a session is marked ended and audited, whoever ended it (relay, API, reaper,
   * reconcile); the kit emits the `session.ended` webhook here. A failure is logged. Default: none.
   */
  afterEnded?: (row: SessionRow, at: Date) => Promise<void>;
}

const LIVE = sql`${sessions.state} <> 'ended'`;

/** Session records: create, pre-create, end, remove, reap, reconcile, and the relay's state reports. */
export class SessionsService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #options: SessionsServiceOptions;
  readonly #endedListeners = new Set<SessionEndedListener>();

  constructor(ctx: KitContext, audit: AuditService, options: SessionsServiceOptions) {
    this.#ctx = ctx;
    this.#audit = audit;
    this.#options = options;
  }

  /** Called when the kit ends a session (end, remove, reap) so the server can close it on the relay. */
  onSessionEnded(listener: SessionEndedListener): () => void {
    this.#endedListeners.add(listener);
    return () => this.#endedListeners.delete(listener);
  }

  /**
   * Creates (pre-creates) a session on a managed machine. If its agent is not connected the session
   * waits (`waiting_for_agent`) and binds when it connects.
   */
  async start(caller: Caller, input: StartSessionInput): Promise<SessionView> {
    const machine = isUuid(input.machineId)
      ? (await this.#ctx.db.select().from(machines).where(eq(machines.id, input.machineId)))[0]
      : undefined;
    requireRight(caller, 'session.start', { ownerIntegrationId: machine?.ownerIntegrationId ?? null });
    if (machine === undefined || machine.kind !== 'managed') throw notFound(caller, 'Machine');
    const mode = input.mode ?? 'unattended';
    if (mode !== 'attended' && mode !== 'unattended')
      throw invalid(caller, 'mode must be attended or unattended');
    const principal = caller.principal;
    const [row] = await this.#ctx.db
      .insert(sessions)
      .values({
        machineId: machine.id,
        mode,
        source: principal.kind === 'integration' ? 'integration' : 'console',
        state: machine.online ? 'ready' : 'waiting_for_agent',
        ownerIntegrationId: machine.ownerIntegrationId,
        createdBy: actorOf(principal),
        technicianName: (input.technicianName ?? (principal.kind === 'user' ? principal.email : '')).slice(
          0,
          200,
        ),
        reason: (input.reason ?? '').slice(0, 500),
        lastActivityAt: this.#ctx.clock.now(),
      })
      .returning();
    await this.#audit.record({
      type: 'session.created',
      actor: actorOf(principal),
      target: `machine:${machine.id}`,
      outcome: 'success',
      sessionId: row!.id,
      ...withCorrelation(caller),
      detail: { mode },
    });
    return toSessionView(row!, machine.displayName || machine.hostname);
  }

  async get(caller: Caller, sessionId: string): Promise<SessionView> {
    const found = await this.#find(sessionId);
    requireRight(caller, 'session.read', { ownerIntegrationId: found?.row.ownerIntegrationId ?? null });
    if (found === undefined) throw notFound(caller, 'Session');
    return toSessionView(found.row, found.machineName);
  }

  async getRow(sessionId: string): Promise<SessionRow | undefined> {
    return (await this.#find(sessionId))?.row;
  }

  async #find(sessionId: string): Promise<{ row: SessionRow; machineName: string | null } | undefined> {
    if (!isUuid(sessionId)) return undefined;
    const [found] = await this.#ctx.db
      .select({
        row: sessions,
        machineName: sql<string | null>`coalesce(nullif(${machines.displayName}, ''), ${machines.hostname})`,
      })
      .from(sessions)
      .leftJoin(machines, eq(machines.id, sessions.machineId))
      .where(eq(sessions.id, sessionId));
    return found;
  }

  /** Newest first; an integration sees only its own sessions. */
  async list(
    caller: Caller,
    input: ListSessionsInput = {},
  ): Promise<{ sessions: SessionView[]; nextPageToken?: string }> {
    requireRight(caller, 'session.list');
    const { limit, offset } = pageBounds(input.pageSize, input.pageToken);
    const conditions: SQL[] = [];
    if (input.liveOnly) conditions.push(LIVE);
    if (input.machineId !== undefined && input.machineId !== '') {
      if (!isUuid(input.machineId)) return { sessions: [] };
      conditions.push(eq(sessions.machineId, input.machineId));
    }
    if (caller.principal.kind === 'integration')
      conditions.push(eq(sessions.ownerIntegrationId, caller.principal.integrationId));
    const rows = await this.#ctx.db
      .select({
        row: sessions,
        machineName: sql<string | null>`coalesce(nullif(${machines.displayName}, ''), ${machines.hostname})`,
      })
      .from(sessions)
      .leftJoin(machines, eq(machines.id, sessions.machineId))
      .where(and(...conditions))
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
      .limit(limit + 1)
      .offset(offset);
    const page = rows.slice(0, limit).map((r) => toSessionView(r.row, r.machineName));
    return rows.length > limit
      ? { sessions: page, nextPageToken: encodePageToken(offset + limit) }
      : { sessions: page };
  }

  /** Ends a live session (idempotent for an ended one). */
  async end(caller: Caller, sessionId: string, reason = ''): Promise<SessionView> {
    const found = await this.#find(sessionId);
    requireRight(caller, 'session.end', { ownerIntegrationId: found?.row.ownerIntegrationId ?? null });
    if (found === undefined) throw notFound(caller, 'Session');
    if (found.row.state === 'ended') return toSessionView(found.row, found.machineName);
    const correlationId = caller.correlationId ?? randomUUID();
    const endReason = `ended by ${actorOf(caller.principal)}${reason ? `: ${reason.slice(0, 200)}` : ''}`;
    const row = await this.#endRow(
      sessionId,
      endReason,
      this.#ctx.clock.now(),
      actorOf(caller.principal),
      correlationId,
    );
    return toSessionView(row ?? found.row, found.machineName);
  }

  /** Marks a session ended, audits, tells listeners. Returns undefined if it was already ended. */
  async #endRow(
    sessionId: string,
    endReason: string,
    at: Date,
    actor: string,
    correlationId: string,
  ): Promise<SessionRow | undefined> {
    const [row] = await this.#ctx.db
      .update(sessions)
      .set({ state: 'ended', endedAt: at, endReason, lastActivityAt: at })
      .where(and(eq(sessions.id, sessionId), LIVE))
      .returning();
    if (row === undefined) return undefined;
    await this.#audit.record({
      type: 'session.ended',
      actor,
      target: `session:${sessionId}`,
      outcome: 'success',
      sessionId,
      correlationId,
      detail: { reason: endReason },
    });
    if (this.#options.afterEnded !== undefined) {
      try {
        await this.#options.afterEnded(row, at);
      } catch (err) {
        this.#ctx.logger.error({ msg: 'session-ended hook failed', sessionId, correlationId, error: err });
      }
    }
    for (const listener of this.#endedListeners) {
      try {
        listener({ sessionId, machineId: row.machineId ?? undefined, reason: endReason, correlationId });
      } catch (err) {
        this.#ctx.logger.error({
          msg: 'session-ended listener failed',
          sessionId,
          correlationId,
          error: err,
        });
      }
    }
    return row;
  }

  /** Bulk removal: live ones are ended first (listeners fire), then the rows are deleted. */
  async remove(caller: Caller, sessionIds: string[]): Promise<number> {
    requireRight(caller, 'session.remove');
    const ids = [...new Set(sessionIds.filter(isUuid))];
    if (ids.length === 0) return 0;
    const correlationId = caller.correlationId ?? randomUUID();
    const actor = actorOf(caller.principal);
    const live = await this.#ctx.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(inArray(sessions.id, ids), LIVE));
    for (const { id } of live)
      await this.#endRow(id, `removed by ${actor}`, this.#ctx.clock.now(), actor, correlationId);
    const removed = await this.#ctx.db
      .delete(sessions)
      .where(inArray(sessions.id, ids))
      .returning({ id: sessions.id });
    for (const { id } of removed)
      await this.#audit.record({
        type: 'session.removed',
        actor,
        target: `session:${id}`,
        outcome: 'success',
        sessionId: id,
        correlationId,
      });
    return removed.length;
  }

  /**
   * Ends sessions nobody will use: attended sessions whose support code expired unused, and sessions
   * without an active viewer (waiting, ready, agent lost) idle longer than the stale TTL. Also prunes
   * expired viewer-token uses and day-old support codes. Returns the number of sessions ended.
   */
  async reapStale(): Promise<number> {
    const now = this.#ctx.clock.now();
    const cutoff = new Date(now.getTime() - this.#options.staleSessionTtlMs);
    const correlationId = randomUUID();
    const expiredCodes = await this.#ctx.db
      .select({ id: sessions.id })
      .from(sessions)
      .innerJoin(supportCodes, eq(supportCodes.sessionId, sessions.id))
      .where(
        and(
          eq(sessions.state, 'waiting_for_agent'),
          isNull(supportCodes.usedAt),
          lt(supportCodes.expiresAt, now),
        ),
      );
    const idle = await this.#ctx.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(
          inArray(sessions.state, ['waiting_for_agent', 'ready', 'agent_lost']),
          lt(sessions.lastActivityAt, cutoff),
        ),
      );
    let ended = 0;
    for (const { id } of expiredCodes)
      if (await this.#endRow(id, 'support code expired', now, 'system', correlationId)) ended++;
    for (const { id } of idle) if (await this.#endRow(id, 'stale', now, 'system', correlationId)) ended++;
    await this.#ctx.db.delete(viewerTokenUses).where(lt(viewerTokenUses.expiresAt, now));
    await this.#ctx.db
      .delete(supportCodes)
      .where(lt(supportCodes.expiresAt, new Date(now.getTime() - 86_400_000)));
    return ended;
  }

  /**
   * After a restart no socket survives: every session that had its agent (ready, awaiting consent,
   * active, agent lost) is ended with reason "server restart"; pre-created sessions still waiting for
   * their agent stay. For one node (or a whole-cluster restart) — with several nodes sharing
   * PostgreSQL, a single node must not call this (createServerKit's `reconcileOnStart: false`).
   */
  async reconcileOnStartup(): Promise<number> {
    const now = this.#ctx.clock.now();
    const correlationId = randomUUID();
    const ghosts = await this.#ctx.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(LIVE, ne(sessions.state, 'waiting_for_agent')));
    let ended = 0;
    for (const { id } of ghosts)
      if (await this.#endRow(id, 'server restart', now, 'system', correlationId)) ended++;
    return ended;
  }

  /** Relay: a machine's agent connected — its waiting sessions become ready. */
  async bindMachine(machineId: string, at: Date): Promise<void> {
    await this.#ctx.db
      .update(sessions)
      .set({ state: 'ready', lastActivityAt: at })
      .where(
        and(eq(sessions.machineId, machineId), inArray(sessions.state, ['waiting_for_agent', 'agent_lost'])),
      );
  }

  /** Relay: a session moved. Throws GC_ERR_FAILED_PRECONDITION on an impossible move. */
  async applyState(
    sessionId: string,
    to: SessionStateName,
    at: Date,
    endReason?: string,
  ): Promise<SessionRow> {
    const row = await this.getRow(sessionId);
    if (row === undefined)
      throw new ServerKitError(ServerKitErrorCode.NotFound, `Session ${sessionId} not found`);
    assertTransition(row.state as SessionStateName, to);
    if (to === 'ended') {
      return (await this.#endRow(sessionId, endReason ?? 'ended', at, 'relay', randomUUID())) ?? row;
    }
    const [updated] = await this.#ctx.db
      .update(sessions)
      .set({
        state: to,
        lastActivityAt: at,
        ...(to === 'active' && row.startedAt === null ? { startedAt: at } : {}),
      })
      .where(eq(sessions.id, sessionId))
      .returning();
    return updated!;
  }

  /** Relay: activity on a session (a viewer joined or left). */
  async touch(sessionId: string, at: Date): Promise<void> {
    if (!isUuid(sessionId)) return;
    await this.#ctx.db.update(sessions).set({ lastActivityAt: at }).where(eq(sessions.id, sessionId));
  }

  /** True for a session that exists and is not ended. */
  static isLive(row: SessionRow): boolean {
    return (LIVE_STATES as readonly string[]).includes(row.state);
  }
}
