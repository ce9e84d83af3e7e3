import { randomUUID } from 'node:crypto';
import { Channel, CloseReason, SessionMode } from '@guruconnect/protocol';
import type { ConnectionContext, HookResult, ViewerGrant } from '@guruconnect/relay-core';
import type { AuditService } from './audit-service.js';
import { viewerTokenUses } from './db/schema.js';
import { isExpiredTokenError, type JwtCodec, VIEWER_AUDIENCE } from './jwt-codec.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { invalid, notFound, requireRight, withCorrelation } from './require-right.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { SessionsService as Sessions, type SessionsService } from './sessions-service.js';

/** Longest viewer-token lifetime the kit grants, seconds. */
export const MAX_VIEWER_TOKEN_TTL_SECONDS = 300;
export const MIN_VIEWER_TOKEN_TTL_SECONDS = 30;
export const DEFAULT_VIEWER_TOKEN_TTL_SECONDS = 120;

const CHANNEL_NAMES: Record<string, Channel> = {
  view: Channel.VIEW,
  control: Channel.CONTROL,
  terminal: Channel.TERMINAL,
  files: Channel.FILES,
  clipboard: Channel.CLIPBOARD,
  chat: Channel.CHAT,
};
const NAME_OF = new Map(Object.entries(CHANNEL_NAMES).map(([name, channel]) => [channel, name]));

export interface MintViewerTokenInput {
  sessionId: string;
  /** At least one; duplicates are dropped. */
  channels: Channel[];
  /** 30–300; default 120. */
  ttlSeconds?: number;
  /** Shown to the end user; default: the caller's e-mail (users) or 'Technician'. */
  viewerName?: string;
}

export interface MintedViewerToken {
  token: string;
  expiresAt: Date;
  sessionId: string;
  channels: Channel[];
}

/**
 * Viewer tokens: JWT, audience `gc-viewer`, claim `sid` (one session), `ch` (granted channels),
 * lifetime ≤ 5 min, single use at join (the `jti` is recorded; a second use is refused).
 */
export class ViewerTokensService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #jwt: JwtCodec;
  readonly #sessions: SessionsService;

  constructor(ctx: KitContext, audit: AuditService, jwt: JwtCodec, sessions: SessionsService) {
    this.#ctx = ctx;
    this.#audit = audit;
    this.#jwt = jwt;
    this.#sessions = sessions;
  }

  /** Mints a token for one live session. Needs `session.join` on it. */
  async mint(caller: Caller, input: MintViewerTokenInput): Promise<MintedViewerToken> {
    const session = await this.#sessions.getRow(input.sessionId);
    requireRight(caller, 'session.join', { ownerIntegrationId: session?.ownerIntegrationId ?? null });
    if (session === undefined) throw notFound(caller, 'Session');
    if (!Sessions.isLive(session)) {
      throw new ServerKitError(
        ServerKitErrorCode.FailedPrecondition,
        'The session has ended',
        withCorrelation(caller),
      );
    }
    const channels = [...new Set(input.channels)];
    if (channels.length === 0 || channels.some((c) => !NAME_OF.has(c)))
      throw invalid(caller, 'channels must name at least one known channel');
    const ttl = input.ttlSeconds ?? DEFAULT_VIEWER_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < MIN_VIEWER_TOKEN_TTL_SECONDS || ttl > MAX_VIEWER_TOKEN_TTL_SECONDS) {
      throw invalid(
        caller,
        `ttlSeconds must be ${MIN_VIEWER_TOKEN_TTL_SECONDS}–${MAX_VIEWER_TOKEN_TTL_SECONDS}`,
      );
    }
    const principal = caller.principal;
    const viewerName = (
      input.viewerName ?? (principal.kind === 'user' ? principal.email : 'Technician')
    ).slice(0, 200);
    const { token, jti, expiresAt } = await this.#jwt.sign(
      {
        sid: session.id,
        ch: channels.map((c) => NAME_OF.get(c)),
        name: viewerName,
        ...(principal.kind === 'user' ? { uid: principal.userId } : {}),
      },
      { audience: VIEWER_AUDIENCE, subject: actorOf(principal), ttlSeconds: ttl },
    );
    await this.#audit.record({
      type: 'viewer-token.minted',
      actor: actorOf(principal),
      target: `session:${session.id}`,
      outcome: 'success',
      sessionId: session.id,
      ...withCorrelation(caller),
      detail: { jti, channels: channels.map((c) => NAME_OF.get(c)).join(','), ttlSeconds: ttl },
    });
    return { token, expiresAt, sessionId: session.id, channels };
  }

  /**
   * The relay's `authorizeViewer`: the token must verify (HS256, audience gc-viewer, not expired),
   * name exactly this session, the session must be live, and its `jti` must be unused — it is
   * consumed here, so a replay is refused.
   */
  async authorize(
    token: string,
    sessionId: string,
    ctx: ConnectionContext,
  ): Promise<HookResult<ViewerGrant>> {
    const correlationId = ctx.correlationId || randomUUID();
    const refuse = async (
      reason: CloseReason,
      message: string,
      detail: string,
    ): Promise<HookResult<ViewerGrant>> => {
      await this.#audit.record({
        type: 'viewer.authorize',
        actor: `viewer@${ctx.remoteAddress}`,
        target: `session:${sessionId.slice(0, 64)}`,
        outcome: 'failure',
        correlationId,
        detail: { reason: detail },
      });
      return { ok: false, reason, message };
    };
    let payload: Awaited<ReturnType<JwtCodec['verify']>>;
    try {
      payload = await this.#jwt.verify(token, VIEWER_AUDIENCE, correlationId);
    } catch (err) {
      const expired = isExpiredTokenError(err);
      return refuse(
        expired ? CloseReason.TOKEN_EXPIRED : CloseReason.UNAUTHORIZED,
        expired ? 'The viewer token has expired' : 'The viewer token is not valid',
        expired ? 'expired' : 'invalid token',
      );
    }
    if (payload.sid !== sessionId)
      return refuse(CloseReason.UNAUTHORIZED, 'The viewer token is for another session', 'other session');
    const session = await this.#sessions.getRow(sessionId);
    if (session === undefined)
      return refuse(CloseReason.SESSION_NOT_FOUND, 'The session does not exist', 'no session');
    if (!Sessions.isLive(session)) return refuse(CloseReason.SESSION_ENDED, 'The session has ended', 'ended');
    const channels = Array.isArray(payload.ch)
      ? payload.ch.map((name) => CHANNEL_NAMES[String(name)]).filter((c): c is Channel => c !== undefined)
      : [];
    if (channels.length === 0)
      return refuse(CloseReason.UNAUTHORIZED, 'The viewer token grants no channel', 'no channels');
    const now = this.#ctx.clock.now();
    const used = await this.#ctx.db
      .insert(viewerTokenUses)
      .values({
        jti: String(payload.jti),
        sessionId,
        usedAt: now,
        expiresAt: new Date((payload.exp ?? 0) * 1000),
      })
      .onConflictDoNothing()
      .returning({ jti: viewerTokenUses.jti });
    if (used.length === 0)
      return refuse(CloseReason.TOKEN_EXPIRED, 'The viewer token was already used', 'replayed');
    const grant: ViewerGrant = {
      sessionId,
      machineId: session.machineId ?? '',
      mode: session.mode === 'attended' ? SessionMode.ATTENDED : SessionMode.UNATTENDED,
      channels,
      viewerName: typeof payload.name === 'string' ? payload.name : 'Technician',
      ...(typeof payload.uid === 'string' ? { userId: payload.uid } : {}),
    };
    await this.#audit.record({
      type: 'viewer.authorize',
      actor: String(payload.sub ?? 'viewer'),
      target: `session:${sessionId}`,
      outcome: 'success',
      sessionId,
      correlationId,
      detail: { jti: String(payload.jti), remoteAddress: ctx.remoteAddress },
    });
    return { ok: true, value: grant };
  }
}
